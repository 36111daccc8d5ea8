import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { quantileSorted } from 'simple-statistics';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../model/index.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { machine } from '../queue/synthetic-collector.js';
import { referencePoints, testRedis } from './helpers.js';

const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ allErrors: true, strict: false, formats: { 'date-time': true } });
const validatePoints = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'points.schema.json'), 'utf8')));
const validatePercentiles = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'percentiles.schema.json'), 'utf8')));

const t = testRedis(1);
const dir = mkdtempSync(join(tmpdir(), 'collector-cli-'));
afterAll(async () => {
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;
const AS_OF = (Math.floor(Date.now() / DAY) - 1) * DAY; // yesterday midnight: one full day of history before it
const START = AS_OF - DAY;

/** A day of 20 s samples for an inventory VM (cpu, memory, disk 2000, nic 4000) and a point-only VM, with gaps. */
function daySamples(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < 4320; i++) {
    const ts = START + 13 + i * 20_000;
    if (i % 1000 < 100) continue; // gaps: some windows without any sample
    const v = (i * 7919) % 1000;
    out.push({ machine: 'vmware:vc:inv-1', metric: 'cpu.usage.percent', instance: '', ts, value: v / 10, intervalSec: 20 });
    out.push({ machine: 'vmware:vc:inv-1', metric: 'memory.usage.percent', instance: '', ts, value: (v % 500) / 5, intervalSec: 20 });
    out.push({ machine: 'vmware:vc:inv-1', metric: 'disk.read.bytesPerSec', instance: '2000', ts, value: v * 1024, intervalSec: 20 });
    if (i % 2 === 0)
      out.push({
        machine: 'vmware:vc:only-points',
        metric: 'net.received.bytesPerSec',
        instance: '4000',
        ts,
        value: v * 3,
        intervalSec: 20,
      });
  }
  return out;
}

describe('collector ingest / rollups / percentiles (built CLI, real Redis)', () => {
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(cfg, `redis: { url: ${t.url}, prefix: ${t.prefix} }\nsources: []\nrollup: { stalledIntervalSec: 2, lockDurationSec: 5 }\n`);
  const samples = daySamples();
  const file = join(dir, 'samples.ndjson');
  // Out of order and with repeats, as overlapping polls and backfill produce.
  const lines = samples.map((s) => JSON.stringify(s));
  const shuffled = [...lines.slice(5000), ...lines.slice(0, 5000), ...lines.slice(2000, 3000)];
  writeFileSync(file, `${shuffled.join('\n')}\n\n`);

  it('ingests a sample file (twice: replay changes nothing) and prints the points', async () => {
    const inv = new InventoryStore(t.redis, t.prefix);
    const m = machine('vmware:vc:inv-1');
    await inv.save(
      {
        name: 'vc',
        kind: 'vcenter',
        endpoint: 'x',
        about: {},
        machines: 1,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: [],
      },
      [m],
    );
    for (let k = 0; k < 2; k++) {
      const r = await runCli(['ingest', '--config', cfg, file, '--batch', '3000'], { timeoutMs: 120_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ samples: shuffled.length, rolledUp: true });
    }
    const r = await runCli([
      'rollups',
      '--config',
      cfg,
      '--machine',
      'vmware:vc:inv-1',
      '--metric',
      'cpu.usage.percent',
      '--from',
      new Date(START).toISOString(),
      '--to',
      new Date(AS_OF).toISOString(),
      '--json',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(validatePoints(out), JSON.stringify(validatePoints.errors)).toBe(true);
    const ref = [...referencePoints(samples).entries()].filter(([k]) => k.startsWith('vmware:vc:inv-1|cpu.usage.percent||'));
    expect(out.points).toEqual(
      ref.map(([k, v]) => ({ windowStart: new Date(Number(k.split('|')[3])).toISOString(), peak: v.peak, samples: v.count })),
    );
    expect(out.points.length).toBeGreaterThan(100);
    expect(out.points.length).toBeLessThan(144);
    const table = await runCli([
      'rollups',
      '--config',
      cfg,
      '--machine',
      'vmware:vc:inv-1',
      '--metric',
      'cpu.usage.percent',
      '--from',
      new Date(START + 2_400_000).toISOString(),
      '--to',
      new Date(START + 3_600_000).toISOString(),
    ]);
    expect(table.stdout).toContain(`${new Date(START + 3_000_000).toISOString()}`);
    expect(table.stdout).toContain('2 point(s)');
  });

  it('writes percentiles for inventory machines (needed series) and point-only machines (series in Redis)', async () => {
    const outFile = join(dir, 'p.json');
    const r = await runCli([
      'percentiles',
      '--config',
      cfg,
      '--as-of',
      new Date(AS_OF + 300_000).toISOString(),
      '--history',
      '1d',
      '--out',
      outFile,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(outFile, 'utf8'));
    expect(validatePercentiles(rep), JSON.stringify(validatePercentiles.errors)).toBe(true);
    expect(rep.asOf).toBe(new Date(AS_OF).toISOString());
    expect(rep.machines.map((m: { id: string }) => m.id)).toEqual(['vmware:vc:inv-1', 'vmware:vc:only-points']);
    const inv = rep.machines[0];
    // CPU, memory, 4 disk series, 2 NIC series; only cpu, memory and disk read bytes have points.
    expect(inv.series.map((s: { metric: string; instance: string }) => `${s.metric}/${s.instance}`)).toEqual([
      'cpu.usage.percent/',
      'memory.usage.percent/',
      'disk.read.bytesPerSec/2000',
      'disk.write.bytesPerSec/2000',
      'disk.read.opsPerSec/2000',
      'disk.write.opsPerSec/2000',
      'net.received.bytesPerSec/4000',
      'net.transmitted.bytesPerSec/4000',
    ]);
    const ref = referencePoints(samples);
    const peaks = (prefix: string) =>
      [...ref.entries()]
        .filter(([k]) => k.startsWith(prefix))
        .map(([, v]) => v.peak)
        .sort((a, b) => a - b);
    const cpu = peaks('vmware:vc:inv-1|cpu.usage.percent||');
    expect(inv.series[0]).toEqual({
      metric: 'cpu.usage.percent',
      instance: '',
      points: cpu.length,
      expectedPoints: 144,
      p50: quantileSorted(cpu, 0.5),
      p90: quantileSorted(cpu, 0.9),
      p95: quantileSorted(cpu, 0.95),
      p99: quantileSorted(cpu, 0.99),
      max: cpu[cpu.length - 1],
    });
    expect(inv.dataPointsPercent).toBe(Math.round(((3 * cpu.length) / (8 * 144)) * 10_000) / 100);
    expect(inv.confidenceStars).toBe(2);
    const only = rep.machines[1];
    expect(only.series).toHaveLength(1);
    expect(only.series[0].points).toBe(peaks('vmware:vc:only-points|').length);
    expect(only.confidenceStars).toBe(5);
  });

  it('names the bad line and the fix; bad options get a fix too', async () => {
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, `${JSON.stringify(samples[0])}\n{"machine":"m","metric":"cpu.busy","instance":"","ts":1,"value":1}\n`);
    const r = await runCli(['ingest', '--config', cfg, bad]);
    // The good line is rolled up, the bad one quarantined and named; the exit code tells a script.
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ samples: 1, refused: 1, refusedByReason: { metric: 1 } });
    expect(r.stderr).toMatch(/bad\.ndjson:2: "metric" must be one of/);
    expect(r.stderr).toMatch(/fix: Each line must be one JSON sample/);
    const h = await runCli(['percentiles', '--config', cfg, '--history', '2w']);
    expect(h.code, h.stderr).toBe(2);
    expect(h.stderr).toMatch(/--history: "2w" is not a history[\s\S]*fix: Use 1d, 7d or 30d/);
  });
});
