// Turns the inventory command's sections into a Machine. Every field a non-root account cannot read is
// reported in `unavailable` with the reason, never as a failure of the whole host.
import { machineId, normalizeMac, type Disk, type Machine, type Nic } from '../../model/index.js';
import { splitSections } from './commands.js';

export interface InventoryContext {
  source: string;
  /** The configured host entry, for messages. */
  label: string;
  includeVirtualNics: boolean;
  /** NIC names reported even when virtual or loopback (e.g. ["lo"] in a test). */
  includeNics: string[];
}

/** What the perf readings are matched against. */
export interface LinuxInventory {
  machine: Machine;
  diskNames: string[];
  nicNames: string[];
}

export class InventoryFormatError extends Error {}

/** os-release(5): KEY=value lines, values optionally quoted with shell escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m?.[1] || m[2] === undefined) continue;
    let v = m[2].trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) v = v.slice(1, -1);
    out[m[1]] = v.replace(/\\(["'$`\\])/g, '$1');
  }
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a root-only or absent sysfs file gave no value, from the error cat printed. */
function unreadableReason(text: string, path: string): string | null {
  if (/permission denied/i.test(text)) return `needs root: ${path} is readable by root only`;
  if (/no such file/i.test(text)) return `not present: ${path} does not exist (no DMI/SMBIOS data on this system)`;
  return null;
}

/** SMBIOS UUID, canonical lower-case, or why not. All-zero/all-F UUIDs mean "not set" per SMBIOS. */
export function canonicalUuid(text: string): { uuid: string } | { reason: string } {
  const path = '/sys/class/dmi/id/product_uuid';
  const why = unreadableReason(text, path);
  if (why) return { reason: why };
  const v = text.trim().toLowerCase();
  if (!UUID_RE.test(v)) return { reason: `the firmware reports no usable UUID (${JSON.stringify(v.slice(0, 40))})` };
  if (/^[0-]+$/.test(v) || /^[f-]+$/.test(v)) return { reason: 'the firmware reports the UUID as not set (all zeros or all ones)' };
  return { uuid: v };
}

const NO_SERIAL = /^(|none|not specified|not applicable|to be filled by o\.e\.m\.|default string|system serial number|0+|n\/a)$/i;

function serial(text: string): { serial: string } | { reason: string } {
  const path = '/sys/class/dmi/id/product_serial';
  const why = unreadableReason(text, path);
  if (why) return { reason: why };
  const v = text.trim();
  if (NO_SERIAL.test(v)) return { reason: `the firmware reports no serial number (${JSON.stringify(v)})` };
  return { serial: v };
}

function parseJson(text: string | undefined, what: string): unknown {
  if (!text) throw new InventoryFormatError(`${what}: no output`);
  try {
    return JSON.parse(text);
  } catch {
    throw new InventoryFormatError(`${what}: ${text.split('\n')[0]?.slice(0, 200)}`);
  }
}

interface LsblkDevice {
  name?: string;
  size?: number | string | null;
  model?: string | null;
  type?: string;
  rota?: boolean | string | null;
  children?: LsblkDevice[];
}

/** RAM-backed block devices are not disks to migrate. */
const RAM_DISK = /^(zram|ram)\d+$/;

export function parseDisks(lsblkJson: string | undefined): Disk[] {
  const doc = parseJson(lsblkJson, 'lsblk -J -b -d') as { blockdevices?: LsblkDevice[] };
  const disks: Disk[] = [];
  for (const d of doc.blockdevices ?? []) {
    // -d already leaves out partitions and holders; TYPE leaves out loop, rom, dm (lvm, crypt, mpath).
    if (d.type !== 'disk' || !d.name || RAM_DISK.test(d.name)) continue;
    const model = typeof d.model === 'string' ? d.model.trim() : '';
    disks.push({ id: d.name, label: d.name, capacityBytes: Number(d.size ?? 0), model: model || null });
  }
  return disks;
}

/** The whole disk(s) under the device mounted on / (lsblk -s walks from it to its parents). */
export function parseRootDisk(text: string | undefined): { disk: string } | { reason: string } {
  if (!text?.trimStart().startsWith('{')) {
    const first = text?.split('\n')[0]?.trim() ?? '';
    return { reason: `the device holding / is not a block device the account can see (${first.slice(0, 160) || 'no output'})` };
  }
  const doc = parseJson(text, 'lsblk -J -s') as { blockdevices?: LsblkDevice[] };
  const found: string[] = [];
  const walk = (d: LsblkDevice) => {
    if (d.type === 'disk' && d.name && !found.includes(d.name)) found.push(d.name);
    for (const c of d.children ?? []) walk(c);
  };
  for (const d of doc.blockdevices ?? []) walk(d);
  const disk = found[0];
  return disk ? { disk } : { reason: 'no whole disk found under the device holding /' };
}

interface IpLink {
  ifname?: string;
  link_type?: string;
  address?: string;
  addr_info?: Array<{ family?: string; local?: string }>;
}

export function parseNics(
  ipJson: string | undefined,
  virtualNames: Set<string>,
  ctx: Pick<InventoryContext, 'includeVirtualNics' | 'includeNics'>,
): Nic[] {
  const links = parseJson(ipJson, 'ip -j addr') as IpLink[];
  const nics: Nic[] = [];
  for (const l of Array.isArray(links) ? links : []) {
    if (!l.ifname) continue;
    const forced = ctx.includeNics.includes(l.ifname);
    const loopback = l.link_type === 'loopback';
    // /sys/devices/virtual/net lists software interfaces: lo, bridges, veth, tun, bonds, VLANs.
    const virtual = virtualNames.has(l.ifname);
    if (!forced && (loopback || (virtual && !ctx.includeVirtualNics))) continue;
    const ips = (l.addr_info ?? []).map((a) => a.local).filter((a): a is string => typeof a === 'string' && a.length > 0);
    nics.push({ id: l.ifname, label: l.ifname, mac: l.link_type === 'ether' ? normalizeMac(l.address) : null, ipAddresses: ips });
  }
  return nics;
}

function arch(uname: string): 'x64' | 'x86' | null {
  const m = uname.trim();
  if (m === 'x86_64' || m === 'amd64') return 'x64';
  if (/^i[3-6]86$/.test(m)) return 'x86';
  return null;
}

export function parseInventory(text: string, ctx: InventoryContext): LinuxInventory {
  const s = splitSections(text);
  if (!s.has('end')) throw new InventoryFormatError('the inventory output is incomplete (no end marker)');
  const unavailable: Record<string, string> = {};

  const osr = parseOsRelease(s.get('os-release') ?? '');
  const cores = Number.parseInt(s.get('nproc') ?? '', 10);
  if (!Number.isFinite(cores) || cores < 1)
    throw new InventoryFormatError(`cannot count processors in /proc/cpuinfo: ${(s.get('nproc') ?? '').slice(0, 120)}`);
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(s.get('meminfo') ?? '')?.[1]);
  if (!Number.isFinite(memKb) || memKb <= 0) throw new InventoryFormatError('cannot read MemTotal from /proc/meminfo');

  const uuid = canonicalUuid(s.get('product_uuid') ?? '');
  const machineIdText = (s.get('machine-id') ?? '').trim().toLowerCase();
  let id: string;
  let localId: string;
  if ('uuid' in uuid) {
    id = machineId('physical', 'bios', uuid.uuid);
    localId = uuid.uuid;
  } else if (/^[0-9a-f]{32}$/.test(machineIdText)) {
    // Stable across restarts, but not across a reinstall and not comparable with a hypervisor's view.
    unavailable.biosUuid = `${uuid.reason}; the machine id uses /etc/machine-id instead`;
    id = machineId('physical', 'machine-id', machineIdText);
    localId = machineIdText;
  } else {
    throw new InventoryFormatError(`no stable identity: ${uuid.reason}, and /etc/machine-id is unreadable`);
  }
  const ser = serial(s.get('product_serial') ?? '');
  if ('reason' in ser) unavailable.biosSerial = ser.reason;

  const hostname = (s.get('hostname') ?? '').split('\n')[0]?.trim() ?? '';
  const isIp = /^[\d.]+$|:/.test(hostname);
  const name = hostname && !isIp ? (hostname.split('.')[0] ?? hostname) : ctx.label;
  const fqdn = hostname.includes('.') && !isIp ? hostname : null;
  if (!fqdn) unavailable.fqdn = hostname ? `hostname -f gives no domain (${JSON.stringify(hostname)})` : 'hostname -f gives nothing';

  const disks = parseDisks(s.get('lsblk'));
  const virtualNames = new Set(
    (s.get('virtual-net') ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const nics = parseNics(s.get('ip'), virtualNames, ctx);
  const root = parseRootDisk(s.get('root-disk'));
  let bootDisk: string | null = null;
  if ('disk' in root && disks.some((d) => d.id === root.disk)) bootDisk = root.disk;
  else unavailable.bootDisk = 'reason' in root ? root.reason : `the disk holding / (${root.disk}) is not among the whole disks`;

  const osName = osr.PRETTY_NAME ?? ([osr.NAME, osr.VERSION].filter(Boolean).join(' ') || null);
  const machine: Machine = {
    id,
    source: ctx.source,
    kind: 'physical',
    name,
    moref: null,
    biosUuid: 'uuid' in uuid ? uuid.uuid : null,
    instanceId: localId,
    cpuCores: cores,
    memoryMB: Math.round(memKb / 1024),
    os: { name: osName, id: osr.ID ?? null, version: osr.VERSION_ID ?? null, architecture: arch(s.get('uname') ?? ''), family: 'linux' },
    firmware: (s.get('firmware') ?? '').trim() === 'uefi' ? 'uefi' : 'bios',
    powerState: 'poweredOn',
    host: null,
    address: ctx.label,
    cluster: null,
    datacenter: null,
    disks,
    nics,
    ipAddresses: [...new Set(nics.flatMap((n) => n.ipAddresses ?? []))],
    fqdn,
    biosSerial: 'serial' in ser ? ser.serial : null,
    bootDisk,
    unavailable,
    seenBy: [ctx.source],
  };
  return { machine, diskNames: disks.map((d) => d.id), nicNames: nics.map((n) => n.id) };
}
