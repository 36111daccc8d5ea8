import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { errorMessage, UserError } from '../../common/errors.js';
import { redactText, type Logger } from '../../common/log.js';
import type { SourceConfig } from '../../config/load.js';
import { createCollector } from '../../appliance/collector-factory.js';
import type { Sample, SourceCollector } from '../../model/index.js';
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
  constructor(path: string) {
    this.#file = path === '-' ? null : createWriteStream(path);
    this.#stream = this.#file ?? process.stdout;
  }
  async write(batch: Sample[]): Promise<void> {
    if (batch.length === 0) return;
    let text = '';
    for (const s of batch) text += `${JSON.stringify({ machine: s.machine, metric: s.metric, instance: s.instance, ts: s.ts, value: s.value, intervalSec: s.intervalSec })}\n`;
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

/**
 * Sources that compute rates from raw counters (Hyper-V, Linux, Windows): their first poll is one reading,
 * which only primes the counters, so `--once` takes a second reading one poll interval later.
 */
const TWO_READINGS = new Set<string>(['hyperv', 'linux', 'windows']);

async function pollOnce(c: SourceCollector, out: NdjsonOut, log: Logger, note = ''): Promise<boolean> {
  const started = Date.now();
  try {
    const stats = await c.poll((batch) => out.write(batch));
    const line = `${c.name}: ${stats.samples} sample(s) from ${stats.machinesPolled} machine(s) in ${stats.requests} request(s), ${((Date.now() - started) / 1000).toFixed(1)} s${note}`;
    process.stderr.write(`${line}${stats.errors.length ? `; errors: ${redactText(stats.errors.join('; '))}` : ''}\n`);
    return stats.errors.length === 0 || stats.samples > 0;
  } catch (err) {
    const fix = err instanceof UserError && err.fix ? ` Fix: ${err.fix}` : '';
    process.stderr.write(`${c.name}: FAILED: ${redactText(errorMessage(err) + fix)}\n`);
    log.debug({ source: c.name, err: redactText(errorMessage(err)) }, 'poll failed');
    return false;
  }
}

/** One sample per series: a second reading one interval after the first where rates need two. */
async function collectOnce(c: SourceCollector, out: NdjsonOut, log: Logger): Promise<boolean> {
  if (!TWO_READINGS.has(c.kind)) return pollOnce(c, out, log);
  const started = Date.now();
  if (!(await pollOnce(c, out, log, ' (first reading: rates need two)'))) return false;
  const wait = Math.max(0, c.pollIntervalSec * 1000 - (Date.now() - started));
  process.stderr.write(`${c.name}: waiting ${Math.round(wait / 1000)} s (pollIntervalSec) for the second reading...\n`);
  await new Promise((r) => setTimeout(r, wait));
  return pollOnce(c, out, log);
}

export async function runCollect(opts: CollectOptions): Promise<void> {
  const { config, log } = loadCommandContext(opts);
  const sources = selectSources(config.sources, opts.source).map((s) => withState(s, opts.stateDir));
  const out = new NdjsonOut(opts.out);
  const collectors: SourceCollector[] = [];
  try {
    for (const cfg of sources) collectors.push(await createCollector(cfg, { log }));
    if (opts.once) {
      const ok = await Promise.all(collectors.map((c) => collectOnce(c, out, log)));
      if (!ok.some(Boolean)) throw new UserError('collection failed for every source (see the errors above).', { fix: 'Fix the errors listed for each source, then run again.', code: 'COLLECT_FAILED' });
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
          await pollOnce(c, out, log);
          const wait = Math.max(0, c.pollIntervalSec * 1000 - (Date.now() - started));
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, wait);
            stop.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
          });
        }
      }),
    );
    process.stderr.write(`stopped; ${out.lines} sample(s) written\n`);
  } finally {
    await Promise.all(collectors.map((c) => c.close().catch(() => undefined)));
    await out.close();
  }
}
