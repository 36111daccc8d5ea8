// The estate's applications resolve deterministically into per-machine software and sockets; every connection is
// seen from both ends; bad application specs fail with the key and the fix.
import { describe, expect, it } from 'vitest';
import { buildEstate, loadEstate } from '../../lab/estate.js';
import {
  applicationGroups,
  applicationMachines,
  CONNECTION_SLOT_MS,
  guestMachine,
  guestProcesses,
  guestSockets,
  guestSoftware,
} from '../../lab/guest-world.js';

const T = Date.UTC(2026, 11, 6, 8, 0, 0);

describe('estate applications', () => {
  const estate = loadEstate('lab/estates/sample.yaml');

  it('resolve to canonical machines (a server with sameAs is its VM) and the shared services serve every application machine', () => {
    expect(estate.applications.map((a) => [a.name, a.tiers.map((t) => [t.name, t.machines])])).toEqual([
      [
        'orders',
        [
          ['web', ['web01', 'hv-web01']],
          ['api', ['win-app01']],
          ['db', ['sql01']],
        ],
      ],
      [
        'shop',
        [
          ['web', ['lnx-web01']],
          ['app', ['app01']],
          ['db', ['lnx-db01']],
        ],
      ],
      [
        'reporting',
        [
          ['app', ['hv:app 02']],
          ['db', ['vmw-gen-00001']],
        ],
      ],
    ]);
    expect(estate.sharedServices.map((s) => [s.name, s.machines, s.listen])).toEqual([
      ['dns', ['win-fs01'], [53]],
      ['active-directory', ['win-fs01'], [88, 389]],
    ]);
    for (const s of estate.sharedServices) expect(s.clients).toHaveLength(9);
    expect(applicationMachines(estate)).toContain('win-fs01');
    expect(applicationGroups(estate)).toEqual([
      { name: 'orders', machines: ['hv-web01', 'sql01', 'web01', 'win-app01'] },
      { name: 'reporting', machines: ['hv:app 02', 'vmw-gen-00001'] },
      { name: 'shop', machines: ['app01', 'lnx-db01', 'lnx-web01'] },
    ]);
  });

  it('are deterministic: the same file gives the same software, processes and sockets; ports change only with the 5-minute slot', () => {
    const again = loadEstate('lab/estates/sample.yaml');
    for (const m of applicationMachines(estate)) {
      expect(guestSoftware(again, m)).toEqual(guestSoftware(estate, m));
      expect(guestProcesses(again, m)).toEqual(guestProcesses(estate, m));
      expect(guestSockets(again, m, T)).toEqual(guestSockets(estate, m, T));
      expect(guestSockets(estate, m, T + CONNECTION_SLOT_MS - 1)).toEqual(guestSockets(estate, m, T));
    }
    const est = (m: string, t: number) => guestSockets(estate, m, t).filter((s) => s.state === 'established');
    expect(est('web01', T + CONNECTION_SLOT_MS).map((s) => s.localPort)).not.toEqual(est('web01', T).map((s) => s.localPort));
  });

  it('see every connection from both ends, with the process of each end', () => {
    const byIp = new Map<string, string>();
    for (const m of applicationMachines(estate)) for (const ip of guestMachine(estate, m)?.ips ?? []) byIp.set(ip, m);
    let pairs = 0;
    for (const m of applicationMachines(estate)) {
      const pids = new Set(guestProcesses(estate, m).map((p) => p.pid));
      for (const s of guestSockets(estate, m, T)) {
        expect(pids.has(s.pid), `${m} pid ${s.pid}`).toBe(true);
        if (s.state !== 'established') continue;
        const peer = byIp.get(s.remoteIp);
        expect(peer, `${m} -> ${s.remoteIp}`).toBeDefined();
        const mirror = guestSockets(estate, peer ?? '', T).find(
          (o) => o.state === 'established' && o.localPort === s.remotePort && o.remotePort === s.localPort && o.remoteIp === s.localIp,
        );
        expect(mirror, `${m}:${s.localPort} -> ${peer}:${s.remotePort}`).toBeDefined();
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(40);
  });

  it('give each OS its base software, and the tiers their own (features, SQL instances, packages)', () => {
    const sql = guestSoftware(estate, 'sql01');
    expect(sql.applications.map((a) => a.name)).toEqual(expect.arrayContaining(['VMware Tools', 'Microsoft SQL Server 2019 (64-bit)']));
    expect(sql.sqlInstances).toEqual([
      { name: 'MSSQLSERVER', id: 'MSSQL15.MSSQLSERVER', edition: 'Enterprise Edition', version: '15.0.4345.5', servicePack: null },
    ]);
    expect(guestSoftware(estate, 'hv-web01').applications.map((a) => a.name)).not.toContain('VMware Tools');
    expect(guestSoftware(estate, 'win-web01')).toEqual(guestSoftware(estate, 'web01'));
    expect(guestSoftware(estate, 'hv-web01').features.map((f) => f.name)).toContain('Web Server (IIS)');
    const db = guestSoftware(estate, 'lnx-db01');
    expect(guestMachine(estate, 'lnx-db01')?.packageManager).toBe('rpm');
    expect(db.applications.map((a) => a.name)).toContain('postgresql15-server');
    expect(guestMachine(estate, 'lnx-web01')?.packageManager).toBe('dpkg');
    expect(guestSoftware(estate, 'lnx-web01').snaps.map((s) => s.name)).toEqual(['core22', 'lxd', 'snapd']);
  });
});

describe('bad application specs', () => {
  const base = {
    hosts: [{ name: 'h', platform: 'vmware' }],
    vms: [
      { name: 'a', host: 'h' },
      { name: 'b', host: 'h' },
    ],
  };
  const tiers = (connectsTo: unknown, machines = ['a']) => [
    { name: 'web', machines, process: { name: 'w.exe' }, listen: [80], connectsTo },
    { name: 'db', machines: ['b'], process: { name: 'd.exe' }, listen: [1433] },
  ];

  it('name the unknown machine, the unknown tier and the port the target does not listen on', () => {
    expect(() => buildEstate({ ...base, applications: [{ name: 'x', tiers: tiers([], ['zz']) }] })).toThrow(/tier web names machine zz/);
    expect(() => buildEstate({ ...base, applications: [{ name: 'x', tiers: tiers([{ tier: 'cache', port: 6379 }]) }] })).toThrow(
      /connects to tier cache, which is not a tier of x/,
    );
    expect(() => buildEstate({ ...base, applications: [{ name: 'x', tiers: tiers([{ tier: 'db', port: 5432 }]) }] })).toThrow(
      /port 5432, where db does not listen/,
    );
    const ok = buildEstate({ ...base, applications: [{ name: 'x', tiers: tiers([{ tier: 'db', port: 1433 }]) }] });
    expect(ok.applications[0]?.tiers[0]?.connectsTo).toEqual([{ tier: 'db', port: 1433 }]);
    expect(buildEstate(base).applications).toEqual([]);
  });
});
