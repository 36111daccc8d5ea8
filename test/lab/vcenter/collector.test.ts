// The project's own vCenter collector (collectors/vcenter) against the lab vCenter: the inventory it
// discovers equals the estate, the samples it polls equal the estate workload converted back from
// vSphere units, every 20-s sample arrives exactly once across polls, and a session ended by the
// server is replaced by one new login.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVcenterCollector } from '../../../collectors/vcenter/index.js';
import type { Sample, SourceCollector } from '../../../model/index.js';
import { vcenterSource } from '../../../config/schema/vcenter.js';
import { createLogger } from '../../../common/log.js';
import { loadEstate, type EstateVm } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';
import { estateRate, toHundredths, toKBps, toOps } from '../../../lab/vcenter/truth.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
const vc01 = estate.vms.filter((v) => v.host.platform === 'vmware' && v.host.vcenter === 'vc01');
const PASSWORD_ENV = 'E1_LAB_COLLECTOR_PW';
const log = createLogger({ level: 'warn' });

let offsetMs = 0;
const clock = () => Date.UTC(2026, 2, 3, 9, 30, 11) + offsetMs;
let lab: VcenterLab;
let collector: SourceCollector;

/** What the collector must report for a sample: the lab's integer in vSphere units, converted once. */
function expectedValue(vm: EstateVm, s: Sample): number {
  const rate = (key: Parameters<typeof estateRate>[2], inst: string) => estateRate(estate.seed, vm, key, inst, s.ts);
  switch (s.metric) {
    case 'cpu.usage.percent':
      return toHundredths(rate('cpu', '')) / 100;
    case 'memory.usage.percent':
      return toHundredths(rate('memory', '')) / 100;
    case 'disk.read.bytesPerSec':
      return toKBps(rate('diskReadBytesPerSec', s.instance)) * 1024;
    case 'disk.write.bytesPerSec':
      return toKBps(rate('diskWriteBytesPerSec', s.instance)) * 1024;
    case 'disk.read.opsPerSec':
      return toOps(rate('diskReadOpsPerSec', s.instance));
    case 'disk.write.opsPerSec':
      return toOps(rate('diskWriteOpsPerSec', s.instance));
    case 'net.received.bytesPerSec':
      return toKBps(rate('netReceivedBytesPerSec', s.instance)) * 1024;
    case 'net.transmitted.bytesPerSec':
      return toKBps(rate('netTransmittedBytesPerSec', s.instance)) * 1024;
  }
}

beforeAll(async () => {
  process.env[PASSWORD_ENV] = 'collector-Lab-1';
  lab = await startVcenterLab({ estate, users: [{ username: 'collector@vsphere.local', password: 'collector-Lab-1' }], clock, log });
  const cfg = vcenterSource.parse({
    name: 'lab-vc01',
    kind: 'vcenter',
    url: lab.url,
    username: 'collector@vsphere.local',
    password: { env: PASSWORD_ENV },
    tls: { thumbprint: lab.thumbprint },
    inventory: { pageSize: 10 },
    perf: { vmsPerQuery: 4, concurrency: 2, lookbackSamples: 3 },
  });
  collector = createVcenterCollector(cfg, { log });
});

afterAll(async () => {
  await collector?.close();
  await lab?.close();
  delete process.env[PASSWORD_ENV];
});

describe('vCenter collector against the lab vCenter', () => {
  it('discovers the estate: every non-template VM with its placement, hardware, disks and NICs', async () => {
    const { source, machines } = await collector.discover();
    expect(source.templatesSkipped).toBe(vc01.filter((v) => v.template).length);
    expect(source.about.instanceUuid).toBe(lab.about.instanceUuid);
    expect(source.errors).toEqual([]);
    const want = vc01.filter((v) => !v.template);
    expect(machines.map((m) => m.name).sort()).toEqual(want.map((v) => v.name).sort());
    for (const vm of want) {
      const m = machines.find((x) => x.name === vm.name)!;
      expect(m).toMatchObject({
        id: `vmware:${lab.about.instanceUuid}:${vm.instanceUuid}`,
        kind: 'vmware',
        moref: `vm-${vm.index + 1000}`,
        biosUuid: vm.biosUuid,
        instanceId: vm.instanceUuid,
        cpuCores: vm.cpus,
        memoryMB: vm.memoryMB,
        os: { name: vm.os.name, id: vm.os.id },
        firmware: vm.firmware,
        powerState: vm.powerState,
        host: vm.host.name,
        cluster: vm.host.cluster,
        datacenter: vm.host.datacenter,
        ipAddresses: vm.ipAddresses,
        fqdn: vm.fqdn,
      });
      expect(m.disks.map((d) => ({ id: d.id, capacityBytes: d.capacityBytes, path: d.path, type: d.type }))).toEqual(
        vm.disks.map((d) => ({ id: d.id, capacityBytes: d.capacityBytes, path: d.path, type: d.type })),
      );
      expect(m.nics.map((n) => ({ id: n.id, mac: n.mac, network: n.network }))).toEqual(
        vm.nics.map((n) => ({ id: n.id, mac: n.mac, network: n.network })),
      );
    }
    expect(lab.calls().RetrievePropertiesEx).toBe(1);
    expect(lab.calls().ContinueRetrievePropertiesEx).toBeGreaterThan(0);
  });

  it('polls an hour of samples equal to the workload, then only new ones, each exactly once', async () => {
    const samples: Sample[] = [];
    const first = await collector.poll((b) => void samples.push(...b));
    expect(first.errors).toEqual([]);
    const on = vc01.filter((v) => v.powerState === 'poweredOn' && !v.template);
    const seriesPerVm = (vm: EstateVm) => 2 + 4 * vm.disks.length + 2 * vm.nics.length;
    expect(first.machinesPolled).toBe(on.length);
    expect(samples.length).toBe(on.reduce((s, vm) => s + seriesPerVm(vm) * 180, 0));

    offsetMs += 20_000;
    const second = await collector.poll((b) => void samples.push(...b));
    offsetMs += 7 * 60_000 + 3_000;
    const third = await collector.poll((b) => void samples.push(...b));
    expect(second.samples).toBe(on.reduce((s, vm) => s + seriesPerVm(vm), 0));
    expect(third.samples).toBe(on.reduce((s, vm) => s + seriesPerVm(vm) * 21, 0));

    const keys = new Set(samples.map((s) => `${s.machine}|${s.metric}|${s.instance}|${s.ts}`));
    expect(keys.size).toBe(samples.length);
    const byId = new Map(on.map((vm) => [`vmware:${lab.about.instanceUuid}:${vm.instanceUuid}`.toLowerCase(), vm]));
    const wrong: string[] = [];
    for (const s of samples) {
      const vm = byId.get(s.machine);
      if (!vm) wrong.push(`unknown machine ${s.machine}`);
      else if (s.ts % 20_000 !== 0 || s.intervalSec !== 20 || Math.abs(s.value - expectedValue(vm, s)) > 1e-9) {
        wrong.push(
          `${vm.name} ${s.metric} ${s.instance} @${s.ts} (interval ${s.intervalSec}): got ${s.value}, want ${expectedValue(vm, s)}`,
        );
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('logs in once, and once more after the lab ends its session mid-run', async () => {
    expect(lab.calls().Login).toBe(1);
    expect(lab.terminateSessions()).toBe(1);
    offsetMs += 20_000;
    const stats = await collector.poll(() => undefined);
    expect(stats.errors).toEqual([]);
    expect(stats.samples).toBeGreaterThan(0);
    expect(lab.calls().Login).toBe(2);
  });
});
