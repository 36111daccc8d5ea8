import { describe, expect, it } from 'vitest';
import { buildEstate, loadEstate } from '../../../lab/estate.js';

describe('estate servers (physical, linux and windows)', () => {
  it('resolves the sample servers deterministically, with sameAs sharing the VM BIOS UUID', () => {
    const a = loadEstate('lab/estates/sample.yaml');
    const b = loadEstate('lab/estates/sample.yaml');
    expect(a.servers).toEqual(b.servers);
    expect(a.servers.filter((s) => s.family === 'linux').length).toBeGreaterThanOrEqual(3);
    expect(a.servers.filter((s) => s.family === 'windows').length).toBeGreaterThanOrEqual(3);
    const twin = a.servers.find((s) => s.sameAs === 'app01');
    expect(twin?.biosUuid).toBe(a.vms.find((v) => v.name === 'app01')?.biosUuid.toLowerCase());
    const uuids = new Set(a.servers.map((s) => s.biosUuid));
    expect(uuids.size).toBe(a.servers.length);
    const macs = a.servers.flatMap((s) => s.nics.map((n) => n.mac));
    expect(new Set(macs).size).toBe(macs.length);
    for (const m of macs) expect(m).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  });

  it('derives device names per family and expands generateServers', () => {
    const e = buildEstate({
      generateServers: [
        { count: 300, prefix: 'l', family: 'linux', disks: [{ sizeGB: 1 }, { sizeGB: 2 }] },
        { count: 1, prefix: 'w', family: 'windows' },
      ],
    });
    expect(e.servers).toHaveLength(301);
    expect(e.servers[0]?.disks.map((d) => d.name)).toEqual(['sda', 'sdb']);
    expect(e.servers[0]?.nics[0]?.name).toBe('eth0');
    expect(e.servers[300]?.disks[0]?.name).toBe('\\\\.\\PHYSICALDRIVE0');
    expect(e.servers[300]?.nics[0]?.name).toBe('Ethernet');
    expect(new Set(e.servers.map((s) => s.ipAddresses[0])).size).toBe(301);
  });

  it('rejects a sameAs that names no VM, and duplicate names', () => {
    expect(() => buildEstate({ servers: [{ name: 'x', family: 'linux', sameAs: 'nope' }] })).toThrow(/sameAs nope/);
    expect(() =>
      buildEstate({
        servers: [
          { name: 'x', family: 'linux' },
          { name: 'x', family: 'windows' },
        ],
      }),
    ).toThrow(/appears twice/);
  });
});
