// End to end from the lab: `collector lab up` (simulated vCenter and Hyper-V hosts, collectors,
// rollup, its own private redis-server) with a sink section pointing at a local ARM + Azurite and a
// local Logs Ingestion endpoint. The appliance's first assessment becomes one import whose blob equals
// `collector export --format azure-migrate-csv` at the same time; the second interval imports nothing
// new (same content), and the streams receive every machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../appliance/fixtures.js';
import { ArmServer } from './helpers/arm-server.js';
import { TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { Azurite } from './helpers/azurite.js';
import { DceServer } from './helpers/dce-server.js';

const SUB = '55555555-5555-5555-5555-555555555555';
const RULE = `dcr-${'5'.repeat(32)}`;
const SECRET = `lab-sink-${Date.now()}`;
const tmp = tempDir('lab-azure');
let pki: TestPki;
let tokens: TokenServer;
let azurite: Azurite;
let arm: ArmServer;
let dce: DceServer;
let lab: ChildProcess | null = null;
let output = '';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

beforeAll(async () => {
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: 'lab-tenant', clientId: 'lab-client', clientSecret: SECRET }).start();
  azurite = await new Azurite().start();
  arm = await new ArmServer(pki, tokens, azurite, { subscriptionId: SUB, resourceGroup: 'lab-rg' }).start();
  arm.sites.add('lab-import');
  dce = await new DceServer(pki, tokens, RULE).start();
  // The config lab up keeps (it rewrites only redis.url, web and its lab sources): the sink goes to the local Azure.
  mkdirSync(join(tmp.dir, 'secrets'), { recursive: true, mode: 0o700 });
  writeFileSync(join(tmp.dir, 'secrets', 'admin-password.secret'), 'lab-admin-password-1\n', { mode: 0o600 });
  writeFileSync(
    join(tmp.dir, 'config.yaml'),
    `redis:
  url: redis://127.0.0.1:6379/9
  prefix: lab
web:
  dataDir: appliance
  adminPassword: { file: ${join(tmp.dir, 'secrets', 'admin-password.secret')} }
sources: []
sink:
  enabled: true
  tenantId: lab-tenant
  clientId: lab-client
  clientSecret: { env: LAB_AZURE_SECRET }
  authorityHost: ${tokens.url}
  instanceDiscovery: false
  azureMigrate: { subscriptionId: ${SUB}, resourceGroup: lab-rg, importSite: lab-import, armEndpoint: "${arm.url}", intervalHours: 0.02 }
  logsIngestion: { endpoint: "${dce.url}", ruleId: ${RULE} }
  tls: { caFile: ${pki.caFile} }
`,
  );
}, 60_000);

afterAll(async () => {
  if (lab && lab.exitCode === null) {
    const l = lab;
    await new Promise<void>((r) => {
      l.once('exit', () => r());
      l.kill('SIGTERM');
    });
  }
  await dce?.close();
  await arm?.close();
  await azurite?.close();
  await tokens?.close();
  tmp.cleanup();
}, 60_000);

describe('lab up with the sink pointed at a local ARM + Azurite', () => {
  it('imports the CSV that collector export writes, once per content; the streams get every machine', async () => {
    // No --redis-url: the lab's own redis-server in the data dir, so nothing is shared with other tests.
    lab = spawn(process.execPath, [CLI, 'lab', 'up', '--data-dir', tmp.dir, '--port', '0', '--log-level', 'info'], {
      cwd: ROOT,
      env: { ...process.env, LAB_AZURE_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lab.stdout!.on('data', (d) => (output += d));
    lab.stderr!.on('data', (d) => (output += d));
    await waitFor('the lab banner', () => output.includes('The lab is up.'), 120_000);
    // The sink's first assessment comes a minute after start; its import job then completes or fails on the estate's rows.
    const job = await waitFor(
      'the import job to finish',
      () => arm.jobs.find((j) => j.status === 'Completed' || j.status === 'Failed'),
      180_000,
    );
    // The next interval (72 s) builds the same content: nothing new is imported.
    await waitFor('the second interval', () => (output.match(/assessment queued for Azure/g) ?? []).length >= 2, 150_000);
    expect(output).toMatch(/"reason":"this content was already imported to the site"/);
    expect(arm.jobs).toHaveLength(1);

    const blobs: { name: string; text: string }[] = [];
    const c = azurite.container(arm.container);
    for await (const b of c.listBlobsFlat())
      blobs.push({ name: b.name, text: (await c.getBlobClient(b.name).downloadToBuffer()).toString('utf8') });
    expect(blobs).toHaveLength(1);
    // The file name carries the assessment's time; an export at that time from the lab's Redis is the same file.
    const queued = /"file":"collector-(\d{8}T\d{6}Z)\.csv"/.exec(output)![1]!;
    const asOf = queued.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    const cfg = join(tmp.dir, 'config.yaml');
    const exp = await runCli(
      ['export', '--config', cfg, '--format', 'azure-migrate-csv', '--as-of', asOf, '--out', join(tmp.dir, 'export.csv')],
      { env: { LAB_AZURE_SECRET: SECRET }, timeoutMs: 120_000 },
    );
    expect(exp.code, exp.stderr).toBe(0);
    expect(blobs[0]!.text).toBe(readFileSync(join(tmp.dir, 'export.csv'), 'utf8'));
    const servers = blobs[0]!.text.trim().split('\r\n').length - 1;
    expect(servers).toBeGreaterThan(10);
    // Every machine reached the machines stream; the job's verdict follows the rows (Azure Migrate requires an OS name).
    expect(new Set(dce.all('Custom-CollectorMachines').map((m) => m.MachineId)).size).toBe(servers);
    const noOs = blobs[0]!.text
      .split('\r\n')
      .slice(1)
      .filter((l) => l && l.split(',')[4] === '').length;
    expect(job.status).toBe(noOs > 0 ? 'Failed' : 'Completed');
    expect(job.imported).toBe(servers - noOs);
    expect(output).not.toContain(SECRET);
    expect(output).not.toMatch(/sig=(?!\[redacted\])\w/);
  }, 480_000);
});
