import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../common/log.js';
import type { Sample } from '../../model/index.js';
import { parseConfig, type CollectorConfig } from '../../config/load.js';

export function captureLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

export function testConfig(url: string, prefix: string, rollup: Partial<CollectorConfig['rollup']> = {}): CollectorConfig {
  return parseConfig({ redis: { url, prefix }, rollup: { stalledIntervalSec: 1, lockDurationSec: 3, ...rollup } });
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 60_000, what = 'condition', pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Deterministic synthetic samples: `machines` VMs x cpu/memory/one disk, 20 s apart, starting at t0. */
export function syntheticSamples(t0: number, machines: number, perSeries: number): Sample[] {
  const out: Sample[] = [];
  for (let m = 0; m < machines; m++) {
    for (let i = 0; i < perSeries; i++) {
      const ts = t0 + i * 20_000 + m * 7; // unaligned per machine
      out.push({
        machine: `vm-${m}`,
        metric: 'cpu.usage.percent',
        instance: '',
        ts,
        value: ((m * 31 + i * 17) % 997) / 10,
        intervalSec: 20,
      });
      out.push({
        machine: `vm-${m}`,
        metric: 'memory.usage.percent',
        instance: '',
        ts,
        value: ((m * 13 + i * 7) % 1000) / 10,
        intervalSec: 20,
      });
      out.push({
        machine: `vm-${m}`,
        metric: 'disk.read.bytesPerSec',
        instance: '2000',
        ts,
        value: (m + 1) * ((i * 7919) % 10007),
        intervalSec: 20,
      });
    }
  }
  return out;
}
