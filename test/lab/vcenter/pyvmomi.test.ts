// The lab vCenter read by VMware's own Python SDK (pyVmomi, Debian's python3-pyvmomi): SmartConnect,
// ContainerView + PropertyCollector with paging, perf counters and QueryPerf. Every field pyVmomi
// decodes is compared with the estate the lab was started from.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstate, type EstateVm } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';
import { diskSlot, estateRate, toHundredths, toKBps, toOps } from '../../../lab/vcenter/truth.js';
import { createLogger } from '../../../common/log.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { runPython } from './soap-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
const vmwareVms = estate.vms.filter((v) => v.host.platform === 'vmware' && v.host.vcenter === 'vc01');
const PASSWORD = 'pyvmomi-Test&<1>';

let lab: VcenterLab;
interface PyOut {
  about: { name: string; apiType: string; version: string; instanceUuid: string };
  currentTime: string;
  pages: number;
  // biome-ignore lint/suspicious/noExplicitAny: pyVmomi's JSON, compared field by field with our Machine
  vms: Array<Record<string, any>>;
  hosts: Array<{ name: string; parent: string; moref: string }>;
  computes: Array<{ name: string; parent: string; host: string[]; moref: string; type: string }>;
  datacenters: Array<{ name: string; parent: string; hostFolder: string; vmFolder: string; moref: string }>;
  counters: Record<string, number>;
  historicalInterval: number[];
  perf: Array<{ counter: string; instance: string; timestamps: number[]; values: number[] }>;
  available: string[];
  accessors: Record<string, Record<string, unknown>>;
}
let py: PyOut;
let started: number;
const noPyvmomi = requirePeer(PEERS.pyvmomi);

beforeAll(async () => {
  if (noPyvmomi) return;
  lab = await startVcenterLab({
    estate,
    users: [{ username: 'reader@vsphere.local', password: PASSWORD }],
    log: createLogger({ level: 'warn' }),
  });
  started = Date.now();
  const out = await runPython(
    [
      join(ROOT, 'test/lab/vcenter/vcenter_pyvmomi.py'),
      '127.0.0.1',
      String(lab.port),
      'reader@vsphere.local',
      '--perf',
      'sql01',
      '--page-size',
      '7',
    ],
    {
      LAB_VC_PASSWORD: PASSWORD,
    },
  );
  py = JSON.parse(out) as PyOut;
});

afterAll(async () => {
  await lab?.close();
});

describe.skipIf(noPyvmomi)('lab vCenter read by pyVmomi', () => {
  it('identifies itself as a vCenter with a stable instance UUID', () => {
    expect(py.about).toMatchObject({ name: 'VMware vCenter Server', apiType: 'VirtualCenter', instanceUuid: lab.about.instanceUuid });
    expect(Math.abs(Date.parse(py.currentTime) - started)).toBeLessThan(120_000);
  });

  it('pages the inventory at the requested maxObjects and returns every VM once', () => {
    expect(py.pages).toBe(Math.ceil(vmwareVms.length / 7));
    expect(py.vms.map((v) => v.name).sort()).toEqual(vmwareVms.map((v) => v.name).sort());
  });

  it('matches the estate field by field for every VM', () => {
    const hostsByMoref = new Map(py.hosts.map((h) => [h.moref, h]));
    const computesByMoref = new Map(py.computes.map((c) => [c.moref, c]));
    const dcByVmFolder = new Map(py.datacenters.map((d) => [d.vmFolder, d]));
    for (const vm of vmwareVms) {
      const got = py.vms.find((v) => v.name === vm.name)!;
      expect(got.moref).toBe(`vm-${vm.index + 1000}`);
      expect(got['config.uuid']).toBe(vm.biosUuid);
      expect(got['config.instanceUuid']).toBe(vm.instanceUuid);
      expect(got['config.template']).toBe(vm.template);
      expect(got['config.hardware.numCPU']).toBe(vm.cpus);
      expect(got['summary.config.numCpu']).toBe(vm.cpus);
      expect(got['config.hardware.memoryMB']).toBe(vm.memoryMB);
      expect(got['summary.config.memorySizeMB']).toBe(vm.memoryMB);
      expect(got['config.guestFullName']).toBe(vm.os.name);
      if (vm.os.id) expect(got['config.guestId']).toBe(vm.os.id);
      expect(got['config.firmware']).toBe(vm.firmware === 'uefi' ? 'efi' : 'bios');
      expect(got['runtime.powerState']).toBe(vm.powerState);
      expect(got['summary.config.annotation']).toBe(vm.annotation ?? '');

      const host = hostsByMoref.get(got['runtime.host'])!;
      expect(host.name).toBe(vm.host.name);
      const compute = computesByMoref.get(host.parent)!;
      expect(compute.type).toBe(vm.host.cluster ? 'vim.ClusterComputeResource' : 'vim.ComputeResource');
      expect(compute.name).toBe(vm.host.cluster ?? vm.host.name);
      expect(compute.host).toContain(host.moref);
      expect(dcByVmFolder.get(got.parent)!.name).toBe(vm.host.datacenter);
      if (vm.template) expect(got.resourcePool).toBeUndefined();
      else expect(got.resourcePool).toMatch(/^resgroup-/);

      // biome-ignore lint/suspicious/noExplicitAny: pyVmomi's device JSON
      const devices = got['config.hardware.device'] as Array<Record<string, any>>;
      const disks = devices.filter((d) => d.type === 'vim.vm.device.VirtualDisk');
      expect(disks.map((d) => ({ key: d.key, capacityInBytes: d.capacityInBytes, fileName: d.fileName, thin: d.thinProvisioned }))).toEqual(
        vm.disks.map((d) => ({ key: d.key, capacityInBytes: d.capacityBytes, fileName: d.path, thin: d.type === 'thin' })),
      );
      disks.forEach((d, i) => {
        const slot = diskSlot(i);
        const controller = devices.find((c) => c.key === d.controllerKey)!;
        expect(controller.type).toBe('vim.vm.device.ParaVirtualSCSIController');
        expect(`scsi${controller.busNumber}:${d.unitNumber}`).toBe(slot.instance);
      });
      const nics = devices.filter((d) => d.macAddress !== undefined);
      expect(nics.map((n) => ({ key: n.key, mac: n.macAddress, network: n.network, summary: n.summary }))).toEqual(
        vm.nics.map((n) => ({ key: n.key, mac: n.mac, network: n.network, summary: n.network })),
      );
      expect(nics.every((n) => /^vim\.vm\.device\.Virtual(Vmxnet3|E1000e?)$/.test(n.type))).toBe(true);

      if (vm.powerState === 'poweredOn') {
        expect(got['guest.ipAddress']).toBe(vm.ipAddresses[0]);
        expect(got['guest.hostName']).toBe(vm.fqdn);
        const net = got['guest.net'] as Array<{ macAddress: string; ipAddress: string[]; deviceConfigId: number }>;
        expect(net.map((n) => n.deviceConfigId)).toEqual(vm.nics.map((n) => n.key));
        expect(net.flatMap((n) => n.ipAddress)).toEqual(vm.ipAddresses);
      } else {
        expect(got['guest.ipAddress']).toBeUndefined();
        expect(got['guest.net']).toBeUndefined();
      }
    }
  });

  it('decodes whole config, summary, runtime and guest objects through pyVmomi property accessors', () => {
    expect(Object.keys(py.accessors).sort()).toEqual(vmwareVms.map((v) => v.name).sort());
    for (const vm of vmwareVms) {
      expect(py.accessors[vm.name], vm.name).toEqual({
        numCPU: vm.cpus,
        firmware: vm.firmware === 'uefi' ? 'efi' : 'bios',
        devices: 6 + vm.disks.length + vm.nics.length,
        vmPathName: `[datastore1] ${vm.name}/${vm.name}.vmx`,
        numVirtualDisks: vm.disks.length,
        numEthernetCards: vm.nics.length,
        powerState: vm.powerState,
        host: vm.host.name,
        hostCores: vm.host.cpuCores,
        toolsRunningStatus: vm.powerState === 'poweredOn' ? 'guestToolsRunning' : 'guestToolsNotRunning',
        datacenter: vm.host.datacenter,
      });
    }
  });

  it('lists the counters with vCenter keys and the default statistics intervals', () => {
    expect(py.counters).toMatchObject({
      'cpu.usage.average': 2,
      'mem.usage.average': 24,
      'virtualDisk.numberReadAveraged.average': 171,
      'virtualDisk.numberWriteAveraged.average': 172,
      'virtualDisk.read.average': 173,
      'virtualDisk.write.average': 174,
      'net.received.average': 148,
      'net.transmitted.average': 149,
    });
    expect(py.historicalInterval).toEqual([300, 1800, 7200, 86400]);
  });

  it('returns an hour of 20-second samples equal to the estate workload in vSphere units', () => {
    const vm = vmwareVms.find((v) => v.name === 'sql01') as EstateVm;
    const expected = new Set<string>(['cpu.usage.average|', 'mem.usage.average|']);
    vm.disks.forEach((_, i) => {
      for (const c of ['read', 'write', 'numberReadAveraged', 'numberWriteAveraged'])
        expected.add(`virtualDisk.${c}.average|${diskSlot(i).instance}`);
    });
    for (const n of vm.nics) for (const c of ['received', 'transmitted']) expected.add(`net.${c}.average|${n.id}`);
    for (const c of ['received', 'transmitted']) expected.add(`net.${c}.average|`);
    expect(new Set(py.perf.map((p) => `${p.counter}|${p.instance}`))).toEqual(expected);

    let checked = 0;
    for (const series of py.perf) {
      expect(series.timestamps).toHaveLength(180);
      series.timestamps.forEach((t, i) => {
        expect(t % 20_000).toBe(0);
        if (i) expect(t - series.timestamps[i - 1]!).toBe(20_000);
      });
      expect(series.timestamps[179]).toBeLessThanOrEqual(Date.now());
      const [group = '', name = ''] = series.counter.split('.');
      series.timestamps.forEach((t, i) => {
        let want: number;
        const disk = vm.disks.find((_, d) => diskSlot(d).instance === series.instance);
        const rate = (key: Parameters<typeof estateRate>[2], inst: string) => estateRate(estate.seed, vm, key, inst, t);
        if (group === 'cpu') want = toHundredths(rate('cpu', ''));
        else if (group === 'mem') want = toHundredths(rate('memory', ''));
        else if (group === 'virtualDisk') {
          const key = (
            {
              read: 'diskReadBytesPerSec',
              write: 'diskWriteBytesPerSec',
              numberReadAveraged: 'diskReadOpsPerSec',
              numberWriteAveraged: 'diskWriteOpsPerSec',
            } as const
          )[name as 'read']!;
          want = name.startsWith('number') ? toOps(rate(key, disk!.id)) : toKBps(rate(key, disk!.id));
        } else {
          const key = name === 'received' ? 'netReceivedBytesPerSec' : 'netTransmittedBytesPerSec';
          const nics = series.instance === '' ? vm.nics : vm.nics.filter((n) => n.id === series.instance);
          want = nics.reduce((s, n) => s + toKBps(rate(key, n.id)), 0);
        }
        expect(series.values[i], `${series.counter} ${series.instance} @${t}`).toBe(want);
        checked++;
      });
    }
    expect(checked).toBe(expected.size * 180);
  });

  it('reports the available metrics of a powered-on VM with scsi and NIC-key instances', () => {
    expect(py.available).toContain('virtualDisk.read.average|scsi0:2');
    expect(py.available).toContain('net.received.average|4001');
    expect(py.available).not.toContain('virtualDisk.read.average|');
  });
});
