// The sink's identity and transport, against a local Entra ID and a local Logs Ingestion endpoint:
// client secret and certificate credentials, trust (private CA), HTTPS_PROXY/NO_PROXY for token
// requests and Azure calls alike, the appliance service, and parked work replayed once fixed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureSink } from '../../assessment/sink/scheduled-upload.js';
import { AzureClients } from '../../assessment/sink/azure-clients.js';
import { Outbox, backoffDelay, startOutboxSender } from '../../assessment/sink/outbox.js';
import { pointRow } from '../../assessment/sink/rows.js';
import { parseRetryAfter } from '../../assessment/sink/retry-after.js';
import { createLogger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { ConnectProxy, TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { DceServer } from './helpers/dce-server.js';
import { machine } from './helpers/machines.js';
import { CLIENT, SinkEnv, TENANT, waitFor } from './helpers/sink-env.js';

const env = new SinkEnv('sink', 'COLLECTOR_TEST_SINK_SECRET');
const SECRET = env.secret;
const RULE = `dcr-${'a'.repeat(32)}`;

const log = createLogger({ level: 'silent', pretty: false });
let pki: TestPki;
let tokens: TokenServer;
let dce: DceServer;
function config(over: Record<string, unknown> = {}, authority = tokens.url, endpoint = dce.url): CollectorConfig {
  return env.config(
    { logsIngestion: { endpoint, ruleId: RULE }, retry: { attempts: 60, baseDelaySec: 0.05, maxDelaySec: 0.4 }, ...over },
    authority,
  );
}

const rows = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) =>
    pointRow({
      machine: `vm-${tag}-${i}`,
      metric: 'cpu.usage.percent',
      instance: '',
      windowStart: 1_790_000_000_000,
      peak: i,
      samples: 30,
    }),
  );

beforeAll(async () => {
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
  dce = await new DceServer(pki, tokens, RULE).start();
  env.pki = pki;
  env.tokens = tokens;
});

afterAll(async () => {
  await env.cleanup();
  await dce?.close();
  await tokens?.close();
});

describe('identity and transport', () => {
  it('client secret: a token for the Monitor scope, used as the bearer of the ingestion requests', async () => {
    const az = new AzureClients(config().sink);
    expect(await az.ingest!.send('Custom-S', rows(3, 's'))).toMatchObject({ accepted: 3, remaining: [] });
    await az.close();
    expect(dce.all('Custom-S')).toHaveLength(3);
    expect(tokens.requests.find((r) => r.grantType)?.clientAuth).toBe('secret');
  });

  it('a wrong client secret fails with a reason naming the authority, never the secret', async () => {
    process.env.COLLECTOR_TEST_WRONG_SECRET = 'not-the-secret-xyz';
    const az = new AzureClients(config({ clientSecret: { env: 'COLLECTOR_TEST_WRONG_SECRET' } }).sink);
    const out = await az.ingest!.send('Custom-W', rows(1, 'w'));
    await az.close();
    expect(out.accepted).toBe(0);
    expect(out.reason).toMatch(/could not get a token from https:\/\/127\.0\.0\.1:\d+ for tenant contoso-0000.*AADSTS7000215/);
    expect(out.reason).not.toContain('not-the-secret-xyz');
    expect(dce.all('Custom-W')).toHaveLength(0);
  });

  it('does not trust the endpoints without the private CA', async () => {
    const az = new AzureClients(config({ tls: {} }).sink);
    const out = await az.ingest!.send('Custom-T', rows(1, 't'));
    await az.close();
    expect(out.accepted).toBe(0);
    expect(out.reason).toMatch(/certificate|self.signed|UNABLE_TO_VERIFY|issuer/i);
  });

  it('a certificate credential signs a client assertion the authority verifies', async () => {
    const certTokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientCert: pki.clientCert }).start();
    const certDce = await new DceServer(pki, certTokens, RULE).start();
    try {
      const az = new AzureClients(
        config({ clientSecret: undefined, certificateFile: pki.clientPemFile }, certTokens.url, certDce.url).sink,
      );
      expect(await az.ingest!.send('Custom-C', rows(2, 'c'))).toMatchObject({ accepted: 2 });
      await az.close();
      expect(certTokens.requests.find((r) => r.grantType)).toMatchObject({ clientAuth: 'assertion', ok: true });
    } finally {
      await certDce.close();
      await certTokens.close();
    }
  });

  it('HTTPS_PROXY carries the token request and the ingestion; NO_PROXY bypasses it', async () => {
    const proxy = await new ConnectProxy().start();
    const saved = {
      HTTPS_PROXY: process.env.HTTPS_PROXY,
      https_proxy: process.env.https_proxy,
      NO_PROXY: process.env.NO_PROXY,
      no_proxy: process.env.no_proxy,
    };
    try {
      delete process.env.https_proxy;
      delete process.env.no_proxy;
      delete process.env.NO_PROXY;
      process.env.HTTPS_PROXY = proxy.url;
      const az = new AzureClients(config().sink);
      expect(await az.ingest!.send('Custom-P', rows(1, 'p'))).toMatchObject({ accepted: 1 });
      await az.close();
      expect(proxy.tunnels).toContain(new URL(dce.url).host);
      expect(proxy.tunnels).toContain(new URL(tokens.url).host);

      proxy.tunnels.length = 0;
      process.env.NO_PROXY = '127.0.0.1';
      const direct = new AzureClients(config().sink);
      expect(await direct.ingest!.send('Custom-P', rows(1, 'q'))).toMatchObject({ accepted: 1 });
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

  it('Retry-After and backoff helpers', () => {
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString(), Date.now())).toBeGreaterThan(58_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(10, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('the outbox and the appliance service', () => {
  it('work Azure refuses (a wrong rule) is parked with the reason and replays once the config is fixed', async () => {
    const bad = config({ logsIngestion: { endpoint: dce.url, ruleId: `dcr-${'b'.repeat(32)}` } });
    const r = env.redis();
    const outbox = new Outbox(r, bad.redis.prefix, bad.sink);
    await outbox.enqueueRows('points', 'Custom-R', '2026-11-01T00:00:00.000Z', [rows(4, 'r')]);
    const s1 = startOutboxSender(r, bad.redis.prefix, bad.sink, { log });
    const st = await waitFor('parked', async () => {
      const x = await outbox.status();
      return x.counts.failed === 1 ? x : undefined;
    });
    await s1.close();
    expect(st.failed[0]!.reason).toMatch(/Logs Ingestion refused 4 row\(s\): Custom-R: HTTP 404/);
    expect(dce.all('Custom-R')).toHaveLength(0);
    expect(await outbox.replayFailed()).toBe(1);
    const fixed = { ...bad.sink, logsIngestion: { ...bad.sink.logsIngestion!, ruleId: RULE } };
    const s2 = startOutboxSender(r, bad.redis.prefix, fixed, { log });
    await waitFor('replayed', async () => (await outbox.status()).counts.completed === 1);
    await s2.close();
    await outbox.close();
    expect(dce.all('Custom-R')).toHaveLength(4);
  });

  it('the appliance service queues the current assessment from the inventory store and delivers it', async () => {
    const cfg = config();
    const r = env.redis();
    const machines = [machine({ name: 'svc-a', id: 'vmware:vc:svc-a' }), machine({ name: 'svc-b', id: 'vmware:vc:svc-b', cpuCores: 300 })];
    await new InventoryStore(r, cfg.redis.prefix).save(
      {
        name: 'vc',
        kind: 'vcenter',
        endpoint: 'https://vc/sdk',
        about: {},
        machines: 2,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: [],
      },
      machines,
    );
    const before = dce.all('Custom-CollectorAssessments').length;
    const svc = startAzureSink(cfg, log, { firstDelayMs: 3_600_000 });
    try {
      const q = await svc.assessNow();
      expect(q.streams.map((s) => [s.stream, s.rows, s.added])).toEqual([
        ['Custom-CollectorMachines', 2, 1],
        ['Custom-CollectorAssessments', 2, 1],
        ['Custom-CollectorPoints', 0, 0],
      ]);
      await waitFor('delivery', async () => dce.all('Custom-CollectorAssessments').length === before + 2);
    } finally {
      await svc.close();
    }
    const byName = Object.fromEntries(
      dce
        .all('Custom-CollectorAssessments')
        .slice(before)
        .map((x) => [x.Name, x]),
    );
    expect(byName['svc-a']!.Readiness).toBe('Ready');
    expect(byName['svc-b']!.Readiness).toBe('Not ready');
  });
});
