// The lab estate: one hypervisor-neutral YAML file describing hosts, clusters and VMs with a
// workload each. Both lab simulators (vCenter and Hyper-V) serve what it describes, and tests
// compare what the collectors find with it. Schema: schemas/estate.schema.json (generated from here).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../common/errors.js';

const workloadSeries = z
  .object({
    /** Typical level: percent for cpu/memory, bytes/s or ops/s per disk/NIC for the others. */
    baseline: z.number().min(0),
    /** Amplitude of a 24-hour sine cycle, peaking at peakHourUtc. */
    daily: z.number().min(0).default(0),
    peakHourUtc: z.number().min(0).max(24).default(14),
    /** Uniform noise, +/- this amount, drawn per sample slot from a seeded hash (deterministic). */
    noise: z.number().min(0).default(0),
    /** Short bursts: on average perDay bursts of durationMin minutes adding magnitude. */
    bursts: z
      .object({ perDay: z.number().min(0), magnitude: z.number().min(0), durationMin: z.number().min(1).default(10) })
      .strict()
      .optional(),
  })
  .strict();
export type WorkloadSeries = z.infer<typeof workloadSeries>;

const workload = z
  .object({
    cpu: workloadSeries.default({ baseline: 20, daily: 10, peakHourUtc: 14, noise: 5 }),
    memory: workloadSeries.default({ baseline: 50, daily: 5, peakHourUtc: 14, noise: 2 }),
    /** Per disk. */
    diskReadBytesPerSec: workloadSeries.default({ baseline: 2_000_000, daily: 1_000_000, peakHourUtc: 14, noise: 500_000 }),
    diskWriteBytesPerSec: workloadSeries.default({ baseline: 1_000_000, daily: 500_000, peakHourUtc: 14, noise: 250_000 }),
    diskReadOpsPerSec: workloadSeries.default({ baseline: 100, daily: 50, peakHourUtc: 14, noise: 20 }),
    diskWriteOpsPerSec: workloadSeries.default({ baseline: 50, daily: 25, peakHourUtc: 14, noise: 10 }),
    /** Per NIC. */
    netReceivedBytesPerSec: workloadSeries.default({ baseline: 500_000, daily: 250_000, peakHourUtc: 14, noise: 100_000 }),
    netTransmittedBytesPerSec: workloadSeries.default({ baseline: 300_000, daily: 150_000, peakHourUtc: 14, noise: 50_000 }),
  })
  .strict();
export type Workload = z.infer<typeof workload>;
export type WorkloadKey = keyof Workload;

const host = z
  .object({
    name: z.string().min(1),
    platform: z.enum(['vmware', 'hyperv']),
    /** vmware: the vCenter (lab instance) and datacenter the host belongs to. */
    vcenter: z.string().default('vc01'),
    datacenter: z.string().default('DC0'),
    /** vmware: a ClusterComputeResource; hyperv: a failover cluster. Omit for a standalone host. */
    cluster: z.string().nullable().default(null),
    cpuCores: z.number().int().min(1).default(32),
    memoryMB: z.number().int().min(1024).default(262_144),
    /** A host that is down (Hyper-V lab: the listener refuses connections). */
    down: z.boolean().default(false),
  })
  .strict();

const disk = z
  .object({
    sizeGB: z.number().positive(),
    /** thin / thick / eagerZeroedThick (vmware); fixed / dynamic / differencing (hyperv). */
    type: z.string().default('thin'),
    path: z.string().optional(),
  })
  .strict();

const nic = z
  .object({
    network: z.string().default('VM Network'),
    mac: z.string().optional(),
  })
  .strict();

const os = z
  .object({
    /** vCenter guestFullName / Hyper-V KVP OSName, e.g. "Microsoft Windows Server 2019 (64-bit)". */
    name: z.string(),
    /** vCenter guestId, e.g. windows2019srv_64Guest; optional for hyperv. */
    id: z.string().optional(),
    version: z.string().optional(),
  })
  .strict();

const vmFields = {
  host: z.string().min(1),
  cpus: z.number().int().min(1).max(1024).default(2),
  memoryMB: z.number().int().min(4).default(4096),
  firmware: z.enum(['bios', 'uefi']).optional(),
  /** Hyper-V generation; 2 implies uefi. */
  generation: z.number().int().min(1).max(2).optional(),
  dynamicMemory: z
    .object({ enabled: z.boolean(), minimumMB: z.number().int().optional(), maximumMB: z.number().int().optional() })
    .strict()
    .optional(),
  os: os.default({ name: 'Microsoft Windows Server 2019 (64-bit)', id: 'windows2019srv_64Guest', version: '10.0.17763' }),
  powerState: z.enum(['poweredOn', 'poweredOff', 'suspended']).default('poweredOn'),
  template: z.boolean().default(false),
  disks: z.array(disk).default([{ sizeGB: 60, type: 'thin' }]),
  nics: z.array(nic).default([{ network: 'VM Network' }]),
  ipAddresses: z.array(z.string()).optional(),
  fqdn: z.string().optional(),
  annotation: z.string().optional(),
  workload: workload.default(workload.parse({})),
};

const vm = z
  .object({
    name: z.string().min(1),
    ...vmFields,
    biosUuid: z.string().uuid().optional(),
    instanceUuid: z.string().uuid().optional(),
  })
  .strict();

/** Bulk VMs for scale labs: `count` VMs named prefix-00001.., spread round-robin over `hosts`. */
const generator = z
  .object({
    count: z.number().int().min(1).max(100_000),
    prefix: z.string().min(1),
    hosts: z.array(z.string()).min(1),
    ...Object.fromEntries(Object.entries(vmFields).filter(([k]) => k !== 'host')),
  })
  .strict();

// Physical servers (or VMs read directly, not through their hypervisor): Linux over SSH, Windows over WinRM.
// A separate list rather than hosts with `platform: physical`, because a server is a machine, not a host of machines.
const serverDisk = z
  .object({
    sizeGB: z.number().positive(),
    /** The disk's model string as the OS reports it (lsblk MODEL / Win32_DiskDrive.Model). */
    model: z.string().optional(),
    /** Device name: linux sda, sdb.. (or nvme0n1); windows \\.\PHYSICALDRIVE0... Derived when omitted. */
    name: z.string().optional(),
  })
  .strict();

const serverNic = z
  .object({
    /** Interface name: linux eth0, eth1..; windows "Ethernet", "Ethernet 2"... Derived when omitted. */
    name: z.string().optional(),
    mac: z.string().optional(),
    ipAddresses: z.array(z.string()).optional(),
  })
  .strict();

const serverFields = {
  family: z.enum(['linux', 'windows']),
  cpus: z.number().int().min(1).max(1024).default(2),
  memoryMB: z.number().int().min(256).default(4096),
  firmware: z.enum(['bios', 'uefi']).default('uefi'),
  /** linux: os-release PRETTY_NAME / VERSION_ID; windows: Caption / Version. Defaults per family. */
  os: z.object({ name: z.string(), version: z.string().optional() }).strict().optional(),
  /** uname -m / OSArchitecture. */
  architecture: z.enum(['x86_64', 'i686', 'aarch64']).default('x86_64'),
  disks: z
    .array(serverDisk)
    .min(1)
    .default([{ sizeGB: 100 }]),
  nics: z.array(serverNic).default([{}]),
  workload: workload.default(workload.parse({})),
  /** A server that is down (the lab refuses its connections). */
  down: z.boolean().default(false),
};

const server = z
  .object({
    name: z.string().min(1),
    ...serverFields,
    fqdn: z.string().optional(),
    biosUuid: z.string().uuid().optional(),
    biosSerial: z.string().optional(),
    /** A VM of this estate that is also reachable as a physical server: the same machine (same BIOS UUID). */
    sameAs: z.string().optional(),
  })
  .strict();

/** Bulk servers for scale labs: `count` servers named prefix-00001... */
const serverGenerator = z
  .object({
    count: z.number().int().min(1).max(100_000),
    prefix: z.string().min(1),
    ...serverFields,
  })
  .strict();

// Applications (issue 12): multi-tier apps and shared services over the estate's machines, so that the guests'
// software inventories and TCP connections (lab/guest-world.ts) show who talks to whom. A machine is named by its
// VM name or its server name; a server with sameAs is its VM's machine.
const port = z.number().int().min(1).max(65_535);
const processSpec = z
  .object({
    /** Process image name as the OS shows it: w3wp.exe, java, postgres. */
    name: z.string().min(1),
    /** Executable path; defaults to C:\Windows\System32\<name> (windows) or /usr/bin/<name> (linux). */
    path: z.string().optional(),
    /** Arguments after the executable (command line without argv[0]). */
    args: z.string().default(''),
  })
  .strict();
const softwareSpec = z
  .object({
    name: z.string().min(1),
    version: z.string().optional(),
    publisher: z.string().optional(),
  })
  .strict();
const sqlInstanceSpec = z
  .object({
    /** Instance name (MSSQLSERVER for the default instance). */
    name: z.string().min(1),
    edition: z.string().default('Standard Edition'),
    version: z.string().default('15.0.2000.5'),
    servicePack: z.string().optional(),
  })
  .strict();
const guestSoftwareFields = {
  /** Installed software the tier adds to its machines (Windows Uninstall keys / Linux packages). */
  software: z.array(softwareSpec).default([]),
  /** Windows roles and features (Win32_ServerFeature display names), e.g. "Web Server (IIS)". */
  features: z.array(z.string().min(1)).default([]),
  /** SQL Server instances (Windows registry). */
  sqlInstances: z.array(sqlInstanceSpec).default([]),
};
const tier = z
  .object({
    name: z.string().min(1),
    machines: z.array(z.string().min(1)).min(1),
    process: processSpec,
    listen: z.array(port).default([]),
    /** Connections to another tier of the same application, on a port that tier listens on. */
    connectsTo: z.array(z.object({ tier: z.string().min(1), port }).strict()).default([]),
    ...guestSoftwareFields,
  })
  .strict();
const application = z
  .object({
    name: z.string().min(1),
    tiers: z.array(tier).min(1),
  })
  .strict();
const sharedService = z
  .object({
    name: z.string().min(1),
    machines: z.array(z.string().min(1)).min(1),
    process: processSpec,
    listen: z.array(port).min(1),
    /** Machines that connect to it; default every machine of every application. */
    clients: z.array(z.string().min(1)).optional(),
    /** The client side's process per OS (e.g. svchost.exe / sssd); defaults to a system process. */
    clientProcess: z.object({ windows: processSpec.optional(), linux: processSpec.optional() }).strict().default({}),
    ...guestSoftwareFields,
  })
  .strict();

export const estateSchema = z
  .object({
    /** Seeds GUIDs, MACs and workload noise so the same file always gives the same estate. */
    seed: z.number().int().default(1),
    hosts: z.array(host).default([]),
    vms: z.array(vm).default([]),
    generate: z.array(generator).default([]),
    /** Physical servers, read directly over SSH (linux) or WinRM (windows). */
    servers: z.array(server).default([]),
    generateServers: z.array(serverGenerator).default([]),
    /** Multi-tier applications over the machines above (web -> app -> database). */
    applications: z.array(application).default([]),
    /** Services every application machine uses (DNS, AD): ports that dependency groups usually ignore. */
    sharedServices: z.array(sharedService).default([]),
  })
  .strict();

export type EstateHost = z.infer<typeof host>;

/** A VM after expansion: every id resolved, every default applied. */
export interface EstateVm {
  name: string;
  host: EstateHost;
  cpus: number;
  memoryMB: number;
  firmware: 'bios' | 'uefi';
  generation: number;
  dynamicMemory: { enabled: boolean; minimumMB: number; maximumMB: number } | null;
  os: { name: string; id: string | null; version: string | null };
  powerState: 'poweredOn' | 'poweredOff' | 'suspended';
  template: boolean;
  disks: Array<{ key: number; id: string; sizeGB: number; capacityBytes: number; type: string; path: string }>;
  nics: Array<{ key: number; id: string; network: string; mac: string }>;
  ipAddresses: string[];
  fqdn: string | null;
  annotation: string | null;
  /** vCenter config.uuid / Hyper-V BIOSGUID. */
  biosUuid: string;
  /** vCenter config.instanceUuid / Hyper-V VM GUID (upper case on Hyper-V). */
  instanceUuid: string;
  workload: Workload;
  /** Position in the estate, used by simulators to derive morefs ("vm-<index+1000>"). */
  index: number;
}

/** A physical server after expansion: every id resolved, every default applied. */
export interface EstateServer {
  name: string;
  family: 'linux' | 'windows';
  cpus: number;
  memoryMB: number;
  firmware: 'bios' | 'uefi';
  os: { name: string; version: string };
  architecture: 'x86_64' | 'i686' | 'aarch64';
  /** `name` is the OS device name (sda / \\.\PHYSICALDRIVE0); disks[0] is the boot disk. */
  disks: Array<{ index: number; name: string; sizeGB: number; capacityBytes: number; model: string }>;
  nics: Array<{ index: number; name: string; mac: string; ipAddresses: string[] }>;
  ipAddresses: string[];
  fqdn: string;
  /** Canonical lower-case SMBIOS UUID; equal to the sameAs VM's biosUuid. */
  biosUuid: string;
  biosSerial: string;
  /** Linux /etc/machine-id (32 hex digits). */
  machineId: string;
  workload: Workload;
  /** The VM of this estate that is the same machine, or null. */
  sameAs: string | null;
  down: boolean;
  /** Position among the servers (for ports, addresses). */
  index: number;
}

export interface EstateProcess {
  name: string;
  /** null: the OS default directory for the machine (see lab/guest-world.ts). */
  path: string | null;
  args: string;
}

export interface EstateSoftware {
  software: Array<{ name: string; version: string | null; publisher: string | null }>;
  features: string[];
  sqlInstances: Array<{ name: string; edition: string; version: string; servicePack: string | null }>;
}

/** A tier after resolution: machines are canonical machine names (a server with sameAs becomes its VM). */
export interface EstateTier extends EstateSoftware {
  application: string;
  name: string;
  machines: string[];
  process: EstateProcess;
  listen: number[];
  connectsTo: Array<{ tier: string; port: number }>;
}

export interface EstateApplication {
  name: string;
  tiers: EstateTier[];
}

export interface EstateSharedService extends EstateSoftware {
  name: string;
  machines: string[];
  process: EstateProcess;
  listen: number[];
  clients: string[];
  clientProcess: { windows: EstateProcess | null; linux: EstateProcess | null };
}

export interface Estate {
  seed: number;
  hosts: EstateHost[];
  vms: EstateVm[];
  servers: EstateServer[];
  applications: EstateApplication[];
  sharedServices: EstateSharedService[];
}

const DEFAULT_SERVER_OS = {
  linux: { name: 'Debian GNU/Linux 12 (bookworm)', version: '12' },
  windows: { name: 'Microsoft Windows Server 2022 Datacenter', version: '10.0.20348' },
} as const;

function stableHex(seed: number, bytes: number, ...parts: string[]): string {
  return createHash('sha256')
    .update(`${seed}|${parts.join('|')}`)
    .digest('hex')
    .slice(0, bytes * 2);
}

function linuxDiskName(i: number): string {
  // sda..sdz, then sdaa.. as the kernel names them.
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return i < 26 ? `sd${letters[i]}` : `sd${letters[Math.floor(i / 26) - 1]}${letters[i % 26]}`;
}

/** Deterministic UUID from the seed and a name, so ids survive restarts of the lab. */
export function stableUuid(seed: number, ...parts: string[]): string {
  const h = createHash('sha256')
    .update(`${seed}|${parts.join('|')}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function stableMac(seed: number, vmName: string, i: number): string {
  const h = createHash('sha256').update(`${seed}|mac|${vmName}|${i}`).digest('hex');
  // 00:50:56 is VMware's OUI for manually assigned MACs; the lab uses it for both platforms.
  return `00:50:56:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

/** Validates and expands an estate (generators, defaults, ids). Errors name the key and the fix. */
export function buildEstate(raw: unknown, file = 'estate'): Estate {
  const parsed = estateSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new UserError(`${file}: the estate is not valid:\n${lines.join('\n')}`, {
      fix: 'See schemas/estate.schema.json and lab/estates/sample.yaml for the format.',
    });
  }
  const e = parsed.data;
  const hostsByName = new Map(e.hosts.map((h) => [h.name, h]));
  const vms: EstateVm[] = [];
  const names = new Set<string>();
  const add = (spec: z.infer<typeof vm>): void => {
    const h = hostsByName.get(spec.host);
    if (!h)
      throw new UserError(`${file}: VM ${spec.name} is placed on host ${spec.host}, which is not in hosts.`, {
        fix: `Add ${spec.host} to hosts, or place the VM on a listed host.`,
      });
    if (names.has(`${h.platform}|${spec.name}`))
      throw new UserError(`${file}: VM name ${spec.name} appears twice.`, { fix: 'Give every VM its own name.' });
    names.add(`${h.platform}|${spec.name}`);
    const generation = spec.generation ?? (spec.firmware === 'uefi' ? 2 : 1);
    const firmware = spec.firmware ?? (generation === 2 ? 'uefi' : 'bios');
    const instanceUuid = spec.instanceUuid ?? stableUuid(e.seed, 'instance', spec.name);
    vms.push({
      name: spec.name,
      host: h,
      cpus: spec.cpus,
      memoryMB: spec.memoryMB,
      firmware,
      generation,
      dynamicMemory: spec.dynamicMemory
        ? {
            enabled: spec.dynamicMemory.enabled,
            minimumMB: spec.dynamicMemory.minimumMB ?? 512,
            maximumMB: spec.dynamicMemory.maximumMB ?? 1_048_576,
          }
        : null,
      os: { name: spec.os.name, id: spec.os.id ?? null, version: spec.os.version ?? null },
      powerState: spec.powerState,
      template: spec.template,
      disks: spec.disks.map((d, i) => ({
        key: 2000 + i,
        id: String(2000 + i),
        sizeGB: d.sizeGB,
        capacityBytes: Math.round(d.sizeGB * 1024 ** 3),
        type: d.type,
        path:
          d.path ??
          (h.platform === 'hyperv'
            ? `C:\\VMs\\${spec.name}\\Virtual Hard Disks\\${spec.name}_${i}.vhdx`
            : `[datastore1] ${spec.name}/${spec.name}_${i}.vmdk`),
      })),
      nics: spec.nics.map((n, i) => ({
        key: 4000 + i,
        id: String(4000 + i),
        network: n.network,
        mac: (n.mac ?? stableMac(e.seed, spec.name, i)).toLowerCase(),
      })),
      ipAddresses:
        spec.ipAddresses ??
        (spec.powerState === 'poweredOn' ? [`10.${(vms.length >> 16) & 255}.${(vms.length >> 8) & 255}.${(vms.length & 255) + 1}`] : []),
      fqdn: spec.fqdn ?? (spec.powerState === 'poweredOn' ? `${spec.name}.lab.local` : null),
      annotation: spec.annotation ?? null,
      biosUuid: spec.biosUuid ?? stableUuid(e.seed, 'bios', spec.name),
      instanceUuid,
      workload: spec.workload,
      index: vms.length,
    });
  };
  for (const v of e.vms) add(v);
  for (const g of e.generate) {
    const { count, prefix, hosts, ...fields } = g as z.infer<typeof generator> & Record<string, unknown>;
    const width = Math.max(5, String(count).length);
    for (let i = 0; i < count; i++) {
      add(vm.parse({ ...fields, name: `${prefix}-${String(i + 1).padStart(width, '0')}`, host: hosts[i % hosts.length] }));
    }
  }
  const servers = buildServers(e, vms, file);
  const { applications, sharedServices } = buildApplications(e, vms, servers, file);
  return { seed: e.seed, hosts: e.hosts, vms, servers, applications, sharedServices };
}

/**
 * The canonical machine name for a VM or server name: a server with sameAs is its VM's machine. Throws a
 * UserError naming `where` when the name is unknown or names two VMs (one per platform).
 */
export function canonicalMachine(vms: EstateVm[], servers: EstateServer[], name: string, where: string, file = 'estate'): string {
  const server = servers.find((s) => s.name === name);
  if (server) return server.sameAs ?? server.name;
  const matches = vms.filter((v) => v.name === name);
  if (matches.length === 1) return name;
  throw new UserError(
    matches.length === 0
      ? `${file}: ${where} names machine ${name}, which is neither a VM nor a server of the estate.`
      : `${file}: ${where} names machine ${name}, which is a VM on two platforms.`,
    { fix: 'Name a VM (vms or generate) or a server (servers or generateServers) of the estate.' },
  );
}

function buildApplications(
  e: z.infer<typeof estateSchema>,
  vms: EstateVm[],
  servers: EstateServer[],
  file: string,
): { applications: EstateApplication[]; sharedServices: EstateSharedService[] } {
  const proc = (p: z.infer<typeof processSpec>): EstateProcess => ({ name: p.name, path: p.path ?? null, args: p.args });
  const soft = (t: {
    software: Array<z.infer<typeof softwareSpec>>;
    features: string[];
    sqlInstances: Array<z.infer<typeof sqlInstanceSpec>>;
  }) => ({
    software: t.software.map((s) => ({ name: s.name, version: s.version ?? null, publisher: s.publisher ?? null })),
    features: [...t.features],
    sqlInstances: t.sqlInstances.map((i) => ({ name: i.name, edition: i.edition, version: i.version, servicePack: i.servicePack ?? null })),
  });
  const machines = (names: string[], where: string): string[] => [
    ...new Set(names.map((n) => canonicalMachine(vms, servers, n, where, file))),
  ];
  const appNames = new Set<string>();
  const applications = e.applications.map((a): EstateApplication => {
    if (appNames.has(a.name))
      throw new UserError(`${file}: application ${a.name} appears twice.`, { fix: 'Give every application its own name.' });
    appNames.add(a.name);
    const tiers = a.tiers.map(
      (t): EstateTier => ({
        application: a.name,
        name: t.name,
        machines: machines(t.machines, `application ${a.name} tier ${t.name}`),
        process: proc(t.process),
        listen: [...t.listen],
        connectsTo: t.connectsTo.map((c) => ({ ...c })),
        ...soft(t),
      }),
    );
    for (const t of tiers) {
      if (tiers.filter((o) => o.name === t.name).length > 1)
        throw new UserError(`${file}: application ${a.name} has two tiers named ${t.name}.`, { fix: 'Give every tier its own name.' });
      for (const c of t.connectsTo) {
        const target = tiers.find((o) => o.name === c.tier);
        if (!target)
          throw new UserError(
            `${file}: application ${a.name} tier ${t.name} connects to tier ${c.tier}, which is not a tier of ${a.name}.`,
            {
              fix: `Name one of: ${tiers.map((o) => o.name).join(', ')}.`,
            },
          );
        if (!target.listen.includes(c.port))
          throw new UserError(
            `${file}: application ${a.name} tier ${t.name} connects to ${c.tier} on port ${c.port}, where ${c.tier} does not listen.`,
            {
              fix: `Add ${c.port} to listen of tier ${c.tier}, or use one of its ports (${target.listen.join(', ') || 'none'}).`,
            },
          );
      }
    }
    return { name: a.name, tiers };
  });
  const appMachines = [...new Set(applications.flatMap((a) => a.tiers.flatMap((t) => t.machines)))];
  const sharedServices = e.sharedServices.map(
    (s): EstateSharedService => ({
      name: s.name,
      machines: machines(s.machines, `shared service ${s.name}`),
      process: proc(s.process),
      listen: [...s.listen],
      clients: s.clients ? machines(s.clients, `shared service ${s.name} clients`) : appMachines,
      clientProcess: {
        windows: s.clientProcess.windows ? proc(s.clientProcess.windows) : null,
        linux: s.clientProcess.linux ? proc(s.clientProcess.linux) : null,
      },
      ...soft(s),
    }),
  );
  return { applications, sharedServices };
}

function buildServers(e: z.infer<typeof estateSchema>, vms: EstateVm[], file: string): EstateServer[] {
  const vmsByName = new Map(vms.map((v) => [v.name, v]));
  const servers: EstateServer[] = [];
  const names = new Set<string>();
  const add = (spec: z.infer<typeof server>): void => {
    if (names.has(spec.name))
      throw new UserError(`${file}: server name ${spec.name} appears twice.`, { fix: 'Give every server its own name.' });
    names.add(spec.name);
    let biosUuid = spec.biosUuid?.toLowerCase() ?? stableUuid(e.seed, 'server-bios', spec.name);
    if (spec.sameAs !== undefined) {
      const twin = vmsByName.get(spec.sameAs);
      if (!twin)
        throw new UserError(`${file}: server ${spec.name} is sameAs ${spec.sameAs}, which is not a VM of the estate.`, {
          fix: 'Name a VM listed under vms (or generated), or drop sameAs.',
        });
      biosUuid = twin.biosUuid.toLowerCase();
    }
    const index = servers.length;
    const windows = spec.family === 'windows';
    // First NIC in 172.16.0.0/12, further NICs in 10.201+/16: away from the VMs' 10.0.x.x.
    const n = index + 1;
    const ip = (nic: number): string =>
      nic === 0 ? `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}` : `10.${200 + nic}.${(n >> 8) & 255}.${n & 255}`;
    const nics = spec.nics.map((nicSpec, i) => ({
      index: i,
      name: nicSpec.name ?? (windows ? (i === 0 ? 'Ethernet' : `Ethernet ${i + 1}`) : `eth${i}`),
      // 00:15:5d is Hyper-V's OUI; any fixed OUI will do for the lab.
      mac: (
        nicSpec.mac ?? `00:15:5d:${(stableHex(e.seed, 3, 'server-mac', spec.name, String(i)).match(/../g) ?? []).join(':')}`
      ).toLowerCase(),
      ipAddresses: nicSpec.ipAddresses ?? [ip(i)],
    }));
    servers.push({
      name: spec.name,
      family: spec.family,
      cpus: spec.cpus,
      memoryMB: spec.memoryMB,
      firmware: spec.firmware,
      os: {
        name: spec.os?.name ?? DEFAULT_SERVER_OS[spec.family].name,
        version: spec.os?.version ?? DEFAULT_SERVER_OS[spec.family].version,
      },
      architecture: spec.architecture,
      disks: spec.disks.map((d, i) => ({
        index: i,
        name: d.name ?? (windows ? `\\\\.\\PHYSICALDRIVE${i}` : linuxDiskName(i)),
        sizeGB: d.sizeGB,
        capacityBytes: Math.round(d.sizeGB * 1024 ** 3),
        model: d.model ?? (windows ? 'Msft Virtual Disk' : 'LAB-SSD'),
      })),
      nics,
      ipAddresses: nics.flatMap((n) => n.ipAddresses),
      fqdn: spec.fqdn ?? `${spec.name}.lab.local`,
      biosUuid,
      biosSerial: spec.biosSerial ?? `LAB-${stableHex(e.seed, 6, 'server-serial', spec.name).toUpperCase()}`,
      machineId: stableHex(e.seed, 16, 'machine-id', spec.name),
      workload: spec.workload,
      sameAs: spec.sameAs ?? null,
      down: spec.down,
      index,
    });
  };
  for (const s of e.servers) add(s);
  for (const g of e.generateServers) {
    const { count, prefix, ...fields } = g;
    const width = Math.max(5, String(count).length);
    for (let i = 0; i < count; i++) add(server.parse({ ...fields, name: `${prefix}-${String(i + 1).padStart(width, '0')}` }));
  }
  return servers;
}

export function loadEstate(file: string): Estate {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read the estate file ${file} (${(err as NodeJS.ErrnoException).code ?? err}).`, {
      fix: 'Check the --estate path; lab/estates/sample.yaml is a starting point.',
    });
  }
  return buildEstate(parse(text), file);
}
