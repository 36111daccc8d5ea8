// Azure Monitor Logs Ingestion through @azure/monitor-ingestion against a local data collection
// endpoint speaking its wire format (bearer token, gzip JSON array, 1 MB limit, 413/429/500): every
// machine, 10-minute point and assessment record arrives; under the stated rule (one row per
// RecordId, KQL `summarize arg_max(TimeGenerated, *) by RecordId`) none arrives twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssessment, type Assessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { AzureClients } from '../../assessment/sink/azure-clients.js';
import { buildPlan, enqueuePlan } from '../../assessment/sink/enqueue.js';
import { Outbox, startOutboxSender, type OutboxStatus } from '../../assessment/sink/outbox.js';
import { pointRow, type Row } from '../../assessment/sink/rows.js';
import { formatOutboxStatus } from '../../assessment/sink/status-format.js';
import { createLogger } from '../../common/log.js';
import type { Sample } from '../../model/index.js';
import type { CollectorConfig } from '../../config/load.js';
import { decodeBatch, encodeBatch } from '../../queue/codec.js';
import { PointStore } from '../../rollup/point-store.js';
import { WINDOW_MS, windowStart } from '../../rollup/window.js';
import { TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { DceServer } from './helpers/dce-server.js';
import { machine, series } from './helpers/machines.js';
import { CLIENT, SinkEnv, TENANT, waitFor } from './helpers/sink-env.js';

const env = new SinkEnv('ingest', 'COLLECTOR_TEST_INGEST_SECRET');
const SECRET = env.secret;
const RULE = `dcr-${'0123456789abcdef'.repeat(2)}`;
const log = createLogger({ level: 'silent', pretty: false });

let pki: TestPki;
let tokens: TokenServer;
let dce: DceServer;

function config(over: Record<string, unknown> = {}): CollectorConfig {
  return env.config({
    logsIngestion: { endpoint: dce.url, ruleId: RULE },
    retry: { attempts: 200, baseDelaySec: 0.1, maxDelaySec: 0.5 },
    ...over,
  });
}

function azure(cfg: CollectorConfig): AzureClients {
  return new AzureClients(cfg.sink, { ingestRetryDelayMs: 20 });
}

function assessment(n: number, asOf: number): Assessment {
  const machines = Array.from({ length: n }, (_, i) =>
    machine({ name: `app${String(i).padStart(4, '0')}`, id: `vmware:vc:app${i}`, cpuCores: 1 + (i % 16), memoryMB: 2048 * (1 + (i % 8)) }),
  );
  const percentiles = {
    asOf: new Date(asOf).toISOString(),
    history: '1d',
    machines: machines.map((m, i) => ({ id: m.id, series: [series('cpu.usage.percent', '', 3 + (i % 90))] })),
  };
  return buildAssessment({
    machines,
    percentiles,
    properties: DEFAULT_PROPERTIES,
    catalog: loadCatalog('westus2'),
    generatedAt: new Date(asOf).toISOString(),
  });
}

/** The stated rule: rows with the same RecordId are one row (and they are identical). */
function dedup(rows: Record<string, unknown>[]): Map<string, Record<string, unknown>> {
  const by = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const id = r.RecordId as string;
    if (by.has(id)) expect(r).toEqual(by.get(id));
    by.set(id, r);
  }
  return by;
}

function manyPointRows(n: number, tag: string): Row[] {
  return Array.from({ length: n }, (_, i) =>
    pointRow({
      machine: `vmware:vc:${tag}${i % 500}`,
      metric: 'disk.read.opsPerSec',
      instance: `${2000 + (i % 3)}-${'x'.repeat(200)}`,
      windowStart: 1_790_000_000_000 + Math.floor(i / 500) * WINDOW_MS,
      peak: i * 1.5,
      samples: 30,
    }),
  );
}

beforeAll(async () => {
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
  dce = await new DceServer(pki, tokens, RULE).start();
  env.pki = pki;
  env.tokens = tokens;
}, 30_000);

afterAll(async () => {
  await env.cleanup();
  await dce?.close();
  await tokens?.close();
});

describe('Logs Ingestion against a local data collection endpoint', () => {
  it('the outbox sends machines, 10-minute peak points from the rollup and assessment records; each arrives with its values', async () => {
    const cfg = config();
    const r = env.redis();
    const now = Date.now();
    const a = assessment(6, now);
    // Two hours of 20-second CPU samples for two machines, through the real rollup point store.
    const end = windowStart(now);
    const samples: Sample[] = [];
    for (const id of [a.machines[0]!.id, a.machines[3]!.id]) {
      for (let t = end - 12 * WINDOW_MS; t < end; t += 20_000)
        samples.push({ machine: id, metric: 'cpu.usage.percent', instance: '', ts: t, value: 10 + ((t / 20_000) % 30), intervalSec: 20 });
    }
    await new PointStore(r, cfg.redis.prefix).apply(decodeBatch(encodeBatch(samples)));

    const plan = await buildPlan(r, cfg, a, true);
    expect(plan.streams.map((s) => [s.streamName, s.rows])).toEqual([
      ['Custom-CollectorMachines', 6],
      ['Custom-CollectorAssessments', 6],
      ['Custom-CollectorPoints', 24],
    ]);
    await enqueuePlan(r, cfg, plan);
    const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
    const s = startOutboxSender(r, cfg.redis.prefix, cfg.sink, { log, clients: azure(cfg) });
    const st = await waitFor('all batches', async () => {
      const x = await outbox.status();
      return x.counts.pending === 0 && x.counts.completed === 3 ? x : undefined;
    });
    await s.close();

    const machines = dedup(dce.all('Custom-CollectorMachines'));
    expect([...machines.values()].map((m) => [m.Name, m.Cores, m.MemoryMB]).sort()).toEqual(
      a.machines.map((m) => [m.name, m.cpuCores, m.memoryMB]).sort(),
    );
    const records = dedup(dce.all('Custom-CollectorAssessments'));
    expect([...records.values()].map((x) => [x.MachineId, x.CpuPercent, x.Readiness, x.VmSize])).toEqual(
      expect.arrayContaining(a.machines.map((m) => [m.id, m.performance.cpuPercent, m.readiness.category, m.sizing.vmSize])),
    );
    // The points are the rollup's peaks: each window's maximum of the samples in it.
    const points = dedup(dce.all('Custom-CollectorPoints'));
    expect(points.size).toBe(24);
    for (const p of points.values()) {
      const t = Date.parse(p.TimeGenerated as string);
      const inWindow = samples.filter((x) => x.machine === p.MachineId && x.ts >= t && x.ts < t + WINDOW_MS);
      expect(p.Peak).toBeCloseTo(Math.max(...inWindow.map((x) => x.value)), 3);
      expect(p.Samples).toBe(inWindow.length);
    }
    expect(st.lastIngest).toMatchObject({ ok: true });

    // The next plan starts where this one stopped: the same points are not queued again.
    const next = await buildPlan(r, cfg, a, true);
    expect(next.streams.find((x) => x.stream === 'points')!.rows).toBe(0);
    await outbox.close();
  }, 60_000);

  it('a 3 MB batch is cut into requests under the 1 MB limit by the SDK; every row arrives once', async () => {
    const cfg = config();
    const az = azure(cfg);
    const rows = manyPointRows(8000, 'big');
    const before = dce.requests.length;
    const r = await az.ingest!.send('Custom-Big', rows);
    await az.close();
    expect(r).toMatchObject({ accepted: 8000, remaining: [] });
    const reqs = dce.requests.slice(before);
    expect(Buffer.byteLength(JSON.stringify(rows))).toBeGreaterThan(3_000_000);
    expect(reqs.length).toBeGreaterThanOrEqual(3);
    expect(reqs.every((q) => q.status === 204 && q.bytes <= 1024 * 1024)).toBe(true);
    expect(dce.all('Custom-Big')).toHaveLength(8000);
    expect(dedup(dce.all('Custom-Big')).size).toBe(8000);
  }, 60_000);

  it('413 (a lower limit than the SDK assumes) halves the rows until they fit; 429 with Retry-After and 500 are retried; a new token after a 401', async () => {
    const cfg = config();
    const az = azure(cfg);
    const rows = manyPointRows(3000, 'lim');
    await az.ingest!.send('Custom-Warm', manyPointRows(1, 'warm')); // the client now holds a token
    dce.limitBytes = 150_000;
    dce.faults.push({ status: 429, retryAfter: '1' }, { status: 500 });
    await new Promise((r) => setTimeout(r, 5));
    dce.revokedBeforeMs = Date.now(); // mid-run, every token so far is refused: the next request gets a 401
    const issued = tokens.issued;
    const before = dce.requests.length;
    try {
      const r = await az.ingest!.send('Custom-Limit', rows);
      expect(r).toMatchObject({ accepted: 3000, remaining: [] });
    } finally {
      dce.limitBytes = 1024 * 1024;
      await az.close();
    }
    const reqs = dce.requests.slice(before);
    expect(reqs.filter((q) => q.status === 413).length).toBeGreaterThan(0);
    expect(reqs.filter((q) => q.status === 429)).toHaveLength(1);
    expect(reqs.filter((q) => q.status === 500)).toHaveLength(1);
    expect(reqs.filter((q) => q.status === 401).length).toBeGreaterThan(0);
    expect(tokens.issued).toBeGreaterThan(issued);
    expect(reqs.filter((q) => q.status === 204).every((q) => q.bytes <= 150_000)).toBe(true);
    expect(dce.all('Custom-Limit')).toHaveLength(3000);
  }, 60_000);

  it('an answer lost after Azure stored the rows (at-least-once): repeats collapse under RecordId; an outage and a restart lose nothing', async () => {
    const cfg = config({ batchSize: 1000 });
    const r = env.redis();
    const rows = manyPointRows(4000, 'out');
    const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
    await outbox.enqueueRows('points', 'Custom-Outage', '2026-11-01T00:00:00.000Z', [
      rows.slice(0, 1000),
      rows.slice(1000, 2000),
      rows.slice(2000, 3000),
      rows.slice(3000),
    ]);
    // Enqueuing the same batches again is a no-op.
    expect(await outbox.enqueueRows('points', 'Custom-Outage', '2026-11-01T00:00:00.000Z', [rows.slice(0, 1000)])).toEqual({
      added: 0,
      already: 1,
    });
    dce.faults.push({ kind: 'store-then-500' }, ...Array.from({ length: 12 }, () => ({ status: 503 as const })));
    const s1 = startOutboxSender(r, cfg.redis.prefix, cfg.sink, { log, clients: azure(cfg) });
    await waitFor('a retried batch', async () =>
      (await outbox.status()).counts.delayed + (await outbox.status()).counts.completed > 0 ? true : undefined,
    );
    await s1.close(); // appliance restart with work pending
    const s2 = startOutboxSender(r, cfg.redis.prefix, cfg.sink, { log, clients: azure(cfg) });
    const st: OutboxStatus = await waitFor('all batches', async () => {
      const x = await outbox.status();
      return x.counts.pending === 0 && x.counts.completed === 4 ? x : undefined;
    });
    await s2.close();
    await outbox.close();
    const got = dce.all('Custom-Outage');
    const unique = dedup(got);
    expect(unique.size).toBe(4000);
    expect(new Set(rows.map((x) => x.RecordId))).toEqual(new Set(unique.keys()));
    // The stored-but-unanswered request was sent again: raw rows hold repeats, the rule removes them.
    expect(got.length).toBeGreaterThan(4000);
    expect(got.length - 4000).toBeLessThanOrEqual(1000);
    const text = formatOutboxStatus(st, cfg.sink);
    expect(text).toMatch(/Last ingestion batch: Custom-Outage 1000\/1000 row\(s\) accepted/);
    expect(text).not.toContain(SECRET);
  }, 90_000);

  it('rows Azure will never accept (a wrong rule: 404) come back with the reason, none counted as accepted', async () => {
    const cfg = config();
    const az = azure(cfg);
    const rows = manyPointRows(10, 'bad');
    const r = await az.ingest!.send('Custom-Bad', rows);
    expect(r.remaining).toHaveLength(0);
    expect(dce.all('Custom-Bad')).toHaveLength(10);
    const wrongRule = new AzureClients(config({ logsIngestion: { endpoint: dce.url, ruleId: `dcr-${'f'.repeat(32)}` } }).sink, {
      ingestRetryDelayMs: 20,
    });
    const bad = await wrongRule.ingest!.send('Custom-Bad', rows);
    expect(bad).toMatchObject({ accepted: 0, status: 404 });
    expect(bad.remaining).toHaveLength(10);
    expect(bad.reason).toMatch(/HTTP 404/);
    expect(bad.reason).not.toContain(SECRET);
    expect(dce.all('Custom-Bad')).toHaveLength(10);
    await az.close();
    await wrongRule.close();
  }, 30_000);
});
