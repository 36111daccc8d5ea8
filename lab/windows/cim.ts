// The root/cimv2 classes a simulated Windows server answers: the Win32 inventory classes with the shapes
// and spellings Windows uses, and the Win32_PerfRawData_* classes whose raw counters integrate the
// workload slot by slot (so a client applying the documented formulas to two readings gets back exactly
// the workload of the slots between them). Counter arithmetic is BigInt: values pass 2^53.
import type { CimInstance } from '../../collectors/wsman/index.js';
import { stableUuid, type WorkloadKey } from '../estate.js';
import { SeriesIntegrator } from '../hyperv/cim-perf.js';
import { hash32, workloadValue } from '../workload.js';
import { SLOT_SEC, type SimServer, type WindowsWorld } from './world.js';

export { SeriesIntegrator };
export const NS_CIMV2 = 'root/cimv2';
export const PERF_FREQUENCY = 10_000_000n;
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;
const GIB = 1024 ** 3;

export const PROCESSOR_CLASS = 'Win32_PerfRawData_PerfOS_Processor';
export const MEMORY_CLASS = 'Win32_PerfRawData_PerfOS_Memory';
export const DISK_CLASS = 'Win32_PerfRawData_PerfDisk_PhysicalDisk';
export const NETWORK_CLASS = 'Win32_PerfRawData_Tcpip_NetworkInterface';
export const PERF_CLASSES = [PROCESSOR_CLASS, MEMORY_CLASS, DISK_CLASS, NETWORK_CLASS] as const;

/** The workload key of a series: hash32("seed|server|series|instance"); instance is "" or the disk/NIC index. */
export function seriesKey(seed: number, server: string, series: WorkloadKey, instance = ''): number {
  return hash32(`${seed}|${server}|${series}|${instance}`);
}

/** The adapter description Windows shows for NIC i (the second of a model gets " #2"). */
export function adapterDescription(s: SimServer, i: number): string {
  if (s.spec.nics[i]?.virtual) return i === 0 ? 'Hyper-V Virtual Ethernet Adapter' : `Hyper-V Virtual Ethernet Adapter #${i + 1}`;
  return i === 0 ? 'Intel(R) Ethernet Connection (7) I219-LM' : `Intel(R) Ethernet Connection (7) I219-LM #${i + 1}`;
}

/** How perflib names the Tcpip NetworkInterface instance of an adapter: ( ) # / \ replaced. */
export function networkInstanceName(description: string): string {
  return description
    .replace(/\(/g, '[')
    .replace(/\)/g, ']')
    .replace(/[#/\\]/g, '_');
}

/** PhysicalDisk instance names: "<index> <drive letters>". */
export function diskInstanceName(index: number): string {
  return index === 0 ? '0 C:' : `${index} ${String.fromCharCode(68 + index - 1)}:`;
}

function netbiosName(name: string): string {
  return name.split('.')[0]?.toUpperCase().slice(0, 15) ?? name.toUpperCase();
}

function nicGuid(seed: number, s: SimServer, i: number): string {
  return `{${stableUuid(seed, 'server-nic', s.name, String(i)).toUpperCase()}}`;
}

/** Every inventory class of one server, keyed by class name. */
export function inventoryClasses(world: WindowsWorld, s: SimServer): Map<string, CimInstance[]> {
  const spec = s.spec;
  const short = spec.name.split('.')[0] ?? spec.name;
  const memBytes = BigInt(spec.memoryMB) * 1_048_576n;
  const coresPerSocket = Math.max(1, Math.floor(spec.cpuCores / spec.sockets));
  const processors: CimInstance[] = [];
  for (let i = 0; i < spec.sockets; i++) {
    const cores = i === spec.sockets - 1 ? spec.cpuCores - coresPerSocket * (spec.sockets - 1) : coresPerSocket;
    processors.push({
      className: 'Win32_Processor',
      properties: {
        DeviceID: `CPU${i}`,
        Name: 'Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz',
        NumberOfCores: String(cores),
        NumberOfLogicalProcessors: String(cores * 2),
        Architecture: '9',
      },
    });
  }
  const disks: CimInstance[] = spec.disks.map((d, i) => ({
    className: 'Win32_DiskDrive',
    properties: {
      DeviceID: `\\\\.\\PHYSICALDRIVE${i}`,
      Index: String(i),
      Model: d.model,
      Size: String(Math.round(d.sizeGB * GIB)),
      MediaType: 'Fixed hard disk media',
      InterfaceType: 'SCSI',
      Partitions: i === 0 ? (spec.firmware === 'uefi' ? '3' : '2') : '1',
      SerialNumber: stableUuid(world.seed, 'disk-serial', s.name, String(i)).slice(0, 8).toUpperCase(),
    },
  }));
  const partitions: CimInstance[] = [];
  const part = (disk: number, index: number, type: string, boot: boolean, sizeBytes: number): void => {
    partitions.push({
      className: 'Win32_DiskPartition',
      properties: {
        DeviceID: `Disk #${disk}, Partition #${index}`,
        DiskIndex: String(disk),
        Index: String(index),
        Type: type,
        BootPartition: boot ? 'true' : 'false',
        Bootable: boot ? 'true' : 'false',
        Size: String(sizeBytes),
        PrimaryPartition: 'true',
      },
    });
  };
  spec.disks.forEach((d, i) => {
    const size = Math.round(d.sizeGB * GIB);
    if (spec.firmware === 'uefi') {
      // GPT: the EFI system partition ("GPT: System") on the boot disk; the MSR is not listed by WMI.
      if (i === 0) {
        part(0, 0, 'GPT: System', true, 104_857_600);
        part(0, 1, 'GPT: Basic Data', false, size - 104_857_600 - 16_777_216 - 524_288_000);
        part(0, 2, 'GPT: Unknown', false, 524_288_000);
      } else part(i, 0, 'GPT: Basic Data', false, size - 16_777_216);
    } else if (i === 0) {
      // MBR: the active "System Reserved" partition carries the boot flag.
      part(0, 0, 'Installable File System', true, 52_428_800);
      part(0, 1, 'Installable File System', false, size - 52_428_800);
    } else part(i, 0, 'Installable File System', false, size);
  });
  const adapters: CimInstance[] = [];
  const configs: CimInstance[] = [];
  spec.nics.forEach((n, i) => {
    const description = adapterDescription(s, i);
    const mac = n.mac.toUpperCase().replace(/-/g, ':');
    adapters.push({
      className: 'Win32_NetworkAdapter',
      properties: {
        Index: String(i + 1),
        DeviceID: String(i + 1),
        Name: description,
        Description: description,
        NetConnectionID: n.name ?? (n.virtual ? `vEthernet (Switch${i})` : `Ethernet${i}`),
        MACAddress: mac,
        GUID: nicGuid(world.seed, s, i),
        PhysicalAdapter: 'true',
        NetEnabled: 'true',
        AdapterTypeID: '0',
      },
    });
    configs.push({
      className: 'Win32_NetworkAdapterConfiguration',
      properties: {
        Index: String(i + 1),
        Description: description,
        MACAddress: mac,
        IPAddress: [...n.ipAddresses, `fe80::${hash32(`${s.name}|${i}`).toString(16)}:1`],
        IPEnabled: 'true',
        DHCPEnabled: 'false',
        DNSHostName: short,
      },
    });
  });
  // Adapters every Windows server has that are not NICs: a WAN miniport (not IP-enabled, not physical).
  adapters.push({
    className: 'Win32_NetworkAdapter',
    properties: {
      Index: '90',
      DeviceID: '90',
      Name: 'WAN Miniport (IP)',
      Description: 'WAN Miniport (IP)',
      NetConnectionID: null,
      MACAddress: null,
      GUID: null,
      PhysicalAdapter: 'false',
      NetEnabled: null,
      AdapterTypeID: null,
    },
  });
  configs.push({
    className: 'Win32_NetworkAdapterConfiguration',
    properties: {
      Index: '90',
      Description: 'WAN Miniport (IP)',
      MACAddress: null,
      IPAddress: null,
      IPEnabled: 'false',
      DHCPEnabled: 'false',
      DNSHostName: null,
    },
  });

  return new Map<string, CimInstance[]>([
    [
      'Win32_ComputerSystem',
      [
        {
          className: 'Win32_ComputerSystem',
          properties: {
            Name: netbiosName(spec.name),
            DNSHostName: short,
            Domain: spec.domain ?? 'WORKGROUP',
            PartOfDomain: spec.domain ? 'true' : 'false',
            Workgroup: spec.domain ? null : 'WORKGROUP',
            TotalPhysicalMemory: String(memBytes),
            NumberOfProcessors: String(spec.sockets),
            NumberOfLogicalProcessors: String(spec.cpuCores * 2),
            Manufacturer: 'Dell Inc.',
            Model: 'PowerEdge R740',
          },
        },
      ],
    ],
    [
      'Win32_OperatingSystem',
      [
        {
          className: 'Win32_OperatingSystem',
          properties: {
            Caption: spec.os.name,
            Version: spec.os.version,
            OSArchitecture: spec.os.architecture === 'x64' ? '64-bit' : '32-bit',
            BuildNumber: spec.os.version.split('.')[2] ?? '',
            CSName: netbiosName(spec.name),
            LastBootUpTime: { datetime: new Date(s.bootMs).toISOString() },
            TotalVisibleMemorySize: String(memBytes / 1024n),
          },
        },
      ],
    ],
    ['Win32_Processor', processors],
    [
      'Win32_BIOS',
      [
        {
          className: 'Win32_BIOS',
          properties: {
            SerialNumber: spec.biosSerial,
            Manufacturer: 'Dell Inc.',
            SMBIOSBIOSVersion: '2.12.2',
            Version: 'DELL   - 1072009',
          },
        },
      ],
    ],
    [
      'Win32_ComputerSystemProduct',
      [
        {
          className: 'Win32_ComputerSystemProduct',
          properties: {
            IdentifyingNumber: spec.biosSerial,
            UUID: spec.biosUuid.toUpperCase(),
            Name: 'PowerEdge R740',
            Vendor: 'Dell Inc.',
          },
        },
      ],
    ],
    ['Win32_DiskDrive', disks],
    ['Win32_DiskPartition', partitions],
    ['Win32_NetworkAdapter', adapters],
    ['Win32_NetworkAdapterConfiguration', configs],
  ]);
}

function timestamps(s: SimServer, t: number): Record<string, string> {
  const perf = BigInt(t - s.bootMs) * 10_000n;
  const sys = (BigInt(t) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
  return {
    Frequency_Object: '0',
    Frequency_PerfTime: String(PERF_FREQUENCY),
    Frequency_Sys100NS: String(PERF_FREQUENCY),
    Timestamp_Object: '0',
    Timestamp_PerfTime: String(perf),
    Timestamp_Sys100NS: String(sys),
  };
}

/** The raw perf classes of one server at time t (epoch ms); `only` limits the work to one class. */
export function perfClasses(
  world: WindowsWorld,
  s: SimServer,
  integ: SeriesIntegrator,
  t: number,
  only?: string,
): Map<string, CimInstance[]> {
  const want = (cls: string): boolean => !only || only.toLowerCase() === cls.toLowerCase();
  const spec = s.spec;
  const ts = timestamps(s, t);
  const seed = world.seed;
  const from = s.countersFromMs;
  const out = new Map<string, CimInstance[]>();
  const counter = (series: WorkloadKey, instance: string): bigint => {
    const id = `${s.name}|${from}|${series}|${instance}`;
    const centi = integ.integral(id, spec.workload[series], seriesKey(seed, spec.name, series, instance), false, from, t);
    return s.counterOffset + BigInt(hash32(id)) + centi / 100_000n;
  };
  // PERF_COUNTER_COUNTER is 32-bit: it wraps at 2^32.
  const counter32 = (series: WorkloadKey, instance: string): bigint => counter(series, instance) % (1n << 32n);

  if (want(PROCESSOR_CLASS)) {
    // PERF_100NSEC_TIMER_INV: the idle time in 100 ns ticks. busy ticks = integral(cpu% x 100 x ms) exactly.
    const busy =
      t > from ? integ.integral(`${s.name}|${from}|cpu`, spec.workload.cpu, seriesKey(seed, spec.name, 'cpu'), true, from, t) : 0n;
    const elapsed = BigInt(Math.max(0, t - from)) * 10_000n;
    const idle = s.counterOffset + elapsed - busy;
    const cores = spec.cpuCores * 2;
    const list: CimInstance[] = [];
    for (let i = 0; i < cores; i++)
      list.push({
        className: PROCESSOR_CLASS,
        properties: {
          Name: String(i),
          PercentProcessorTime: String(idle),
          PercentIdleTime: String(idle),
          PercentUserTime: String(busy),
          PercentPrivilegedTime: '0',
          InterruptsPersec: '0',
          ...ts,
        },
      });
    list.push({
      className: PROCESSOR_CLASS,
      properties: {
        Name: '_Total',
        PercentProcessorTime: String(idle),
        PercentIdleTime: String(idle),
        PercentUserTime: String(busy),
        PercentPrivilegedTime: '0',
        InterruptsPersec: '0',
        ...ts,
      },
    });
    out.set(PROCESSOR_CLASS, list);
  }
  if (want(MEMORY_CLASS)) {
    const slotStart = Math.floor(t / (SLOT_SEC * 1000)) * SLOT_SEC * 1000;
    const used = workloadValue(spec.workload.memory, seriesKey(seed, spec.name, 'memory'), slotStart, SLOT_SEC, true);
    const total = BigInt(spec.memoryMB) * 1_048_576n;
    // Whole bytes, rounded so that 100 x (1 - available / total) gives back the workload to 1e-6.
    const available = (total * BigInt(Math.round((100 - used) * 1_000_000))) / 100_000_000n;
    out.set(MEMORY_CLASS, [
      {
        className: MEMORY_CLASS,
        properties: {
          Name: null,
          AvailableBytes: String(available),
          AvailableMBytes: String(available / 1_048_576n),
          CommittedBytes: String(total - available),
          PagesPersec: '0',
          ...ts,
        },
      },
    ]);
  }
  if (want(DISK_CLASS)) {
    const list: CimInstance[] = spec.disks.map((_d, i) => {
      const inst = String(i);
      return {
        className: DISK_CLASS,
        properties: {
          Name: diskInstanceName(i),
          DiskReadBytesPersec: String(counter('diskReadBytesPerSec', inst)),
          DiskWriteBytesPersec: String(counter('diskWriteBytesPerSec', inst)),
          DiskReadsPersec: String(counter32('diskReadOpsPerSec', inst)),
          DiskWritesPersec: String(counter32('diskWriteOpsPerSec', inst)),
          CurrentDiskQueueLength: '0',
          ...ts,
        },
      };
    });
    list.push({
      className: DISK_CLASS,
      properties: {
        Name: '_Total',
        DiskReadBytesPersec: '0',
        DiskWriteBytesPersec: '0',
        DiskReadsPersec: '0',
        DiskWritesPersec: '0',
        CurrentDiskQueueLength: '0',
        ...ts,
      },
    });
    out.set(DISK_CLASS, list);
  }
  if (want(NETWORK_CLASS)) {
    const list: CimInstance[] = spec.nics.map((_n, i) => {
      const inst = String(i);
      const rx = counter('netReceivedBytesPerSec', inst);
      const tx = counter('netTransmittedBytesPerSec', inst);
      return {
        className: NETWORK_CLASS,
        properties: {
          Name: networkInstanceName(adapterDescription(s, i)),
          BytesReceivedPersec: String(rx),
          BytesSentPersec: String(tx),
          BytesTotalPersec: String(rx + tx),
          CurrentBandwidth: '10000000000',
          ...ts,
        },
      };
    });
    // Interfaces that are not NICs (a client must skip them).
    list.push({
      className: NETWORK_CLASS,
      properties: {
        Name: 'isatap.lab.local',
        BytesReceivedPersec: '0',
        BytesSentPersec: '0',
        BytesTotalPersec: '0',
        CurrentBandwidth: '100000',
        ...ts,
      },
    });
    out.set(NETWORK_CLASS, list);
  }
  return out;
}
