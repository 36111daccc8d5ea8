import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createLogger } from '../../common/log.js';
import { parseConfig } from '../../config/load.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import { createRedis } from '../../queue/redis.js';
import { redisSettings } from '../helpers/redis-settings.js';
import { buildAssessment, type Assessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toPayloads } from '../../assessment/payload.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { Outbox, backoffDelay, startOutboxSender } from '../../assessment/sink/outbox.js';
import { Sender, parseRetryAfter } from '../../assessment/sink/sender.js';
import { startAzureSink } from '../../assessment/sink/scheduled-upload.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { ConnectProxy, IngestionServer, TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { machine, series } from './helpers/machines.js';

const REDIS_URL = 'redis://127.0.0.1:6379/5';
const TENANT = 'contoso-0000';
const CLIENT = 'appliance-app-id';
const SECRET = `s3cret-${randomUUID()}`;
const SCOPE = 'api://assessment-ingest/.default';
process.env.COLLECTOR_TEST_SINK_SECRET = SECRET;

const log = createLogger({ level: 'silent', pretty: false });
let pki: TestPki;
let tokens: TokenServer;
let ingest: IngestionServer;
const prefixes: string[] = [];
const redisClients: Redis[] = [];

function assessment(n: number): Assessment {
  const machines = Array.from({ length: n }, (_, i) => machine({ name: `vm${String(i).padStart(3, '0')}`, id: `vmware:vc:vm${i}` }));
  const percentiles = { asOf: '2026-11-01T00:00:00Z', history: '1d', machines: machines.map((m) => ({ id: m.id, series: [series('cpu.usage.percent', '', 10 + (machines.indexOf(m) % 50))] })) };
  return buildAssessment({ machines, percentiles, properties: DEFAULT_PROPERTIES, catalog: loadCatalog('westus2'), generatedAt: '2026-11-01T00:01:00Z' });
}

function settings(over: Partial<SinkSettings> = {}): SinkSettings {
  return parseConfig({
    sink: {
      enabled: true,
      endpoint: ingest.url,
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: { env: 'COLLECTOR_TEST_SINK_SECRET' },
      authorityHost: tokens.url,
      instanceDiscovery: false,
      scope: SCOPE,
      batchSize: 3,
      retry: { attempts: 60, baseDelaySec: 0.05, maxDelaySec: 0.4 },
      tls: { caFile: pki.caFile },
    },
  }).sink as SinkSettings & typeof over;
}

function redis(): Redis {
  const r = createRedis(redisSettings(REDIS_URL, 'x'), { forWorker: true });
  redisClients.push(r);
  return r;
}

function newPrefix(): string {
  const p = `test-sink-${randomUUID().slice(0, 8)}`;
  prefixes.push(p);
  return p;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, clientCert: undefined }).start();
  ingest = await new IngestionServer(pki, tokens, 'api://assessment-ingest').start();
});

afterEach(() => {
  ingest.faults = [];
  ingest.outage = null;
  ingest.stored.clear();
  ingest.deliveries.length = 0;
});

afterAll(async () => {
  const r = createRedis(redisSettings(REDIS_URL, 'x'));
  for (const p of prefixes) {
    const keys = await r.keys(`${p}:*`);
    if (keys.length > 0) await r.del(...keys);
  }
  await r.quit();
  for (const c of redisClients) await c.quit().catch(() => undefined);
  await ingest?.close();
  await tokens?.close();
});

describe('the Azure sink against a local authority and ingestion endpoint', () => {
  it('authenticates with @azure/identity (client secret), POSTs gzip JSON with a bearer token and idempotency key', async () => {
    const a = assessment(4);
    const sender = new Sender(settings());
    const payloads = toPayloads(a, 3);
    for (const p of payloads) expect(await sender.send(p)).toMatchObject({ kind: 'sent', status: 202, duplicate: false });
    // The same batch again is recognised by its key, not stored twice.
    expect(await sender.send(payloads[0]!)).toMatchObject({ kind: 'sent', status: 200, duplicate: true });
    await sender.close();
    expect(ingest.records.map((r) => r.id)).toEqual(a.machines.map((m) => m.id));
    expect(ingest.records).toEqual(a.machines);
    expect(tokens.issued).toBe(1);
    expect(tokens.requests.find((r) => r.grantType)?.clientAuth).toBe('secret');
  });

  it('a wrong client secret is an authentication failure whose reason names the authority but never the secret', async () => {
    const s = settings();
    process.env.COLLECTOR_TEST_WRONG_SECRET = 'not-the-secret-xyz';
    const sender = new Sender({ ...s, clientSecret: { env: 'COLLECTOR_TEST_WRONG_SECRET' } });
    const out = await sender.send(toPayloads(assessment(1), 1)[0]!);
    await sender.close();
    expect(out.kind).toBe('auth');
    if (out.kind !== 'auth') throw new Error('kind');
    expect(out.reason).toMatch(/could not get a token from https:\/\/127\.0\.0\.1:\d+ for tenant contoso-0000/);
    expect(out.reason).toMatch(/AADSTS7000215/);
    expect(out.reason).not.toContain('not-the-secret-xyz');
    expect(ingest.deliveries).toHaveLength(0);
  });

  it('does not trust the endpoint without its CA: the failure is a retry naming the certificate problem', async () => {
    const sender = new Sender({ ...settings(), tls: {} });
    const out = await sender.send(toPayloads(assessment(1), 1)[0]!);
    await sender.close();
    expect(out.kind).toBe('auth');
    expect(JSON.stringify(out)).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY|issuer/i);
    expect(ingest.deliveries).toHaveLength(0);
  });

  it('never sends a token that is about to expire: short-lived tokens are fetched fresh for each batch', async () => {
    const shortTokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET, expiresInSec: 30 }).start();
    const shortIngest = await new IngestionServer(pki, shortTokens, 'api://assessment-ingest').start();
    try {
      const sender = new Sender({ ...settings(), endpoint: shortIngest.url, authorityHost: shortTokens.url });
      for (const p of toPayloads(assessment(3), 1)) expect(await sender.send(p)).toMatchObject({ kind: 'sent', status: 202 });
      await sender.close();
      expect(shortTokens.issued).toBe(3);
      expect(shortIngest.deliveries.map((d) => d.status)).toEqual([202, 202, 202]);
    } finally {
      await shortIngest.close();
      await shortTokens.close();
    }
  });

  it('Retry-After and backoff helpers', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString(), Date.now())).toBeGreaterThan(58_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('999999')).toBe(6 * 3600_000);
    expect([1, 2, 3, 4, 10, 50].map((n) => backoffDelay(n, 1000, 60_000, () => 1))).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000]);
    expect(backoffDelay(3, 1000, 60_000, () => 0)).toBe(2000);
  });
});

describe('the durable outbox (BullMQ) through faults', () => {
  it('after 500s, dropped connections, a timeout, 429/503 with Retry-After and token expiry, the endpoint holds every record exactly once', async () => {
    const prefix = newPrefix();
    const s = settings();
    const outbox = new Outbox(redis(), prefix, s);
    const a = assessment(20);
    const payloads = toPayloads(a, s.batchSize); // 7 batches
    expect(await outbox.enqueue(payloads)).toEqual({ added: 7, already: 0 });
    expect(await outbox.enqueue(payloads)).toEqual({ added: 0, already: 7 });
    const issuedBefore = tokens.issued;
    ingest.faults = [
      { kind: 'status', status: 500 },
      { kind: 'drop-before' },
      { kind: 'drop-after' },
      { kind: 'hang' },
      { kind: 'status', status: 429, retryAfter: '1' },
      { kind: 'status', status: 503, retryAfter: '1' },
      { kind: 'expire-tokens' },
      { kind: 'status', status: 502 },
      { kind: 'drop-after' },
    ];
    const sender = startOutboxSender(redis(), prefix, s, { log, timeoutMs: 1500 });
    try {
      const st = await waitFor('the outbox to drain', async () => {
        const x = await outbox.status();
        return x.counts.completed === 7 && x.counts.pending === 0 && x;
      }, 60_000);
      expect(st.counts.failed).toBe(0);
    } finally {
      await sender.close();
      await outbox.close();
    }
    expect(ingest.faults).toEqual([]);
    // Every record exactly once, equal to the assessment.
    const ids = ingest.records.map((r) => r.id).sort();
    expect(ids).toEqual(a.machines.map((m) => m.id).sort());
    expect(new Set(ids).size).toBe(20);
    expect(ingest.stored.size).toBe(7);
    // The faults really happened: more deliveries than batches, duplicates recognised by key.
    expect(ingest.deliveries.length).toBeGreaterThanOrEqual(7 + 9);
    expect(ingest.deliveries.filter((d) => d.status === 200).length).toBeGreaterThanOrEqual(2);
    // Token expiry mid-run: a fresh token was fetched from the authority.
    expect(tokens.issued).toBeGreaterThan(issuedBefore);
    // Retry-After honoured: the batch answered 429 / 503 was not tried again for a second.
    for (const status of [429, 503]) {
      const i = ingest.deliveries.findIndex((d) => d.status === status);
      const next = ingest.deliveries.slice(i + 1).find((d) => d.key === ingest.deliveries[i]!.key);
      expect(next, `a retry after ${status}`).toBeDefined();
      expect(next!.at - ingest.deliveries[i]!.at).toBeGreaterThanOrEqual(950);
    }
  });

  it('an outage of many failed attempts and a restart lose nothing; pending batches show with their reason meanwhile', async () => {
    const prefix = newPrefix();
    const s = settings();
    const outbox = new Outbox(redis(), prefix, s);
    const a = assessment(5);
    await outbox.enqueue(toPayloads(a, s.batchSize));
    ingest.outage = { status: 503 };
    const sender = startOutboxSender(redis(), prefix, s, { log, timeoutMs: 3000 });
    try {
      await waitFor('several failed attempts', async () => ingest.deliveries.length >= 12);
      const during = await outbox.status();
      expect(during.counts.pending).toBe(2);
      expect(during.counts.completed).toBe(0);
      expect(during.counts.failed).toBe(0);
      const reasons = [...during.delayed, ...during.waiting].map((e) => e.reason);
      for (const e of during.delayed) {
        const due = Date.parse(e.nextAttemptAt ?? '');
        expect(due).toBeGreaterThan(Date.now() - 5_000);
        expect(due).toBeLessThan(Date.now() + 5_000);
      }
      expect(reasons.some((r) => /HTTP 503/.test(r ?? ''))).toBe(true);
      // The appliance restarts during the outage: the batches wait in Redis for the next sender.
      await sender.close();
      ingest.outage = null;
      const restarted = startOutboxSender(redis(), prefix, s, { log, timeoutMs: 3000 });
      try {
        await waitFor('the outbox to drain', async () => (await outbox.status()).counts.completed === 2);
      } finally {
        await restarted.close();
      }
    } finally {
      await sender.close();
      await outbox.close();
    }
    expect(ingest.records.map((r) => r.id).sort()).toEqual(a.machines.map((m) => m.id).sort());
  });

  it('a 4xx the endpoint will never accept is parked as failed with its reason, and replays once fixed', async () => {
    const prefix = newPrefix();
    const s = settings();
    const outbox = new Outbox(redis(), prefix, s);
    const a = assessment(2);
    await outbox.enqueue(toPayloads(a, 3));
    ingest.faults = [{ kind: 'status', status: 422, body: { error: 'UnsupportedSchemaVersion', message: 'schemaVersion 1.0 is not enabled for this project' } }];
    const sender = startOutboxSender(redis(), prefix, s, { log, timeoutMs: 3000 });
    try {
      const st = await waitFor('the batch to be parked', async () => {
        const x = await outbox.status();
        return x.counts.failed === 1 && x;
      });
      expect(st.failed[0]).toMatchObject({ batch: '1/1', records: 2, attempts: 1 });
      expect(st.failed[0]!.reason).toMatch(/rejected the batch \(HTTP 422: .*UnsupportedSchemaVersion/);
      expect(ingest.records).toHaveLength(0);
      expect(ingest.deliveries).toHaveLength(1);
      expect(await outbox.replayFailed()).toBe(1);
      await waitFor('the replay to be accepted', async () => (await outbox.status()).counts.completed === 1);
    } finally {
      await sender.close();
      await outbox.close();
    }
    expect(ingest.records.map((r) => r.id)).toEqual(a.machines.map((m) => m.id));
  });
});

describe('the sink as an appliance service', () => {
  it('queues the current assessment from the inventory store and delivers it', async () => {
    const prefix = newPrefix();
    const cfg = parseConfig({ redis: { url: REDIS_URL, prefix }, sink: { ...settings(), enabled: true } });
    const r = redis();
    const machines = [machine({ name: 'svc-a', id: 'vmware:vc:svc-a' }), machine({ name: 'svc-b', id: 'vmware:vc:svc-b', cpuCores: 300 })];
    await new InventoryStore(r, prefix).save({ name: 'vc', kind: 'vcenter', endpoint: 'https://vc/sdk', about: {}, machines: 2, templatesSkipped: 0, discoveredAt: new Date().toISOString(), errors: [] }, machines);
    const svc = startAzureSink(cfg, log, { firstDelayMs: 3_600_000 });
    try {
      expect(await svc.assessNow()).toMatchObject({ records: 2, batches: 1, added: 1 });
      await waitFor('delivery', async () => ingest.records.length === 2);
    } finally {
      await svc.close();
    }
    const byName = Object.fromEntries((ingest.records as unknown as { name: string; readiness: { category: string } }[]).map((x) => [x.name, x]));
    expect(byName['svc-a']!.readiness.category).toBe('Ready');
    expect(byName['svc-b']!.readiness.category).toBe('Not ready');
  });
});

describe('certificate credentials and proxies', () => {
  it('ClientCertificateCredential signs a client assertion the authority verifies', async () => {
    const certTokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientCert: pki.clientCert }).start();
    const certIngest = await new IngestionServer(pki, certTokens, 'api://assessment-ingest').start();
    try {
      const s = { ...settings(), endpoint: certIngest.url, authorityHost: certTokens.url, clientSecret: undefined, certificateFile: pki.clientPemFile };
      const sender = new Sender(s);
      const p = toPayloads(assessment(2), 5)[0]!;
      expect(await sender.send(p)).toMatchObject({ kind: 'sent', status: 202 });
      await sender.close();
      expect(certTokens.requests.find((r) => r.grantType)).toMatchObject({ clientAuth: 'assertion', ok: true });
      expect(certIngest.records).toHaveLength(2);
    } finally {
      await certIngest.close();
      await certTokens.close();
    }
  });

  it('HTTPS_PROXY carries both the token request and the upload; NO_PROXY bypasses it', async () => {
    const proxy = await new ConnectProxy().start();
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, https_proxy: process.env.https_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    try {
      delete process.env.https_proxy;
      delete process.env.no_proxy;
      delete process.env.NO_PROXY;
      process.env.HTTPS_PROXY = proxy.url;
      const sender = new Sender(settings());
      const out = await sender.send(toPayloads(assessment(1), 1)[0]!);
      expect(out, JSON.stringify(out)).toMatchObject({ kind: "sent" });
      await sender.close();
      const ingestHost = new URL(ingest.url).host;
      const tokenHost = new URL(tokens.url).host;
      expect(proxy.tunnels).toContain(ingestHost);
      expect(proxy.tunnels).toContain(tokenHost);

      proxy.tunnels.length = 0;
      process.env.NO_PROXY = '127.0.0.1';
      const direct = new Sender(settings());
      expect(await direct.send(toPayloads(assessment(2), 2)[0]!)).toMatchObject({ kind: 'sent' });
      await direct.close();
      expect(proxy.tunnels).toEqual([]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await proxy.close();
    }
  });
});
