import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { settlesWithin, withDeadline } from '../../common/deadline.js';
import { errorMessage, UserError } from '../../common/errors.js';
import { redactText, type Logger } from '../../common/log.js';
import type { SourceConfig } from '../../config/load.js';
import { createCollector } from '../../appliance/collector-factory.js';
import type { Sample, SourceCollector } from '../../model/index.js';
import { partitionSamples } from '../../model/sample-validation.js';
import { loadCommandContext, type CommonOptions } from '../command-context.js';
import { selectSources } from './sources.js';

interface CollectOptions extends CommonOptions {
  out: string;
  once?: boolean;
  stateDir?: string;
  source?: string[];
}

/** NDJSON writer honouring back-pressure, to a file or stdout. */
class NdjsonOut {
  readonly #stream: NodeJS.WritableStream;
  readonly #file: WriteStream | null;
  lines = 0;
  /** Samples the sample contract refused, per source: never written (the file is what ingest accepts). */
  readonly refused = new Map<string, Map<string, number>>();
  constructor(
    path: string,
    private readonly retentionDays: number,
  ) {
    this.#file = path === '-' ? null : createWriteStream(path);
    this.#stream = this.#file ?? process.stdout;
  }
  async write(input: Sample[], source: string): Promise<void> {
    const { valid: batch, rejected } = partitionSamples(input, { retentionDays: this.retentionDays });
    for (const r of rejected) {
      const per = this.refused.get(source) ?? new Map<string, number>();
      per.set(r.reason, (per.get(r.reason) ?? 0) + 1);
      this.refused.set(source, per);
    }
    if (batch.length === 0) return;
    let text = '';
    for (const s of batch)
      text += `${JSON.stringify({ machine: s.machine, metric: s.metric, instance: s.instance, ts: s.ts, value: s.value, intervalSec: s.intervalSec })}\n`;
    this.lines += batch.length;
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }
  async close(): Promise<void> {
    if (!this.#file) return;
    this.#file.end();
    await once(this.#file, 'finish');
  }
}

function withState(cfg: SourceConfig, dir: string | undefined): SourceConfig {
  if (!dir || cfg.kind !== 'vcenter') return cfg;
  return { ...cfg, perf: { ...cfg.perf, stateFile: join(dir, `${cfg.name}.json`) } };
}

/** How long a source's close (Logout) may take when the command ends. */
const CLOSE_WITHIN_MS = 10_000;

async function pollOnce(
  c: SourceCollector,
  out: NdjsonOut,
  log: Logger,
  deadlineMs: number,
  once: boolean,
  what = '',
): Promise<{ ok: boolean; samples: number }> {
  const started = Date.now();
  try {
    // Bounded by service.pollDeadlineSec (each request by the source's timeoutSec): a stuck peer fails its source
    // and the command ends. With --once the collector is closed then, which aborts its requests; a continuous run
    // keeps it for the next poll (its stuck request still ends at the source's per-request deadline).
    const stats = await withDeadline(
      c.poll((batch) => out.write(batch, c.name)),
      deadlineMs,
      'poll',
      { setting: 'service.pollDeadlineSec', onTimeout: once ? () => void c.close().catch(() => undefined) : undefined },
    );
    const refused = [...(out.refused.get(c.name) ?? [])].map(([reason, n]) => `${n} ${reason}`).join(', ');
    const line = `${c.name}: ${what}${stats.samples} sample(s) from ${stats.machinesPolled} machine(s) in ${stats.requests} request(s), ${((Date.now() - started) / 1000).toFixed(1)} s${refused ? `; refused so far (not written): ${refused}` : ''}`;
    process.stderr.write(`${line}${stats.errors.length ? `; errors: ${redactText(stats.errors.join('; '))}` : ''}\n`);
    return { ok: stats.errors.length === 0 || stats.samples > 0, samples: stats.samples };
  } catch (err) {
    const fix = err instanceof UserError && err.fix ? ` Fix: ${err.fix}` : '';
    process.stderr.write(`${c.name}: FAILED: ${redactText(errorMessage(err) + fix)}\n`);
    log.debug({ source: c.name, err: redactText(errorMessage(err)) }, 'poll failed');
    return { ok: false, samples: 0 };
  }
}

/** Sources whose rates come from the difference of two raw readings: their first poll only primes. */
const TWO_READINGS: ReadonlySet<SourceCollector['kind']> = new Set(['hyperv', 'windows', 'linux']);

/**
 * `collect --once`: one poll, except for sources that need two raw readings, which take the first, say
 * that they are waiting, and take the second one interval later (a single poll would give 0 samples).
 */
async function collectOnce(c: SourceCollector, out: NdjsonOut, log: Logger, deadlineMs: number): Promise<boolean> {
  if (!TWO_READINGS.has(c.kind)) return (await pollOnce(c, out, log, deadlineMs, true)).ok;
  const first = await pollOnce(c, out, log, deadlineMs, true, 'first reading (rates need two): ');
  if (!first.ok) return false;
  if (first.samples > 0) return true;
  process.stderr.write(`${c.name}: waiting ${c.pollIntervalSec} s for the second reading...\n`);
  await new Promise((resolve) => setTimeout(resolve, c.pollIntervalSec * 1000));
  return (await pollOnce(c, out, log, deadlineMs, true)).ok;
}

export async function runCollect(opts: CollectOptions): Promise<void> {
  const { config, log } = loadCommandContext(opts);
  const sources = selectSources(config.sources, opts.source).map((s) => withState(s, opts.stateDir));
  const out = new NdjsonOut(opts.out, config.rollup.retentionDays);
  const collectors: SourceCollector[] = [];
  const deadlineMs = config.service.pollDeadlineSec * 1000;
  try {
    for (const cfg of sources) collectors.push(await createCollector(cfg, { log }));
    if (opts.once) {
      const ok = await Promise.all(collectors.map((c) => collectOnce(c, out, log, deadlineMs)));
      const failed = collectors.filter((_, i) => !ok[i]).map((c) => c.name);
      if (failed.length > 0) {
        throw new UserError(
          `collection failed for ${failed.length} of ${collectors.length} source(s): ${failed.join(', ')} (see the errors above; the samples of the others were written).`,
          { fix: 'Fix the errors listed for each source, then run again.', code: 'COLLECT_FAILED' },
        );
      }
      return;
    }
    // Continuous: each source on its own cadence until SIGINT/SIGTERM; a failed poll is retried next tick.
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await Promise.all(
      collectors.map(async (c) => {
        while (!stop.signal.aborted) {
          const started = Date.now();
          await pollOnce(c, out, log, deadlineMs, false);
          const wait = Math.max(0, c.pollIntervalSec * 1000 - (Date.now() - started));
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            stop.signal.addEventListener(
              'abort',
              () => {
                clearTimeout(t);
                resolve();
              },
              { once: true },
            );
          });
        }
      }),
    );
    process.stderr.write(`stopped; ${out.lines} sample(s) written\n`);
  } finally {
    await Promise.all(collectors.map((c) => settlesWithin(c.close(), CLOSE_WITHIN_MS)));
    await out.close();
  }
}
