// The one contract every collector emits: machines (inventory) and samples (performance).
// Rollup, assessment and the appliance depend on this file, never on a particular collector.
// Change these shapes deliberately: the JSON Schemas in schemas/ and the README describe them.

/** The shared metric vocabulary; the unit is part of the name and is converted once, at the collector's edge. */
export const MACHINE_METRICS = ['cpu.usage.percent', 'memory.usage.percent'] as const;
export const DISK_METRICS = [
  'disk.read.bytesPerSec',
  'disk.write.bytesPerSec',
  'disk.read.opsPerSec',
  'disk.write.opsPerSec',
] as const;
export const NIC_METRICS = ['net.received.bytesPerSec', 'net.transmitted.bytesPerSec'] as const;
export const METRICS = [...MACHINE_METRICS, ...DISK_METRICS, ...NIC_METRICS] as const;

export type MachineMetric = (typeof MACHINE_METRICS)[number];
export type DiskMetric = (typeof DISK_METRICS)[number];
export type NicMetric = (typeof NIC_METRICS)[number];
export type MetricName = (typeof METRICS)[number];

export function isMetricName(value: string): value is MetricName {
  return (METRICS as readonly string[]).includes(value);
}

/** Which kind of instance a metric is reported per: the whole machine (instance ""), a disk id or a NIC id. */
export function metricScope(metric: MetricName): 'machine' | 'disk' | 'nic' {
  if ((DISK_METRICS as readonly string[]).includes(metric)) return 'disk';
  if ((NIC_METRICS as readonly string[]).includes(metric)) return 'nic';
  return 'machine';
}

/**
 * One performance sample. `ts` is epoch milliseconds at the END of the sample interval
 * (vSphere's convention for realtime stats); `instance` is "" for machine-wide metrics,
 * the disk id for disk metrics and the NIC id for network metrics.
 */
export interface Sample {
  machine: string;
  metric: MetricName;
  instance: string;
  ts: number;
  value: number;
  intervalSec: number;
}

export type MachineKind = 'vmware' | 'hyperv';
export type SourceKind = 'vcenter' | 'hyperv';
export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';
export type Firmware = 'bios' | 'uefi';

export interface Disk {
  /** vCenter: the device key; Hyper-V: the virtual disk id (or a stable id derived from the drive). */
  id: string;
  capacityBytes: number;
  label?: string | null;
  /** Backing file (VMDK / VHDX path) where known. */
  path?: string | null;
  /** Provisioning type where known: thin, thick, eagerZeroedThick, fixed, dynamic, differencing. */
  type?: string | null;
  controllerKey?: number | null;
  unitNumber?: number | null;
}

export interface Nic {
  /** vCenter: the device key; Hyper-V: the NIC GUID from the port setting InstanceID. */
  id: string;
  /** Lower-case, colon separated: "00:50:56:aa:bb:cc". */
  mac: string | null;
  label?: string | null;
  /** Port group / virtual switch name where known. */
  network?: string | null;
  ipAddresses?: string[];
}

export interface Machine {
  /** Stable and unique across sources: see machineId(). */
  id: string;
  /** The configured source name that discovered it. */
  source: string;
  kind: MachineKind;
  name: string;
  /** vCenter managed object id ("vm-42"); null for Hyper-V. */
  moref: string | null;
  /** vCenter config.uuid; Hyper-V BIOSGUID. */
  biosUuid: string | null;
  /** vCenter config.instanceUuid; Hyper-V VM GUID. */
  instanceId: string;
  cpuCores: number;
  memoryMB: number;
  os: { name: string | null; id: string | null; version?: string | null; architecture?: 'x64' | 'x86' | null };
  firmware: Firmware;
  powerState: PowerState;
  host: string | null;
  cluster: string | null;
  datacenter: string | null;
  disks: Disk[];
  nics: Nic[];
  ipAddresses: string[];
  fqdn?: string | null;
  annotation?: string | null;
  /** Hyper-V dynamic memory facts (null when unknown or not applicable). */
  memory?: { startupMB: number; dynamic: boolean; maximumMB: number | null } | null;
  generation?: number | null;
}

export interface SourceSummary {
  name: string;
  kind: SourceKind;
  /** Where it was reached (URL or host:port), never with credentials. */
  endpoint: string;
  /** Identity of the far end, e.g. vCenter about.instanceUuid/version, Hyper-V host names. */
  about: Record<string, string>;
  machines: number;
  /** vCenter templates are not machines; they are counted and skipped. */
  templatesSkipped: number;
  discoveredAt: string;
  errors: string[];
}

export interface Inventory {
  sources: SourceSummary[];
  machines: Machine[];
}

export interface PollStats {
  machinesPolled: number;
  samples: number;
  /** Requests to the far end (QueryPerf calls, WS-Man round trips). */
  requests: number;
  errors: string[];
}

/** Receives samples as they are decoded, one batch per far-end response, so nothing accumulates. */
export type SampleSink = (batch: Sample[]) => void | Promise<void>;

/**
 * The contract every source implements (Telegraf-style): the pipeline behind it does not care
 * which source a sample came from. A collector keeps one long-lived session and its own
 * high-water marks; poll() captures every sample since the last poll exactly once.
 */
export interface SourceCollector {
  readonly name: string;
  readonly kind: SourceKind;
  /** Default cadence: 20 s for vCenter, 30 s for Hyper-V. */
  readonly pollIntervalSec: number;
  discover(): Promise<{ source: SourceSummary; machines: Machine[] }>;
  poll(sink: SampleSink): Promise<PollStats>;
  close(): Promise<void>;
}

/** Builds the stable machine id: `<kind>:<scope>:<local id>`, lower-cased. */
export function machineId(kind: MachineKind, scope: string, localId: string): string {
  return `${kind}:${scope}:${localId}`.toLowerCase();
}

/** Normalises a MAC to lower-case colon form; accepts "00-50-56-AA-BB-CC" and "005056AABBCC". */
export function normalizeMac(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const hex = raw.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
  if (hex.length !== 12) return raw.toLowerCase();
  return hex.match(/.{2}/g)!.join(':');
}
