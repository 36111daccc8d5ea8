import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareLab, type PreparedLab } from '../../cli/run/lab-up.js';
import { checkSource } from '../../appliance/web/source-check.js';
import { createLogger } from '../../common/log.js';
import { loadConfig } from '../../config/load.js';
import { createRedis } from '../../queue/redis.js';
import { redisSettings } from '../helpers/redis-settings.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from './fixtures.js';

const log = createLogger({ level: 'silent', pretty: false });
const tmp = tempDir('labprep');
let lab: PreparedLab;

beforeAll(async () => {
  lab = await prepareLab({ estateFile: join(ROOT, 'lab/estates/sample.yaml'), dataDir: tmp.dir, webHost: '127.0.0.1', webPort: 0, log });
}, 120_000);

afterAll(async () => {
  await lab?.close();
  tmp.cleanup();
});

describe('lab up: preparation', () => {
  it('starts a private redis-server with its data in the data dir, on an ephemeral loopback port', async () => {
    expect(lab.redis).not.toBeNull();
    expect(lab.redis!.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
    expect(lab.redis!.port).not.toBe(6379);
    const r = createRedis(redisSettings(lab.redis!.url, 'lab'));
    expect(await r.ping()).toBe('PONG');
    expect(await r.config('GET', 'dir')).toEqual(['dir', join(tmp.dir, 'redis')]);
    r.disconnect();
  });

  it('writes a valid config whose lab sources point at the simulators, with pinned thumbprints and secrets in 0600 files', () => {
    const cfg = loadConfig(lab.configFile);
    expect(cfg.redis.url).toBe(lab.redis!.url);
    expect(cfg.web.port).toBe(0);
    const names = cfg.sources.map((s) => s.name).sort();
    expect(names).toEqual(['lab-hvclu01', 'lab-hyperv', 'lab-linux', 'lab-vc01', 'lab-windows']);
    const vc = cfg.sources.find((s) => s.name === 'lab-vc01')!;
    expect(vc.kind).toBe('vcenter');
    expect(vc.kind === 'vcenter' && vc.url).toBe(lab.vcenters[0]!.url);
    expect(vc.kind === 'vcenter' && vc.tls.thumbprint).toBe(lab.vcenters[0]!.thumbprint);
    for (const s of cfg.sources) {
      const ref = (s.kind === 'linux' ? s.privateKey : s.password) as { file: string };
      expect(statSync(ref.file).mode & 0o777).toBe(0o600);
      expect(readFileSync(lab.configFile, 'utf8')).not.toContain(readFileSync(ref.file, 'utf8').trim());
    }
    expect(readFileSync(lab.configFile, 'utf8')).not.toContain(lab.adminPassword);
  });

  it('every lab source passes the web app validation: reachable, trusted, signed in, machines discovered', async () => {
    const cfg = loadConfig(lab.configFile);
    const counts: Record<string, number | null> = {};
    for (const s of cfg.sources) {
      const r = await checkSource(s, log);
      const failed = r.lines.filter((l) => l.status === 'fail');
      expect(failed, `${s.name}: ${JSON.stringify(failed)}`).toEqual([]);
      counts[s.name] = r.machines;
    }
    // The sample estate: vc01 has web01, sql01, app01, old01 (+1 template skipped); Hyper-V VMs on the cluster and on hv03.
    const vmwareVms = lab.estate.vms.filter((v) => v.host.platform === 'vmware' && !v.template).length;
    expect(counts['lab-vc01']).toBe(vmwareVms);
    const hvCluster = lab.estate.vms.filter((v) => v.host.platform === 'hyperv' && v.host.cluster).length;
    const hvAlone = lab.estate.vms.filter((v) => v.host.platform === 'hyperv' && !v.host.cluster).length;
    expect(counts['lab-hvclu01']).toBe(hvCluster);
    expect(counts['lab-hyperv']).toBe(hvAlone);
    expect(counts['lab-linux']).toBe(lab.estate.servers.filter((s) => s.family === 'linux' && !s.down).length);
    // Physical Windows servers of the estate (lab/windows): one source for all of them.
    expect(counts['lab-windows']).toBe(lab.estate.servers.filter((s) => s.family === 'windows' && !s.down).length);
  }, 120_000);

  it("a lab guest credential reaches the estate's Windows VMs at their inventory IPs (sql01's SQL Server instance)", async () => {
    const { openWindowsGuest } = await import('../../collectors/windows/guest-reader.js');
    const cred = loadConfig(lab.configFile).guestCredentials.find((c) => c.name === 'lab-windows');
    expect(cred?.os).toBe('windows');
    const ip = lab.estate.vms.find((v) => v.name === 'sql01')?.ipAddresses[0] ?? '';
    expect(Object.keys(cred?.hostMap ?? {})).toContain(ip);
    const r = await openWindowsGuest({ host: ip }, cred as NonNullable<typeof cred>, { log });
    try {
      expect((await r.software()).sqlInstances.map((i) => i.name)).toEqual(['MSSQLSERVER']);
    } finally {
      await r.close();
    }
  });

  it("a lab guest credential reaches the estate's Linux VMs at their inventory IPs through its host map, key pinned", async () => {
    const { openLinuxGuest } = await import('../../collectors/linux/guest-reader.js');
    const cred = loadConfig(lab.configFile).guestCredentials.find((c) => c.name === 'lab-linux-guests');
    expect(cred?.os).toBe('linux');
    const vm = lab.estate.vms.find((v) => v.name === 'hv:app 02');
    const ip = vm?.ipAddresses[0] ?? '';
    expect(Object.keys(cred?.hostMap ?? {})).toContain(ip);
    const r = await openLinuxGuest({ host: ip }, cred as NonNullable<typeof cred>, { log, timeoutMs: 10_000 });
    try {
      expect((await r.sockets()).sockets.length).toBeGreaterThan(0);
    } finally {
      await r.close();
    }
  });

  it('keeps sources added by the admin and rewrites only the lab ones on the next start', async () => {
    const { ConfigStore } = await import('../../appliance/config-store.js');
    await new ConfigStore(lab.configFile).upsertSource({
      name: 'mine',
      kind: 'hyperv',
      host: 'hv99',
      username: 'u',
      password: { env: 'X' },
    });
    await lab.close();
    lab = await prepareLab({ estateFile: join(ROOT, 'lab/estates/sample.yaml'), dataDir: tmp.dir, webHost: '127.0.0.1', webPort: 0, log });
    const names = loadConfig(lab.configFile)
      .sources.map((s) => s.name)
      .sort();
    expect(names).toEqual(['lab-hvclu01', 'lab-hyperv', 'lab-linux', 'lab-vc01', 'lab-windows', 'mine']);
    expect(loadConfig(lab.configFile).redis.url).toBe(lab.redis!.url);
  }, 120_000);
});
