// The web app's Health page shows what `collector status` shows for Azure: pending work, the last
// import job and its result (row errors included), the last ingestion batch; never a SAS or a secret.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretStore } from '../../appliance/credential-store.js';
import { startWebApp, type WebApp } from '../../appliance/web/server.js';
import { Outbox } from '../../assessment/sink/outbox.js';
import { SinkState } from '../../assessment/sink/state.js';
import { createLogger } from '../../common/log.js';
import { loadConfig } from '../../config/load.js';
import { setSecretDecryptor } from '../../config/secret-refs.js';
import { createRedis } from '../../queue/redis.js';
import { tempDir, uniquePrefix, writeConfig } from '../appliance/fixtures.js';
import { WebClient } from '../appliance/http-client.js';

const PASSWORD = 'correct horse battery staple';
const SECRET = 'health-secret-value-123';
const tmp = tempDir('health-azure');
const prefix = uniquePrefix('health-azure');
let redis: Redis;
let app: WebApp;
let client: WebClient;

beforeAll(async () => {
  process.env.HEALTH_SINK_SECRET = SECRET;
  writeFileSync(join(tmp.dir, 'admin.pw'), `${PASSWORD}\n`, { mode: 0o600 });
  const configFile = writeConfig(
    tmp.dir,
    `redis: { url: redis://127.0.0.1:6379/9, prefix: ${prefix} }
web:
  dataDir: data
  adminPassword: { file: ${join(tmp.dir, 'admin.pw')} }
sources: []
sink:
  enabled: true
  tenantId: t
  clientId: c
  clientSecret: { env: HEALTH_SINK_SECRET }
  azureMigrate: { subscriptionId: 22222222-2222-2222-2222-222222222222, resourceGroup: migrate-rg, importSite: collector-import }
  logsIngestion: { endpoint: "https://127.0.0.1:9", ruleId: dcr-00000000000000000000000000000000 }
`,
  );
  const config = loadConfig(configFile);
  redis = createRedis(config.redis);
  const state = new SinkState(redis, prefix);
  await state.recordImport({
    site: 'collector-import',
    part: 1,
    jobArmId: '/subscriptions/2222/resourceGroups/migrate-rg/providers/Microsoft.OffAzure/importSites/collector-import/jobs/job-42',
    blob: 'https://acct.blob.core.windows.net/imports/collector-import/x.csv',
    contentHash: 'ab'.repeat(32),
    servers: 12,
    finishedAt: '2026-11-01T00:05:00.000Z',
    status: 'Failed',
    done: true,
    failed: true,
    errors: ['row 7: InvalidValue: Cores "0" is not a positive number'],
    warnings: [],
    imported: 11,
  });
  await state.recordIngest({
    stream: 'Custom-CollectorPoints',
    rows: 2000,
    accepted: 2000,
    requests: 2,
    at: '2026-11-01T00:06:00.000Z',
    ok: true,
    reason: null,
  });
  const outbox = new Outbox(redis, prefix, config.sink);
  await outbox.enqueueRows('machines', 'Custom-CollectorMachines', '2026-11-01T00:00:00.000Z', [
    [{ RecordId: 'r1', Name: 'a' }],
    [{ RecordId: 'r2', Name: 'b' }],
  ]);
  await outbox.close();
  const secrets = SecretStore.open(join(tmp.dir, 'data', 'secret.key'), {});
  secrets.install();
  app = await startWebApp({
    configFile,
    config,
    redis,
    log: createLogger({ level: 'silent', pretty: false }),
    secrets,
    dataDir: join(tmp.dir, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    uploadBacklog: async () => 2,
  });
  client = new WebClient(app.url, readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
  expect((await client.login(PASSWORD)).status).toBe(303);
});

afterAll(async () => {
  await client?.close();
  await app?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis?.disconnect();
  setSecretDecryptor(undefined);
  tmp.cleanup();
});

describe('Health page: Azure', () => {
  it('shows pending work, the last import job with its row errors, and the last ingestion batch', async () => {
    const r = await client.get('/health');
    expect(r.status).toBe(200);
    const pre = /<pre class="azure-status">([\s\S]*?)<\/pre>/.exec(r.text)?.[1] ?? '';
    expect(pre).toMatch(/pending\s+2 job\(s\)/);
    expect(pre).toMatch(
      /Last import job: job-42 Failed at 2026-11-01T00:05:00\.000Z: 12 server\(s\) in https:\/\/acct\.blob\.core\.windows\.net\/imports\/collector-import\/x\.csv, 11 imported/,
    );
    expect(pre).toMatch(
      /error: row 7: InvalidValue: Cores &quot;0&quot; is not a positive number|error: row 7: InvalidValue: Cores &#34;0&#34;/,
    );
    expect(pre).toMatch(/Last ingestion batch: Custom-CollectorPoints 2000\/2000 row\(s\) accepted in 2 request\(s\)/);
    expect(pre).toMatch(/Custom-CollectorMachines: 1 of 1 row\(s\) to send/);
    expect(r.text).not.toContain(SECRET);
  });
});
