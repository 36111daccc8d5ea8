// What the estate's guests hold inside (issue 12), derived from the estate's applications and shared services:
// per machine, the installed software (a base set for its OS + its tiers' software), Windows roles and features,
// SQL Server instances, its processes, and at a time t its TCP sockets (listening ports and established
// connections, both ends, with deterministic ephemeral ports per 5-minute slot). The Windows lab (StdRegProv,
// Win32_ServerFeature, MSFT_NetTCPConnection, Win32_Process) and the Linux lab (dpkg-query, rpm, snap, ss, /proc)
// both serve from here, and tests compare what the readers find with it.
import type { Estate, EstateProcess, EstateSoftware } from './estate.js';
import { createHash } from 'node:crypto';
import { hash32 } from './workload.js';

function stableUuidFromHash(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Connections are redrawn (new ephemeral ports) every 5 minutes, the dependency poll interval. */
export const CONNECTION_SLOT_MS = 300_000;

export interface GuestMachine {
  /** Canonical machine name (a server with sameAs is its VM). */
  name: string;
  os: 'windows' | 'linux';
  osName: string;
  platform: 'vmware' | 'hyperv' | 'physical';
  /** The first is the address its connections use; a sameAs server adds its own. */
  ips: string[];
  /** Linux: the package manager of its distribution. */
  packageManager: 'dpkg' | 'rpm' | null;
}

export interface GuestInstalledApp {
  /** The Uninstall subkey name (a product code for MSI installs). */
  key: string;
  name: string;
  version: string | null;
  publisher: string | null;
  /** Windows: under WOW6432Node (32-bit software on 64-bit Windows). */
  wow6432: boolean;
}

export interface GuestSoftwareWorld {
  applications: GuestInstalledApp[];
  /** Linux (Ubuntu): snaps. */
  snaps: Array<{ name: string; version: string; rev: number; publisher: string }>;
  /** Uninstall keys that have no DisplayName (components, updates): readers must skip them. */
  hiddenKeys: string[];
  features: Array<{ id: number; name: string; parentId: number }>;
  sqlInstances: Array<{ name: string; id: string; edition: string; version: string; servicePack: string | null }>;
}

export interface GuestProcessWorld {
  pid: number;
  name: string;
  /** null: a process without an image path (Windows System). */
  path: string | null;
  args: string;
  /** The full command line as the OS shows it (Win32_Process.CommandLine, /proc/<pid>/cmdline joined). */
  commandLine: string | null;
}

export interface GuestSocketWorld {
  state: 'listen' | 'established';
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  pid: number;
}

const WINDOWS_BASE: Array<Omit<GuestInstalledApp, 'key'>> = [
  {
    name: 'Microsoft Visual C++ 2022 X64 Minimum Runtime - 14.38.33130',
    version: '14.38.33130',
    publisher: 'Microsoft Corporation',
    wow6432: false,
  },
  {
    name: 'Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33130',
    version: '14.38.33130.0',
    publisher: 'Microsoft Corporation',
    wow6432: true,
  },
  { name: 'Microsoft Edge', version: '120.0.2210.91', publisher: 'Microsoft Corporation', wow6432: true },
];
const VMWARE_TOOLS = { name: 'VMware Tools', version: '12.3.5.22544099', publisher: 'VMware, Inc.', wow6432: false };

const DPKG_BASE = (debian: boolean) => {
  const m = debian ? 'Debian' : 'Ubuntu';
  const maint = debian ? 'GNU Libc Maintainers <debian-glibc@lists.debian.org>' : `${m} Developers <ubuntu-devel-discuss@lists.ubuntu.com>`;
  return [
    { name: 'bash', version: debian ? '5.2.15-2+b2' : '5.1-6ubuntu1.1', publisher: maint },
    { name: 'coreutils', version: debian ? '9.1-1' : '8.32-4.1ubuntu1.2', publisher: maint },
    { name: 'libc6', version: debian ? '2.36-9+deb12u4' : '2.35-0ubuntu3.7', publisher: maint },
    { name: 'openssh-server', version: debian ? '1:9.2p1-2+deb12u2' : '1:8.9p1-3ubuntu0.10', publisher: maint },
    { name: 'systemd', version: debian ? '252.22-1~deb12u1' : '249.11-0ubuntu3.12', publisher: maint },
  ];
};
const RPM_BASE = [
  { name: 'bash', version: '4.4.20-4.el8_6', publisher: 'Red Hat, Inc.' },
  { name: 'coreutils', version: '8.30-15.el8', publisher: 'Red Hat, Inc.' },
  { name: 'glibc', version: '2.28-236.el8_9.12', publisher: 'Red Hat, Inc.' },
  { name: 'openssh-server', version: '8.0p1-19.el8_9.2', publisher: 'Red Hat, Inc.' },
  { name: 'systemd', version: '239-78.el8', publisher: 'Red Hat, Inc.' },
];
const UBUNTU_SNAPS = [
  { name: 'core22', version: '20240111', rev: 1122, publisher: 'canonical' },
  { name: 'lxd', version: '5.0.3-80aeff7', rev: 27037, publisher: 'canonical' },
  { name: 'snapd', version: '2.61.3', rev: 21184, publisher: 'canonical' },
];

/** Win32_ServerFeature IDs and parents as Windows Server reports them (a subset); others get a stable id. */
const FEATURES: Record<string, [number, number]> = {
  'File and Storage Services': [481, 0],
  'Storage Services': [487, 481],
  '.NET Framework 4.8 Features': [466, 0],
  '.NET Framework 4.8': [418, 466],
  'WCF Services': [420, 466],
  'TCP Port Sharing': [421, 420],
  'Windows PowerShell 5.1': [340, 0],
  'WoW64 Support': [412, 0],
  'Web Server (IIS)': [2, 0],
  'Web Server': [140, 2],
  'Application Development': [141, 140],
  'ASP.NET 4.8': [148, 141],
  'DNS Server': [13, 0],
  'Active Directory Domain Services': [10, 0],
};
const WINDOWS_BASE_FEATURES = [
  'File and Storage Services',
  'Storage Services',
  '.NET Framework 4.8 Features',
  '.NET Framework 4.8',
  'WCF Services',
  'TCP Port Sharing',
  'Windows PowerShell 5.1',
  'WoW64 Support',
];

function isWindowsOs(name: string): boolean {
  return /windows/i.test(name);
}

function packageManager(osName: string): 'dpkg' | 'rpm' {
  return /ubuntu|debian/i.test(osName) ? 'dpkg' : 'rpm';
}

/** The guest view of a machine named by VM or server name; null when the estate has no such machine. */
export function guestMachine(estate: Estate, name: string): GuestMachine | null {
  const server = estate.servers.find((s) => s.name === name);
  const canonical = server?.sameAs ?? name;
  const vm = estate.vms.find((v) => v.name === canonical);
  const twin = server ?? estate.servers.find((s) => s.sameAs === canonical);
  if (vm) {
    const os = twin ? twin.family : isWindowsOs(vm.os.name) ? 'windows' : 'linux';
    return {
      name: vm.name,
      os,
      osName: twin?.os.name ?? vm.os.name,
      platform: vm.host.platform,
      ips: [...new Set([...vm.ipAddresses, ...(twin?.ipAddresses ?? [])])],
      packageManager: os === 'linux' ? packageManager(twin?.os.name ?? vm.os.name) : null,
    };
  }
  if (!server) return null;
  return {
    name: server.name,
    os: server.family,
    osName: server.os.name,
    platform: 'physical',
    ips: [...server.ipAddresses],
    packageManager: server.family === 'linux' ? packageManager(server.os.name) : null,
  };
}

interface Role extends EstateSoftware {
  process: EstateProcess;
  listen: number[];
}

/** The tiers and shared services a machine runs, in estate order. */
function roles(estate: Estate, machine: string): Role[] {
  const out: Role[] = [];
  for (const a of estate.applications) for (const t of a.tiers) if (t.machines.includes(machine)) out.push(t);
  for (const s of estate.sharedServices) if (s.machines.includes(machine)) out.push(s);
  return out;
}

/** Installed software, features and SQL Server instances of a machine (deterministic, no time dependence). */
export function guestSoftware(estate: Estate, name: string): GuestSoftwareWorld {
  const m = guestMachine(estate, name);
  const empty: GuestSoftwareWorld = { applications: [], snaps: [], hiddenKeys: [], features: [], sqlInstances: [] };
  if (!m) return empty;
  const mine = roles(estate, m.name);
  const extra = mine.flatMap((r) => r.software);
  if (m.os === 'linux') {
    const debian = /debian/i.test(m.osName);
    const base = m.packageManager === 'dpkg' ? DPKG_BASE(debian) : RPM_BASE;
    const apps = dedupe([...base.map((b) => ({ ...b })), ...extra]).map((a) => ({ key: a.name, ...a, wow6432: false }));
    return { ...empty, applications: apps, snaps: /ubuntu/i.test(m.osName) ? UBUNTU_SNAPS.map((s) => ({ ...s })) : [] };
  }
  const base = [...WINDOWS_BASE, ...(m.platform === 'vmware' ? [VMWARE_TOOLS] : [])];
  const all = dedupe([...base, ...extra.map((s) => ({ ...s, wow6432: false }))]);
  const applications = all.map((a) => ({
    // MSI installs are keyed by product code; the lab uses a stable GUID per machine-independent name.
    key: `{${stableUuidFromHash(`uninstall|${a.name}`).toUpperCase()}}`,
    name: a.name,
    version: a.version,
    publisher: a.publisher,
    wow6432: a.wow6432 ?? false,
  }));
  const featureNames = [...new Set([...WINDOWS_BASE_FEATURES, ...mine.flatMap((r) => r.features)])];
  const features = featureNames.map((n) => {
    const known = FEATURES[n];
    return { id: known ? known[0] : 1000 + (hash32(`feature|${n}`) % 9000), name: n, parentId: known ? known[1] : 0 };
  });
  const sqlInstances = mine
    .flatMap((r) => r.sqlInstances)
    .map((i) => ({
      name: i.name,
      id: `MSSQL${i.version.split('.')[0]}.${i.name}`,
      edition: i.edition,
      version: i.version,
      servicePack: i.servicePack,
    }));
  return {
    applications,
    snaps: [],
    hiddenKeys: [`KB${5000000 + (hash32(`kb|${m.name}`) % 99999)}`, `{${stableUuidFromHash(`component|${m.name}`).toUpperCase()}}`],
    features,
    sqlInstances,
  };
}

function dedupe<T extends { name: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    if (seen.has(x.name)) return false;
    seen.add(x.name);
    return true;
  });
}

function defaultPath(os: 'windows' | 'linux', name: string): string {
  return os === 'windows' ? `C:\\Windows\\System32\\${name}` : `/usr/bin/${name}`;
}

const WIN_SYSTEM: EstateProcess = { name: 'System', path: null, args: '' };
const WIN_RPC: EstateProcess = { name: 'svchost.exe', path: 'C:\\Windows\\System32\\svchost.exe', args: '-k RPCSS -p' };
const WIN_RDP: EstateProcess = { name: 'svchost.exe', path: 'C:\\Windows\\System32\\svchost.exe', args: '-k termsvcs -s TermService' };
const LINUX_SSHD: EstateProcess = { name: 'sshd', path: '/usr/sbin/sshd', args: '-D' };
const WIN_CLIENT: EstateProcess = { name: 'svchost.exe', path: 'C:\\Windows\\System32\\svchost.exe', args: '-k NetworkService -p' };
const LINUX_CLIENT: EstateProcess = { name: 'systemd', path: '/usr/lib/systemd/systemd', args: '--system --deserialize 31' };

function processKey(p: EstateProcess): string {
  return `${p.name}|${p.path ?? ''}|${p.args}`;
}

interface MachineProcesses {
  list: GuestProcessWorld[];
  byKey: Map<string, GuestProcessWorld>;
}

function processesOf(estate: Estate, m: GuestMachine): MachineProcesses {
  const wanted: EstateProcess[] =
    m.os === 'windows'
      ? [WIN_SYSTEM, WIN_RPC, WIN_RDP, WIN_CLIENT]
      : [{ name: 'systemd', path: '/usr/lib/systemd/systemd', args: '' }, LINUX_SSHD];
  for (const r of roles(estate, m.name)) wanted.push(r.process);
  for (const s of estate.sharedServices) {
    if (!s.clients.includes(m.name) || s.machines.every((x) => x === m.name)) continue;
    wanted.push((m.os === 'windows' ? s.clientProcess.windows : s.clientProcess.linux) ?? (m.os === 'windows' ? WIN_CLIENT : LINUX_CLIENT));
  }
  const byKey = new Map<string, GuestProcessWorld>();
  const pids = new Set<number>();
  const list: GuestProcessWorld[] = [];
  for (const p of wanted) {
    const key = processKey(p);
    if (byKey.has(key)) continue;
    let pid: number;
    if (m.os === 'windows' && p.name === 'System' && p.path === null) pid = 4;
    else if (m.os === 'linux' && p.name === 'systemd' && p.args === '') pid = 1;
    else {
      const h = hash32(`${estate.seed}|pid|${m.name}|${key}`);
      pid = m.os === 'windows' ? 4 * (100 + (h % 4000)) : 300 + (h % 60000);
      while (pids.has(pid)) pid += m.os === 'windows' ? 4 : 1;
    }
    pids.add(pid);
    const path = p.path ?? (p.name === 'System' && m.os === 'windows' ? null : defaultPath(m.os, p.name));
    const proc: GuestProcessWorld = {
      pid,
      name: p.name,
      path,
      args: p.args,
      commandLine:
        path === null ? null : p.args ? `${m.os === 'windows' ? `"${path}"` : path} ${p.args}` : m.os === 'windows' ? `"${path}"` : path,
    };
    byKey.set(key, proc);
    list.push(proc);
  }
  return { list, byKey };
}

/** The processes running on a machine (stable: the lab's processes never restart). */
export function guestProcesses(estate: Estate, name: string): GuestProcessWorld[] {
  const m = guestMachine(estate, name);
  return m ? processesOf(estate, m).list : [];
}

/** A client's ephemeral port for one connection in one 5-minute slot (Windows 49152-65535, Linux 32768-60999). */
export function ephemeralPort(seed: number, client: GuestMachine, server: string, port: number, t: number): number {
  const h = hash32(`${seed}|eph|${client.name}|${server}|${port}|${Math.floor(t / CONNECTION_SLOT_MS)}`);
  return client.os === 'windows' ? 49152 + (h % 16384) : 32768 + (h % 28232);
}

interface Flow {
  client: string;
  clientProcess: EstateProcess | null;
  server: string;
  serverProcess: EstateProcess;
  port: number;
}

function flows(estate: Estate): Flow[] {
  const out: Flow[] = [];
  for (const a of estate.applications)
    for (const t of a.tiers)
      for (const c of t.connectsTo) {
        const target = a.tiers.find((x) => x.name === c.tier);
        if (!target) continue;
        for (const client of t.machines)
          for (const server of target.machines)
            if (client !== server) out.push({ client, clientProcess: t.process, server, serverProcess: target.process, port: c.port });
      }
  for (const s of estate.sharedServices)
    for (const client of s.clients)
      for (const server of s.machines)
        for (const port of s.listen)
          if (client !== server) out.push({ client, clientProcess: null, server, serverProcess: s.process, port });
  return out;
}

/**
 * A machine's TCP sockets at time t: its listening ports (base OS + tiers + shared services, on 0.0.0.0) and its
 * established connections on both ends (as client to its tiers' targets and shared services, as server from
 * its tiers' clients), ordered by state, local port, remote address.
 */
export function guestSockets(estate: Estate, name: string, t: number): GuestSocketWorld[] {
  const m = guestMachine(estate, name);
  if (!m) return [];
  const procs = processesOf(estate, m);
  const pidOf = (p: EstateProcess): number => procs.byKey.get(processKey(p))?.pid ?? 4;
  const ip = m.ips[0] ?? '127.0.0.1';
  const out: GuestSocketWorld[] = [];
  const listen = (port: number, p: EstateProcess) => {
    if (!out.some((s) => s.state === 'listen' && s.localPort === port))
      out.push({ state: 'listen', localIp: '0.0.0.0', localPort: port, remoteIp: '0.0.0.0', remotePort: 0, pid: pidOf(p) });
  };
  if (m.os === 'windows') {
    listen(135, WIN_RPC);
    listen(445, WIN_SYSTEM);
    listen(3389, WIN_RDP);
    listen(5985, WIN_SYSTEM);
  } else listen(22, LINUX_SSHD);
  for (const r of roles(estate, m.name)) for (const p of r.listen) listen(p, r.process);
  for (const f of flows(estate)) {
    if (f.client !== m.name && f.server !== m.name) continue;
    const client = guestMachine(estate, f.client);
    const server = guestMachine(estate, f.server);
    if (!client || !server) continue;
    const clientIp = client.ips[0] ?? '127.0.0.1';
    const serverIp = server.ips[0] ?? '127.0.0.1';
    const eph = ephemeralPort(estate.seed, client, server.name, f.port, t);
    if (f.client === m.name) {
      const cp = f.clientProcess ?? clientProcessFor(estate, f, m.os) ?? (m.os === 'windows' ? WIN_CLIENT : LINUX_CLIENT);
      out.push({ state: 'established', localIp: ip, localPort: eph, remoteIp: serverIp, remotePort: f.port, pid: pidOf(cp) });
    } else {
      out.push({ state: 'established', localIp: ip, localPort: f.port, remoteIp: clientIp, remotePort: eph, pid: pidOf(f.serverProcess) });
    }
  }
  const rank = (s: GuestSocketWorld) => (s.state === 'listen' ? 0 : 1);
  return out.sort(
    (a, b) => rank(a) - rank(b) || a.localPort - b.localPort || a.remoteIp.localeCompare(b.remoteIp) || a.remotePort - b.remotePort,
  );
}

function clientProcessFor(estate: Estate, f: Flow, os: 'windows' | 'linux'): EstateProcess | null {
  const s = estate.sharedServices.find((x) => x.process === f.serverProcess && x.listen.includes(f.port));
  return (os === 'windows' ? s?.clientProcess.windows : s?.clientProcess.linux) ?? null;
}

/** Every machine the estate's applications and shared services involve, in estate order. */
export function applicationMachines(estate: Estate): string[] {
  const names = [
    ...estate.applications.flatMap((a) => a.tiers.flatMap((t) => t.machines)),
    ...estate.sharedServices.flatMap((s) => [...s.machines, ...s.clients]),
  ];
  return [...new Set(names)];
}

/**
 * The migration groups the estate implies: one per application, its machines (canonical names, sorted), sorted
 * by name. Dependency groups suggested while ignoring the shared services' ports must equal these.
 */
export function applicationGroups(estate: Estate): Array<{ name: string; machines: string[] }> {
  return estate.applications
    .map((a) => ({ name: a.name, machines: [...new Set(a.tiers.flatMap((t) => t.machines))].sort() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The ports of the shared services (DNS, AD...): what group suggestion ignores. */
export function sharedServicePorts(estate: Estate): number[] {
  return [...new Set(estate.sharedServices.flatMap((s) => s.listen))].sort((a, b) => a - b);
}
