// End to end: the lab vCenter (vSphere SOAP over TLS on 127.0.0.1) -> `collector run` (the built CLI:
// scheduler, vCenter collector with its one-hour backfill, BullMQ, rollup worker) -> Redis -> `collector
// percentiles`. Every powered-on VM has points and percentiles for every series it needs; powered-off ones none.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { PointStore } from '../../rollup/point-store.js';
import { requiredSeries } from '../../rollup/series.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../queue/helpers.js';
import { testRedis } from './helpers.js';

const t = testRedis(3);
const dir = mkdtempSync(join(tmpdir(), 'collector-e2e-'));
let lab: VcenterLab | undefined;
afterAll(async () => {
  await lab?.close();
  await t.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('lab vCenter -> collector run -> points and percentiles', () => {
  it('rolls up the backfilled hour for every powered-on VM and nothing for powered-off ones', async () => {
    const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
    const password = 'e2e-Lab-Pw-1';
    lab = await startVcenterLab({ estate, users: [{ username: 'collector@vsphere.local', password }], log: createLogger({ level: 'warn' }) });
    const cfg = join(dir, 'collector.yaml');
    writeFileSync(cfg, [
      `redis: { url: ${t.url}, prefix: ${t.prefix} }`,
      'sources:',
      `  - { name: lab-vc01, kind: vcenter, url: "${lab.url}", username: collector@vsphere.local, password: { env: E2E_VC_PASSWORD }, tls: { thumbprint: "${lab.thumbprint}" } }`,
      'rollup: { stalledIntervalSec: 2, lockDurationSec: 5 }',
      `web: { enabled: false, dataDir: ${join(dir, 'data')} }`,
      '',
    ].join('\n'));
    const child = spawn(process.execPath, [CLI, 'run', '--config', cfg, '--no-web', '--no-status', '--log-format', 'json'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, E2E_VC_PASSWORD: password, COLLECTOR_LOG_LEVEL: 'info' },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.resume();
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      const inventory = new InventoryStore(t.redis, t.prefix);
      const store = new PointStore(t.redis, t.prefix);
      const now = Date.now();
      // Every powered-on VM's CPU series has points from the backfill (the first poll reads the last hour).
      await waitFor(async () => {
        const machines = await inventory.machines();
        if (machines.length === 0) return false;
        for (const m of machines.filter((x) => x.powerState === 'poweredOn')) {
          const pts = await store.readPoints({ machine: m.id, metric: 'cpu.usage.percent', instance: '', from: now - 2 * 3_600_000, to: now + 3_600_000 });
          if (pts.length < 5) return false;
        }
        return true;
      }, 150_000, `points for every powered-on VM (collector log: ${stderr.slice(-2000)})`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr.slice(-2000)).toBe(0);
    expect(stderr).not.toContain(password);

    const machines = await new InventoryStore(t.redis, t.prefix).machines();
    const on = machines.filter((m) => m.powerState === 'poweredOn');
    const off = machines.filter((m) => m.powerState === 'poweredOff');
    expect(on.length).toBeGreaterThan(0);
    expect(off.length).toBeGreaterThan(0);
    expect(machines.map((m) => m.name)).not.toContain('tpl-win2019'); // templates are not machines

    const out = join(dir, 'p.json');
    const r = await runCli(['percentiles', '--config', cfg, '--as-of', new Date(Date.now() + 600_000).toISOString(), '--history', '1d', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(out, 'utf8')) as { machines: { id: string; dataPointsPercent: number; series: { metric: string; instance: string; points: number; p95: number | null }[] }[] };
    for (const m of on) {
      const mr = rep.machines.find((x) => x.id === m.id)!;
      expect(mr.series.map((s) => `${s.metric}/${s.instance}`)).toEqual(requiredSeries(m).map((s) => `${s.metric}/${s.instance}`));
      for (const s of mr.series) {
        expect(s.points, `${m.name} ${s.metric} ${s.instance}`).toBeGreaterThanOrEqual(5);
        expect(s.p95).not.toBeNull();
      }
      expect(mr.dataPointsPercent).toBeGreaterThan(0);
      // A complete window inside the backfilled hour holds all thirty 20-s samples.
      const pts = await new PointStore(t.redis, t.prefix).readPoints({ machine: m.id, metric: 'cpu.usage.percent', instance: '', from: Date.now() - 2 * 3_600_000, to: Date.now() });
      expect(pts.some((p) => p.samples === 30), JSON.stringify(pts)).toBe(true);
      expect(pts.every((p) => p.samples <= 30)).toBe(true);
    }
    for (const m of off) {
      const mr = rep.machines.find((x) => x.id === m.id)!;
      expect(mr.series.every((s) => s.points === 0)).toBe(true);
      expect(mr.dataPointsPercent).toBe(0);
      expect(await new PointStore(t.redis, t.prefix).seriesOf(m.id)).toEqual([]);
    }
  }, 300_000);
});
