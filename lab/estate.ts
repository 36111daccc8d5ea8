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

export const estateSchema = z
  .object({
    /** Seeds GUIDs, MACs and workload noise so the same file always gives the same estate. */
    seed: z.number().int().default(1),
    hosts: z.array(host).default([]),
    vms: z.array(vm).default([]),
    generate: z.array(generator).default([]),
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

export interface Estate {
  seed: number;
  hosts: EstateHost[];
  vms: EstateVm[];
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
  return { seed: e.seed, hosts: e.hosts, vms };
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
