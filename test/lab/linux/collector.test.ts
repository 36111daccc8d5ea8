// The Linux collector reads the lab's simulated Linux servers (ssh2 server side): the inventory equals the
// estate and the samples equal the workload model of the slot between two readings, across a 64-bit wrap.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/log.js';
import { INVENTORY_COMMAND, LinuxCollector, PERF_COMMAND } from '../../../collectors/linux/index.js';
import { parsePerf } from '../../../collectors/linux/procfs.js';
import { linuxSource } from '../../../config/schema/physical.js';
import { loadEstate } from '../../../lab/estate.js';
import { LAB_INVENTORY_COMMAND, LAB_PERF_COMMAND, newClientKey, startLinuxLab, type LinuxLab } from '../../../lab/linux/index.js';
import type { Machine, Sample } from '../../../model/index.js';

const log = createLogger({ level: 'silent' });
const estate = loadEstate('lab/estates/sample.yaml');
const linux = estate.servers.filter((s) => s.family === 'linux');
const T0 = Date.UTC(2026, 11, 1, 13, 0, 0); // on a 30-s slot boundary
let now = T0;

describe('lab Linux servers read by the Linux collector', () => {
  let lab: LinuxLab;
  let c: LinuxCollector;
  const dir = mkdtempSync(join(tmpdir(), 'ac-lablinux-'));
  const key = newClientKey();

  beforeAll(async () => {
    lab = await startLinuxLab({ estate, users: [{ username: 'collector', publicKey: key.blob, password: 'lab-pw' }], clock: () => now });
    writeFileSync(join(dir, 'known_hosts'), lab.knownHosts());
    writeFileSync(join(dir, 'id_ecdsa'), key.pem, { mode: 0o600 });
    const cfg = linuxSource.parse({
      name: 'lab-linux',
      kind: 'linux',
      hosts: lab.endpoints.map((e) => e.address),
      username: 'collector',
      privateKey: { file: join(dir, 'id_ecdsa') },
      hostKeys: { file: join(dir, 'known_hosts') },
    });
    c = new LinuxCollector(cfg, { log });
  });
  afterAll(async () => {
    await c?.close();
    await lab?.close();
  });

  it("the lab answers exactly the collector's fixed commands", () => {
    expect(LAB_INVENTORY_COMMAND).toBe(INVENTORY_COMMAND);
    expect(LAB_PERF_COMMAND).toBe(PERF_COMMAND);
  });

  it('inventory equals the estate, field by field', async () => {
    const { source, machines } = await c.discover();
    expect(source.errors).toEqual([]);
    expect(machines).toHaveLength(linux.length);
    for (const s of linux) {
      const m = machines.find((x) => x.name === s.name) as Machine;
      expect(m).toBeDefined();
      expect(m).toMatchObject({
        id: `physical:bios:${s.biosUuid}`,
        kind: 'physical',
        source: 'lab-linux',
        fqdn: s.fqdn,
        biosUuid: s.biosUuid,
        cpuCores: s.cpus,
        memoryMB: s.memoryMB,
        firmware: s.firmware,
        os: { name: s.os.name, version: s.os.version, architecture: 'x64', family: 'linux' },
        bootDisk: s.disks[0]?.name,
        ipAddresses: s.ipAddresses,
        seenBy: ['lab-linux'],
      });
      expect(m.disks).toEqual(s.disks.map((d) => ({ id: d.name, label: d.name, capacityBytes: d.capacityBytes, model: d.model })));
      expect(m.nics).toEqual(s.nics.map((n) => ({ id: n.name, label: n.name, mac: n.mac, ipAddresses: n.ipAddresses })));
      if (s.index % 2 === 0) expect(m.biosSerial).toBe(s.biosSerial);
      else expect(m.unavailable?.biosSerial).toMatch(/needs root/);
    }
    // The server that is also the VMware VM app01 carries that VM's BIOS UUID.
    const twin = machines.find((m) => m.name === 'lnx-app01');
    expect(twin?.biosUuid).toBe(estate.vms.find((v) => v.name === 'app01')?.biosUuid);
  });

  it('samples equal the workload of the slot between two readings, for every server, disk and NIC, across a 64-bit counter wrap', async () => {
    const wrapper = lab.endpoints.find((e) => e.sim.server.index % 3 === 2);
    expect(wrapper).toBeDefined();
    const rx = (t: number) => parsePerf(wrapper?.sim.perfText(t) ?? '').nets.get('eth0')?.rxBytes ?? 0n;
    const steps = 150;
    expect(rx(T0 + (steps + 1) * 30_000)).toBeLessThan(rx(T0 + 30_000)); // the counter does wrap in this window
    now = T0 + 30_000;
    expect((await c.poll(() => undefined)).samples).toBe(0); // the first reading primes
    let checked = 0;
    for (let i = 2; i <= steps + 1; i++) {
      const slot = now;
      now = T0 + i * 30_000;
      const got: Sample[] = [];
      const stats = await c.poll((b) => void got.push(...b));
      expect(stats.errors).toEqual([]);
      for (const e of lab.endpoints) {
        const s = e.sim.server;
        const mine = got.filter((x) => x.machine === `physical:bios:${s.biosUuid}`);
        const v = (metric: string, instance = '') => mine.find((x) => x.metric === metric && x.instance === instance)?.value ?? Number.NaN;
        // Tolerances: whole ticks/sectors/ops at each end of a 30-s interval, and 2-decimal rounding.
        expect(Math.abs(v('cpu.usage.percent') - e.sim.valueAt('cpu', '', slot))).toBeLessThan(0.05);
        expect(Math.abs(v('memory.usage.percent') - e.sim.valueAt('memory', '', now))).toBeLessThan(0.01);
        for (const d of s.disks) {
          expect(Math.abs(v('disk.read.bytesPerSec', d.name) - e.sim.valueAt('diskReadBytesPerSec', d.name, slot))).toBeLessThan(35);
          expect(Math.abs(v('disk.write.bytesPerSec', d.name) - e.sim.valueAt('diskWriteBytesPerSec', d.name, slot))).toBeLessThan(35);
          expect(Math.abs(v('disk.read.opsPerSec', d.name) - e.sim.valueAt('diskReadOpsPerSec', d.name, slot))).toBeLessThan(0.07);
          expect(Math.abs(v('disk.write.opsPerSec', d.name) - e.sim.valueAt('diskWriteOpsPerSec', d.name, slot))).toBeLessThan(0.07);
        }
        for (const n of s.nics) {
          expect(Math.abs(v('net.received.bytesPerSec', n.name) - e.sim.valueAt('netReceivedBytesPerSec', n.name, slot))).toBeLessThan(0.1);
          expect(
            Math.abs(v('net.transmitted.bytesPerSec', n.name) - e.sim.valueAt('netTransmittedBytesPerSec', n.name, slot)),
          ).toBeLessThan(0.1);
        }
        // Nothing for partitions, dm, loop, lo or docker0.
        expect(new Set(mine.map((x) => x.instance))).toEqual(new Set(['', ...s.disks.map((d) => d.name), ...s.nics.map((n) => n.name)]));
        checked++;
      }
    }
    expect(checked).toBe(steps * lab.endpoints.length);
    // One connection per server held all along.
    expect(c.sessions.map((s) => s.connects)).toEqual(lab.endpoints.map(() => 1));
  });
});
