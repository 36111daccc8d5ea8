// Shared by the hostile peers: write a (possibly endless) body at a chosen pace, honouring back-pressure, and
// stop as soon as the client gave up (socket closed) or the case's byte budget is spent. A hostile case must be
// bounded on our side too: it runs next to other engineers' work on a shared machine.
import type { ServerResponse } from 'node:http';

export interface PumpOptions {
  /** Bytes of one write. */
  chunk: Buffer;
  /** Pause between writes (0: as fast as the client reads). */
  intervalMs?: number;
  /** Total bytes of the case (every body the meter counted, prefixes included); a body ends there with `suffix`. */
  maxBytes: number;
  /** Written once the budget is spent (e.g. the closing tags), unless the client went away first. */
  suffix?: Buffer;
}

/** Counts what every peer of a case sent, to state it and to prove the budget held. */
export class SentMeter {
  bytes = 0;
  bodies = 0;
  /** Bodies the client stopped reading before their end (it gave up: a cap or a deadline). */
  abandoned = 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function pump(res: ServerResponse, prefix: Buffer, opts: PumpOptions, meter: SentMeter): Promise<void> {
  meter.bodies++;
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  const write = async (buf: Buffer): Promise<void> => {
    meter.bytes += buf.length;
    if (!res.write(buf))
      await new Promise<void>((r) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.on('drain', done);
        res.on('close', done);
      });
  };
  await write(prefix);
  // The budget is the case's (the meter's), not this body's: a source that retries cannot make us send more.
  while (!closed && meter.bytes + opts.chunk.length <= opts.maxBytes) {
    await write(opts.chunk);
    if (opts.intervalMs) await sleep(opts.intervalMs);
  }
  if (closed || res.destroyed) {
    meter.abandoned++;
    return;
  }
  res.end(opts.suffix);
}

/** Reads a request body (small: the collector's requests), then calls `then`. */
export function withBody(req: import('node:http').IncomingMessage, then: (body: Buffer) => void): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => then(Buffer.concat(parts)));
}
