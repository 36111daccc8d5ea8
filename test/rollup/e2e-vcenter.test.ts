// End to end: a vCenter simulator (vSphere SOAP over TLS on 127.0.0.1: the project's lab vCenter, and
// VMware's own govmomi simulator when built) -> `collector run` (the built CLI: scheduler, vCenter collector
// with its one-hour backfill, BullMQ, rollup worker) -> Redis -> `collector percentiles`. Every powered-on
// VM has points and percentiles for every series it needs; powered-off ones none.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { startSim, type Sim } from '../../lab/govmomi/launch.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { PointStore } from '../../rollup/point-store.js';
import { requiredSeries } from '../../rollup/series.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { PEERS, requirePeer } from '../helpers/peers.js';
import { waitFor } from '../queue/helpers.js';
import { deleteByPrefix, testRedis } from './helpers.js';

const t = testRedis(3);
const dir = mkdtempSync(join(tmpdir(), 'collector-e2e-'));
let lab: VcenterLab | undefined;
let sim: Sim | undefined;
const prefixes: string[] = [];
afterAll(async () => {
  await lab?.close();
  await sim?.stop();
  for (const p of prefixes) await deleteByPrefix(t.redis, p);
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function runAgainst(
  name: string,
  vc: { url: string; thumbprint: string; username: string; password: string },
  opts: { templateName?: string; calls?: () => Record<string, number> },
): Promise<void> {
  const password = vc.password;
  const prefix = `e2e-${name}-${randomUUID().slice(0, 8)}`; // redis.prefix allows 40 characters
  prefixes.push(prefix);
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    [
      `redis: { url: ${t.url}, prefix: ${prefix} }`,
      'sources:',
      `  - { name: ${name}, kind: vcenter, url: "${vc.url}", username: "${vc.username}", password: { env: E2E_VC_PASSWORD }, tls: { thumbprint: "${vc.thumbprint}" } }`,
      'rollup: { stalledIntervalSec: 2, lockDurationSec: 5 }',
      `web: { enabled: false, dataDir: ${join(dir, 'data')} }`,
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [CLI, 'run', '--config', cfg, '--no-web', '--no-status', '--log-format', 'json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, E2E_VC_PASSWORD: password, COLLECTOR_LOG_LEVEL: 'info' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  try {
    const inventory = new InventoryStore(t.redis, prefix);
    const store = new PointStore(t.redis, prefix);
    const now = Date.now();
    // Every powered-on VM's CPU series has points from the backfill (the first poll reads the last hour).
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`collector run exited with ${child.exitCode}: ${stderr.slice(-2000)}`);
        const machines = await inventory.machines();
        if (machines.length === 0) return false;
        for (const m of machines.filter((x) => x.powerState === 'poweredOn')) {
          const pts = await store.readPoints({
            machine: m.id,
            metric: 'cpu.usage.percent',
            instance: '',
            from: now - 2 * 3_600_000,
            to: now + 3_600_000,
          });
          if (pts.length < 5) return false;
        }
        return true;
      },
      150_000,
      'points for every powered-on VM',
    );
  } finally {
    child.kill('SIGTERM');
  }
  expect(await exited, stderr.slice(-2000)).toBe(0);
  expect(stderr).not.toContain(password);
  // SIGTERM closed the collector: its vCenter session was logged out.
  if (opts.calls) expect(opts.calls().Logout).toBe(opts.calls().Login);

  const machines = await new InventoryStore(t.redis, prefix).machines();
  const on = machines.filter((m) => m.powerState === 'poweredOn');
  const off = machines.filter((m) => m.powerState === 'poweredOff');
  expect(on.length).toBeGreaterThan(0);
  expect(off.length).toBeGreaterThan(0);
  if (opts.templateName) expect(machines.map((m) => m.name)).not.toContain(opts.templateName); // templates are not machines

  const out = join(dir, 'p.json');
  const r = await runCli([
    'percentiles',
    '--config',
    cfg,
    '--as-of',
    new Date(Date.now() + 600_000).toISOString(),
    '--history',
    '1d',
    '--out',
    out,
  ]);
  expect(r.code, r.stderr).toBe(0);
  const rep = JSON.parse(readFileSync(out, 'utf8')) as {
    machines: {
      id: string;
      dataPointsPercent: number;
      series: { metric: string; instance: string; points: number; p95: number | null }[];
    }[];
  };
  for (const m of on) {
    const mr = rep.machines.find((x) => x.id === m.id)!;
    expect(mr.series.map((s) => `${s.metric}/${s.instance}`)).toEqual(requiredSeries(m).map((s) => `${s.metric}/${s.instance}`));
    for (const s of mr.series) {
      expect(s.points, `${m.name} ${s.metric} ${s.instance}`).toBeGreaterThanOrEqual(5);
      expect(s.p95).not.toBeNull();
    }
    expect(mr.dataPointsPercent).toBeGreaterThan(0);
    // A complete window inside the backfilled hour holds all thirty 20-s samples.
    const pts = await new PointStore(t.redis, prefix).readPoints({
      machine: m.id,
      metric: 'cpu.usage.percent',
      instance: '',
      from: Date.now() - 2 * 3_600_000,
      to: Date.now(),
    });
    expect(
      pts.some((p) => p.samples === 30),
      JSON.stringify(pts),
    ).toBe(true);
    expect(pts.every((p) => p.samples <= 30)).toBe(true);
  }
  for (const m of off) {
    const mr = rep.machines.find((x) => x.id === m.id)!;
    expect(mr.series.every((s) => s.points === 0)).toBe(true);
    expect(mr.dataPointsPercent).toBe(0);
    expect(await new PointStore(t.redis, prefix).seriesOf(m.id)).toEqual([]);
  }
}

describe('vCenter simulator -> collector run -> points and percentiles', () => {
  it('lab vCenter: rolls up the backfilled hour for every powered-on VM and nothing for powered-off ones', async () => {
    const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
    const password = 'e2e-Lab-Pw-1';
    lab = await startVcenterLab({
      estate,
      users: [{ username: 'collector@vsphere.local', password }],
      log: createLogger({ level: 'warn' }),
    });
    await runAgainst(
      'lab-vc01',
      { url: lab.url, thumbprint: lab.thumbprint, username: 'collector@vsphere.local', password },
      { templateName: 'tpl-win2019', calls: () => lab!.calls() },
    );
  }, 300_000);

  it.skipIf(requirePeer(PEERS.govmomiSim))(
    'govmomi simulator (VMware vcsim): the same for its powered-on and powered-off VMs',
    async () => {
      sim = await startSim({ vms: 4, poweredOff: 0.34, templates: 1, hosts: 1, clusters: 1, clusterHosts: 1 });
      await runAgainst('vcsim', { url: sim.url, thumbprint: sim.thumbprint, username: sim.username, password: sim.password }, {});
    },
    300_000,
  );
});
