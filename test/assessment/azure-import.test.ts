// Azure Migrate import end to end against real peers: Azurite (Microsoft's storage emulator) holds the
// blob, a local ARM speaks importSites' wire format, a local Entra ID issues the tokens. The product
// gets a SAS URI from ARM, uploads the CSV with @azure/storage-blob, polls the job, and remembers the
// content per site; faults (ARM 500/429, token expiry, Azurite down, a restart) lose and double nothing.
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssessment, type Assessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { toAzureMigrateCsv } from '../../assessment/csv.js';
import { DEFAULT_PROPERTIES } from '../../assessment/properties.js';
import { enqueueAssessment } from '../../assessment/assess.js';
import { AzureClients } from '../../assessment/sink/azure-clients.js';
import { Outbox, startOutboxSender, type OutboxStatus } from '../../assessment/sink/outbox.js';
import { formatOutboxStatus } from '../../assessment/sink/status-format.js';
import type { Logger } from '../../common/log.js';
import { parseConfig, type CollectorConfig } from '../../config/load.js';
import { ArmServer } from './helpers/arm-server.js';
import { ConnectProxy, TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { Azurite } from './helpers/azurite.js';
import { machine, series } from './helpers/machines.js';
import { CLIENT, SinkEnv, TENANT, waitFor } from './helpers/sink-env.js';

const env = new SinkEnv('azimport', 'COLLECTOR_TEST_IMPORT_SECRET');
const SECRET = env.secret;
const SUB = '22222222-2222-2222-2222-222222222222';
const RG = 'migrate-rg';

let pki: TestPki;
let tokens: TokenServer;
let azurite: Azurite;
let arm: ArmServer;
const logLines: string[] = [];

function captureLog(): Logger {
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  return pino({ level: 'debug' }, stream) as unknown as Logger;
}

function assessment(n: number, over: (i: number) => Parameters<typeof machine>[0] = () => ({})): Assessment {
  const machines = Array.from({ length: n }, (_, i) =>
    machine({
      name: `srv${String(i).padStart(3, '0')}`,
      id: `vmware:vc:srv${i}`,
      cpuCores: 2 + (i % 7),
      memoryMB: 4096 * (1 + (i % 5)),
      diskGiB: [60 + i, 200],
      ipAddresses: [`10.0.0.${i + 1}`],
      ...over(i),
    }),
  );
  const percentiles = {
    asOf: '2026-11-01T00:00:00Z',
    history: '1d',
    machines: machines.map((m, i) => ({
      id: m.id,
      series: [series('cpu.usage.percent', '', 5 + i * 3), series('memory.usage.percent', '', 20 + i)],
    })),
  };
  return buildAssessment({
    machines,
    percentiles,
    properties: DEFAULT_PROPERTIES,
    catalog: loadCatalog('westus2'),
    generatedAt: '2026-11-01T00:01:00Z',
  });
}

function config(site: string, over: Record<string, unknown> = {}): CollectorConfig {
  return env.config({ azureMigrate: { subscriptionId: SUB, resourceGroup: RG, importSite: site, armEndpoint: arm.url, ...over } });
}

function sender(cfg: CollectorConfig, r: Redis) {
  const c = new AzureClients(cfg.sink, { pollMs: 30, pollTimeoutMs: 5_000, maxInlineWaitMs: 2_000 });
  return startOutboxSender(r, cfg.redis.prefix, cfg.sink, { log: captureLog(), clients: c });
}

async function settled(outbox: Outbox, want: 'completed' | 'failed'): Promise<OutboxStatus> {
  return waitFor(
    `the outbox to settle (${want})`,
    async () => {
      const st = await outbox.status();
      return st.counts.pending === 0 && st.counts[want] > 0 ? st : undefined;
    },
    60_000,
    () => logLines.slice(-20).join(''),
  );
}

async function blobsOf(site: string): Promise<{ name: string; text: string }[]> {
  const out: { name: string; text: string }[] = [];
  const c = azurite.container(arm.container);
  for await (const b of c.listBlobsFlat({ prefix: `${site}/` }))
    out.push({ name: b.name, text: (await c.getBlobClient(b.name).downloadToBuffer()).toString('utf8') });
  return out;
}

function noSecrets(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/sig=(?!\[redacted\])[A-Za-z0-9%]/);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/); // a JWT
}

beforeAll(async () => {
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
  azurite = await new Azurite().start();
  arm = await new ArmServer(pki, tokens, azurite, { subscriptionId: SUB, resourceGroup: RG, location: 'westeurope' }).start();
  env.pki = pki;
  env.tokens = tokens;
}, 60_000);

afterAll(async () => {
  await env.cleanup();
  await arm?.close();
  await azurite?.close();
  await tokens?.close();
});

describe('Azure Migrate import against Azurite and a local ARM', () => {
  it('uploads the CSV to the SAS blob; the blob rows equal the machines; the job completes; the same content is not imported twice', async () => {
    arm.sites.add('import-a');
    const cfg = config('import-a');
    const a = assessment(7);
    const r = env.redis();
    const q = await enqueueAssessment(cfg, a);
    expect(q.imports).toEqual([expect.objectContaining({ added: true, servers: 7 })]);
    const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
    const s = sender(cfg, r);
    const st = await settled(outbox, 'completed');
    await s.close();

    // Azurite holds one file, byte for byte the CSV the product exports.
    const blobs = await blobsOf('import-a');
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.text).toBe(toAzureMigrateCsv(a.machines).files[0]!.text);
    const rows = parse(blobs[0]!.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x['Server name'])).toEqual(a.machines.map((m) => m.name));
    for (const [i, m] of a.machines.entries()) {
      expect(Number(rows[i]!.Cores)).toBe(m.cpuCores);
      expect(Number(rows[i]!.Memory)).toBe(m.memoryMB);
      expect(rows[i]!['IP address']).toBe(m.ipAddresses[0]);
      expect(Number(rows[i]!['CPU utilization percentage'])).toBeCloseTo(m.performance.cpuPercent!, 1);
      expect(Number(rows[i]!['Memory utilization percentage'])).toBeCloseTo(m.performance.memoryPercent!, 1);
    }

    // ARM: one import job; every call carried the api-version and a token.
    expect(arm.jobs.filter((j) => j.site === 'import-a')).toHaveLength(1);
    const calls = arm.calls.filter((c) => c.path.includes('/import-a'));
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((c) => c.apiVersion === '2023-06-06')).toBe(true);
    expect(st.lastImport).toMatchObject({ status: 'Completed', failed: false, servers: 7, imported: 7 });
    const text = formatOutboxStatus(st, cfg.sink);
    expect(text).toMatch(
      /Last import job: \S+ Completed .* 7 server\(s\) in http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/migrate-imports\/import-a\/\S+\.csv, 7 imported/,
    );
    noSecrets(text);

    // The same content again: not queued (remembered per site), nothing new in ARM or Azurite.
    const again = await enqueueAssessment(cfg, a);
    expect(again.imports[0]).toMatchObject({ added: false, reason: expect.stringMatching(/already imported/) });
    // Changed content: a new file.
    const b = assessment(8);
    const q2 = await enqueueAssessment(cfg, b);
    expect(q2.imports[0]!.added).toBe(true);
    const s2 = sender(cfg, r);
    await waitFor('the second import', async () => (await outbox.status()).counts.completed === 2);
    await s2.close();
    await outbox.close();
    expect(await blobsOf('import-a')).toHaveLength(2);
    expect(arm.jobs.filter((j) => j.site === 'import-a')).toHaveLength(2);
    noSecrets(logLines.join(''));
  }, 90_000);

  it('faults: ARM 500s and 429s, a token expiring mid-run, Azurite down during the upload, an appliance restart: one file, one job', async () => {
    arm.sites.add('import-f');
    const cfg = config('import-f');
    const a = assessment(5);
    const r = env.redis();
    await enqueueAssessment(cfg, a);
    const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
    arm.faults.push(
      { match: /^GET .*\/importSites\/import-f$/, status: 500, times: 2 },
      { match: /^POST .*\/import-f\/importUri$/, status: 429, retryAfter: '1', times: 1 },
      { match: /^POST .*\/import-f\/importUri$/, status: 503, times: 1 },
    );
    await azurite.stop();
    const issuedBefore = tokens.issued;
    const s1 = sender(cfg, r);
    // The import URI is obtained (ARM is up), the upload fails (Azurite is down): the job waits with its progress saved.
    await waitFor('the import URI', async () => arm.jobs.some((j) => j.site === 'import-f'));
    await waitFor('a failed upload attempt', async () => {
      const st = await outbox.status();
      return [...st.delayed, ...st.waiting].some((e) => e.attempts > 0) ? true : undefined;
    });
    // Appliance restart with work pending.
    await s1.close();
    await azurite.start();
    // Mid-run, at the first poll of the job: every token issued so far is refused from now on.
    arm.onCall = (c) => {
      if (c.method === 'GET' && c.path.includes('/import-f/jobs/')) {
        arm.revokedBeforeMs = Date.now();
        arm.onCall = null;
      }
    };
    arm.faults.push({ match: /^GET .*\/import-f\/jobs\//, status: 429, retryAfter: '1', times: 1 });
    const s2 = sender(cfg, r);
    const st = await settled(outbox, 'completed');
    await s2.close();
    await outbox.close();

    expect(st.lastImport).toMatchObject({ status: 'Completed', servers: 5 });
    const blobs = await blobsOf('import-f');
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.text).toBe(toAzureMigrateCsv(a.machines).files[0]!.text);
    expect(arm.jobs.filter((j) => j.site === 'import-f')).toHaveLength(1);
    // The faults were met, and a fresh token was fetched after the revocation.
    const siteCalls = arm.calls.filter((c) => c.path.includes('/import-f'));
    expect(siteCalls.filter((c) => c.status === 500).length).toBe(2);
    expect(siteCalls.filter((c) => c.status === 429).length).toBe(2);
    expect(siteCalls.filter((c) => c.status === 401).length).toBeGreaterThanOrEqual(1);
    expect(tokens.issued).toBeGreaterThan(issuedBefore);
    // The POST importUri that succeeded happened once.
    expect(siteCalls.filter((c) => c.method === 'POST' && c.status === 200)).toHaveLength(1);
    noSecrets(logLines.join(''));
  }, 120_000);

  it('HTTPS_PROXY / HTTP_PROXY carry the token request, ARM and the Blob upload alike', async () => {
    arm.sites.add('import-p');
    const proxy = await new ConnectProxy().start();
    const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
    const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
    try {
      for (const k of names) delete process.env[k];
      process.env.HTTPS_PROXY = proxy.url;
      process.env.HTTP_PROXY = proxy.url; // Azurite speaks plain HTTP; Azure Storage is HTTPS (HTTPS_PROXY)
      const cfg = config('import-p');
      const r = env.redis();
      await enqueueAssessment(cfg, assessment(3));
      const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
      const s = sender(cfg, r);
      await settled(outbox, 'completed');
      await s.close();
      await outbox.close();
      expect(proxy.tunnels).toEqual(expect.arrayContaining([new URL(tokens.url).host, new URL(arm.url).host, `127.0.0.1:${azurite.port}`]));
      expect(await blobsOf('import-p')).toHaveLength(1);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await proxy.close();
    }
  }, 60_000);

  it('a job that fails with row errors is parked, and status shows the errors', async () => {
    arm.sites.add('import-e');
    const cfg = config('import-e');
    const a = assessment(4, (i) => (i === 2 ? { cpuCores: 0 } : {}));
    const r = env.redis();
    await enqueueAssessment(cfg, a);
    const outbox = new Outbox(r, cfg.redis.prefix, cfg.sink);
    const s = sender(cfg, r);
    const st = await settled(outbox, 'failed');
    await s.close();
    await outbox.close();
    expect(st.lastImport).toMatchObject({ status: 'Failed', failed: true });
    expect(st.lastImport!.errors).toEqual([expect.stringMatching(/^row 4: InvalidValue: Cores "0"/)]);
    expect(st.failed[0]!.reason).toMatch(/import job \S+ Failed: row 4: InvalidValue/);
    const text = formatOutboxStatus(st, cfg.sink);
    expect(text).toMatch(/error: row 4: InvalidValue: Cores "0" is not a positive number/);
    noSecrets(text);
  }, 60_000);

  it('ARM errors name the fix: missing site, create: true, role assignment, wrong subscription, resource group', async () => {
    const missing = new AzureClients(config('import-m').sink, { pollMs: 10 });
    await expect(missing.importer!.ensureSite()).rejects.toThrow(
      /HTTP 404 ResourceNotFound.*Fix: the import site does not exist.*create: true/,
    );

    const create = new AzureClients(config('import-c', { create: true }).sink, { pollMs: 10 });
    await expect(create.importer!.ensureSite()).resolves.toBe('created');
    expect(arm.sites.has('import-c')).toBe(true);
    const put = arm.calls.find((c) => c.method === 'PUT' && c.path.endsWith('/import-c'));
    expect(put).toMatchObject({ status: 201, apiVersion: '2023-06-06' });
    expect(arm.calls.some((c) => c.path.includes('/operationStatuses/') && c.apiVersion === '2023-06-06')).toBe(true);

    arm.denied = true;
    try {
      await expect(missing.importer!.ensureSite()).rejects.toThrow(
        /HTTP 403 AuthorizationFailed.*Fix: assign the app registration \(client id appliance-app-id\) a role on resource group migrate-rg/,
      );
    } finally {
      arm.denied = false;
    }
    const wrongSub = new AzureClients(config('import-m', { subscriptionId: '33333333-3333-3333-3333-333333333333' }).sink);
    await expect(wrongSub.importer!.ensureSite()).rejects.toThrow(
      /SubscriptionNotFound.*Fix: sink\.azureMigrate\.subscriptionId 33333333-3333-3333-3333-333333333333 is not a subscription/,
    );
    const wrongRg = new AzureClients(config('import-m', { resourceGroup: 'other-rg' }).sink);
    await expect(wrongRg.importer!.ensureSite()).rejects.toThrow(/ResourceGroupNotFound.*resource group other-rg does not exist/);
    const badVersion = new AzureClients(config('import-m', { apiVersion: '2019-10-01' }).sink);
    await expect(badVersion.importer!.ensureSite()).rejects.toThrow(/InvalidApiVersionParameter.*Fix: set sink\.azureMigrate\.apiVersion/);
    for (const c of [missing, create, wrongSub, wrongRg, badVersion]) await c.close();
  }, 60_000);

  it('the old sink.endpoint is a config error that names the replacement', () => {
    expect(() =>
      parseConfig({
        sink: {
          enabled: true,
          endpoint: 'https://ingest.example.azure.com/api/v1/assessments',
          tenantId: 't',
          clientId: 'c',
          clientSecret: { env: 'X' },
        },
      }),
    ).toThrow(/sink\.endpoint: sink\.endpoint .* was removed.*Fix: replace it with sink\.azureMigrate .* and\/or sink\.logsIngestion/);
    expect(() =>
      parseConfig({
        sink: {
          enabled: true,
          tenantId: 't',
          clientId: 'c',
          clientSecret: { env: 'X' },
          azureMigrate: { subscriptionId: SUB, resourceGroup: RG, importSite: 'x' },
        },
      }),
    ).toThrow(/importSite: expected 3-24 letters/);
  });
});
