// End to end through the built CLI: the lab vCenter (sample estate) -> discover -> collect -> ingest
// (samples queue + rollup workers) -> percentiles -> assess -> upload (outbox + sink) -> a local ARM
// with Azurite holding the import blob, and a local Logs Ingestion endpoint; the imported CSV equals
// `collector export --format azure-migrate-csv`; status shows the import job and parked batches.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../model/index.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { createLogger } from '../../common/log.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { createRedis } from '../../queue/redis.js';
import { redisSettings } from '../helpers/redis-settings.js';
import type { Assessment } from '../../assessment/build.js';
import { csvHeader } from '../../assessment/csv.js';
import { schemaErrors } from '../../assessment/schemas.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { ArmServer } from './helpers/arm-server.js';
import { TokenServer, makePki, type TestPki } from './helpers/azure-lab.js';
import { Azurite } from './helpers/azurite.js';
import { DceServer } from './helpers/dce-server.js';

const dir = mkdtempSync(join(tmpdir(), 'collector-assess-e2e-'));
const prefix = `test-assess-e2e-${randomUUID().slice(0, 8)}`;
const REDIS_URL = 'redis://127.0.0.1:6379/9';
const SUB = '44444444-4444-4444-4444-444444444444';
const RULE = `dcr-${'e'.repeat(32)}`;
const env = {
  E2E_VC_PW: `vc-${randomUUID()}`,
  E2E_SINK_SECRET: `sink-${randomUUID()}`,
  COLLECTOR_LOG_LEVEL: 'warn',
};
const path = (f: string) => join(dir, f);

let lab: VcenterLab;
let pki: TestPki;
let tokens: TokenServer;
let azurite: Azurite;
let arm: ArmServer;
let dce: DceServer;
let config: string;

async function cli(args: string[], expectCode = 0) {
  const r = await runCli([...args, '--config', config], { env: { ...process.env, ...env }, timeoutMs: 180_000 });
  if (r.code !== expectCode) throw new Error(`collector ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

beforeAll(async () => {
  lab = await startVcenterLab({
    estate: loadEstate(join(ROOT, 'lab/estates/sample.yaml')),
    users: [{ username: 'e2e@vsphere.local', password: env.E2E_VC_PW }],
    log: createLogger({ level: 'silent', pretty: false }),
  });
  pki = makePki();
  tokens = await new TokenServer(pki, { tenant: 'e2e-tenant', clientId: 'e2e-client', clientSecret: env.E2E_SINK_SECRET }).start();
  azurite = await new Azurite().start();
  arm = await new ArmServer(pki, tokens, azurite, { subscriptionId: SUB, resourceGroup: 'e2e-rg' }).start();
  arm.sites.add('e2e-site');
  dce = await new DceServer(pki, tokens, RULE).start();
  config = path('collector.yaml');
  writeFileSync(
    config,
    `redis: { url: ${REDIS_URL}, prefix: ${prefix} }
sources:
  - name: lab-vc01
    kind: vcenter
    url: ${lab.url}
    username: e2e@vsphere.local
    password: { env: E2E_VC_PW }
    tls: { thumbprint: "${lab.thumbprint}" }
sink:
  enabled: true
  tenantId: e2e-tenant
  clientId: e2e-client
  clientSecret: { env: E2E_SINK_SECRET }
  authorityHost: ${tokens.url}
  instanceDiscovery: false
  azureMigrate:
    subscriptionId: ${SUB}
    resourceGroup: e2e-rg
    importSite: e2e-site
    armEndpoint: ${arm.url}
  logsIngestion:
    endpoint: ${dce.url}
    ruleId: ${RULE}
  batchSize: 2
  retry: { attempts: 20, baseDelaySec: 0.1, maxDelaySec: 1 }
  tls: { caFile: ${pki.caFile} }
`,
  );
}, 120_000);

afterAll(async () => {
  const r = createRedis(redisSettings(REDIS_URL, prefix));
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length > 0) await r.del(...keys);
  await r.quit();
  await dce?.close();
  await arm?.close();
  await azurite?.close();
  await tokens?.close();
  await lab?.close();
});

describe('assessment end to end (lab vCenter -> CLI -> local Azure)', () => {
  let assessment: Assessment;

  it('discover, collect, ingest and percentiles feed assess; the JSON is schema-valid and follows the estate', async () => {
    await cli(['discover', '--out', path('inventory.json')]);
    await cli(['collect', '--once', '--out', path('samples.ndjson')]);
    expect(readFileSync(path('samples.ndjson'), 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(100);
    await cli(['ingest', path('samples.ndjson')]);
    await cli(['percentiles', '--history', '1d', '--out', path('percentiles.json')]);
    const r = await cli([
      'assess',
      '--inventory',
      path('inventory.json'),
      '--percentiles',
      path('percentiles.json'),
      '--out',
      path('assessment.json'),
    ]);
    expect(r.stderr).toMatch(/\d+ machine\(s\): \d+ ready/);
    assessment = JSON.parse(readFileSync(path('assessment.json'), 'utf8')) as Assessment;
    expect(schemaErrors('assessment', assessment)).toEqual([]);
    const inventory = JSON.parse(readFileSync(path('inventory.json'), 'utf8')) as Inventory;
    expect(assessment.machines.map((m) => m.id).sort()).toEqual(inventory.machines.map((m) => m.id).sort());
    const byName = Object.fromEntries(assessment.machines.map((m) => [m.name, m]));
    expect(byName.web01!.readiness).toEqual({ category: 'Ready', reasons: [] });
    expect(byName.sql01!.readiness.reasons.map((x) => x.code)).toContain('boot-uefi');
    expect(byName.old01!.readiness).toMatchObject({ category: 'Conditionally ready' });
    expect(byName.old01!.readiness.reasons.map((x) => x.code)).toEqual(expect.arrayContaining(['os-windows-server-2003', 'os-32-bit']));
    // The collected hour really reached the percentiles: web01 has CPU points and a percentile value.
    const cpu = byName.web01!.series.find((s) => s.metric === 'cpu.usage.percent')!;
    expect(cpu.points).toBeGreaterThan(0);
    expect(cpu.value).toBeGreaterThan(0);
    expect(cpu.effective).toBeCloseTo(cpu.value! * 1.3, 3);
    expect(byName.web01!.confidenceStars).toBe(1); // about an hour of a 1-day history
    expect(byName.web01!.sizing.status).toBe('sized');
    // No secret anywhere in the export.
    const text = readFileSync(path('assessment.json'), 'utf8');
    expect(text).not.toContain(env.E2E_VC_PW);
    expect(text).not.toContain(env.E2E_SINK_SECRET);
  });

  it('reading the inventory store and the points in Redis gives the same records', async () => {
    const inventory = JSON.parse(readFileSync(path('inventory.json'), 'utf8')) as Inventory;
    const redis = createRedis(redisSettings(REDIS_URL, prefix));
    try {
      const store = new InventoryStore(redis, prefix);
      for (const s of inventory.sources)
        await store.save(
          s,
          inventory.machines.filter((m) => m.source === s.name),
        );
    } finally {
      await redis.quit();
    }
    await cli(['assess', '--as-of', assessment.asOf, '--out', path('assessment-redis.json')]);
    const fromRedis = JSON.parse(readFileSync(path('assessment-redis.json'), 'utf8')) as Assessment;
    expect(fromRedis.asOf).toBe(assessment.asOf);
    expect(fromRedis.machines).toEqual(assessment.machines);
  });

  it('upload --dry-run shows what would be sent where, and sends nothing', async () => {
    const r = await cli(['upload', '--assessment', path('assessment.json'), '--dry-run']);
    expect(r.stdout).toMatch(new RegExp(`Azure Migrate: collector-\\S+\\.csv, ${assessment.machines.length} server\\(s\\)`));
    expect(r.stdout).toContain(
      `POST ${arm.url}/subscriptions/${SUB}/resourceGroups/e2e-rg/providers/Microsoft.OffAzure/importSites/e2e-site/importUri?api-version=2023-06-06  { "importType": "AzureMigrateCSV" }`,
    );
    expect(r.stdout).toContain(
      `Logs Ingestion: ${assessment.machines.length} row(s) in ${Math.ceil(assessment.machines.length / 2)} batch(es) to POST ${dce.url}/dataCollectionRules/${RULE}/streams/Custom-CollectorMachines?api-version=2023-01-01`,
    );
    expect(r.stdout).not.toContain(env.E2E_SINK_SECRET);
    expect(arm.jobs).toHaveLength(0);
    expect(dce.requests).toHaveLength(0);
  });

  it('upload --send: Azurite holds the CSV that export writes, the job completes, the streams hold every record once', async () => {
    await cli(['export', '--format', 'azure-migrate-csv', '--assessment', path('assessment.json'), '--out', path('export.csv')]);
    const r = await cli(['upload', '--assessment', path('assessment.json'), '--send']);
    expect(r.stderr).toMatch(/import collector-\S+\.csv \(\d+ server\(s\)\): added to the outbox/);
    const blobs: string[] = [];
    const c = azurite.container(arm.container);
    for await (const b of c.listBlobsFlat({ prefix: 'e2e-site/' }))
      blobs.push((await c.getBlobClient(b.name).downloadToBuffer()).toString('utf8'));
    expect(blobs).toEqual([readFileSync(path('export.csv'), 'utf8')]);
    expect(arm.jobs).toHaveLength(1);
    expect(arm.jobs[0]).toMatchObject({ status: 'Completed', imported: assessment.machines.length });
    const machines = dce.all('Custom-CollectorMachines');
    expect(machines.map((m) => m.MachineId).sort()).toEqual(assessment.machines.map((m) => m.id).sort());
    expect(
      dce
        .all('Custom-CollectorAssessments')
        .map((m) => m.MachineId)
        .sort(),
    ).toEqual(assessment.machines.map((m) => m.id).sort());
    // The same assessment again: the content was imported, the batches were sent; nothing new anywhere.
    const again = await cli(['upload', '--assessment', path('assessment.json'), '--send']);
    expect(again.stderr).toMatch(/not added, this content was already imported to the site/);
    expect(again.stderr).toMatch(/Custom-CollectorMachines: \d+ row\(s\) in \d+ batch\(es\): 0 added to the outbox/);
    expect(arm.jobs).toHaveLength(1);
    expect(dce.all('Custom-CollectorMachines')).toHaveLength(assessment.machines.length);
    const st = await cli(['status']);
    expect(st.stdout).toMatch(/pending\s+0 job/);
    expect(st.stdout).toMatch(
      new RegExp(
        `Last import job: \\S+ Completed .*${assessment.machines.length} server\\(s\\) in http://127\\.0\\.0\\.1:\\d+/devstoreaccount1/migrate-imports/e2e-site/\\S+\\.csv`,
      ),
    );
    expect(st.stdout).toMatch(/Last ingestion batch: Custom-Collector\w+ \d+\/\d+ row\(s\) accepted/);
    for (const out of [r.stdout, r.stderr, st.stdout, again.stderr]) {
      expect(out).not.toContain(env.E2E_SINK_SECRET);
      expect(out).not.toMatch(/sig=(?!\[redacted\])\w/);
    }
  });

  it('a batch Azure refuses is parked, shown with its reason by status, and replayed', async () => {
    dce.faults = [{ status: 400, message: 'column CpuPercent: type mismatch' }];
    const r = await cli(
      ['upload', '--inventory', path('inventory.json'), '--percentiles', path('percentiles.json'), '--sizing', 'as-on-premises', '--send'],
      1,
    );
    expect(r.stderr).toMatch(/failed\s+1 job/);
    const st = await cli(['status', '--json']);
    const json = JSON.parse(st.stdout) as { outbox: { counts: { failed: number }; failed: { reason: string }[] } };
    expect(json.outbox.counts.failed).toBe(1);
    expect(json.outbox.failed[0]!.reason).toMatch(/Logs Ingestion refused \d+ row\(s\): Custom-Collector\w+: HTTP 400.*type mismatch/);
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/Failed:\n.*type mismatch/);
    await cli(['upload', '--no-enqueue', '--replay-failed', '--send']);
    expect((JSON.parse((await cli(['status', '--json'])).stdout) as { outbox: { counts: { failed: number } } }).outbox.counts.failed).toBe(
      0,
    );
    // Two assessments (two sizing criteria) of the same machines: two records per machine, one per RecordId.
    const recs = dce.all('Custom-CollectorAssessments');
    expect(new Set(recs.map((x) => x.RecordId)).size).toBe(recs.length);
    const perMachine = new Map<string, Set<string>>();
    for (const rec of recs)
      perMachine.set(rec.MachineId as string, (perMachine.get(rec.MachineId as string) ?? new Set()).add(rec.SizingCriterion as string));
    expect([...perMachine.values()].every((set) => set.size === 2)).toBe(true);
  });

  it('export writes the Azure Migrate CSV: exact headers and values, read back with csv-parse', async () => {
    await cli(['export', '--format', 'azure-migrate-csv', '--assessment', path('assessment.json'), '--out', path('servers.csv')]);
    const text = readFileSync(path('servers.csv'), 'utf8');
    expect(text).not.toContain(env.E2E_VC_PW);
    expect(text).not.toContain(env.E2E_SINK_SECRET);
    const rows = parse(text) as string[][];
    const most = Math.max(...assessment.machines.map((m) => m.disks.length));
    expect(rows[0]).toEqual(csvHeader(Math.min(20, Math.max(1, most))));
    const records = parse(text, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r['Server name'])).toEqual(assessment.machines.map((m) => m.name));
    for (const [i, m] of assessment.machines.entries()) {
      const row = records[i]!;
      expect(row.Cores).toBe(String(m.cpuCores));
      expect(row.Memory).toBe(String(m.memoryMB));
      expect(row['OS name']).toBe(m.os.name ?? m.os.id ?? '');
      expect(row['Number of disks']).toBe(String(m.disks.length));
      expect(row['Disk 1 size']).toBe(m.disks[0] ? String(Math.round(m.disks[0].sizeGiB * 100) / 100) : '');
      expect(row['CPU utilization percentage']).toBe(
        m.performance.cpuPercent === null ? '' : String(Math.round(m.performance.cpuPercent * 100) / 100),
      );
      expect(row['Firmware type']).toBe(m.firmware === 'uefi' ? 'UEFI' : 'BIOS');
      expect(row['MAC address']).toBe(m.nics[0]?.mac ?? '');
    }
  });
});
