// Inside a simulated Windows guest (issue 12): the registry StdRegProv serves (both Uninstall hives, SQL Server
// instance keys), and the classes Win32_ServerFeature and Win32_Process (root/cimv2) and MSFT_NetTCPConnection
// (root/StandardCimv2), all from the estate's applications through lab/guest-world.ts. StdRegProv answers as
// Windows does: keys sorted case-insensitively, ReturnValue 2 for a missing key or value, 2147749893 for a type mismatch.
import type { CimInstance, CimValue } from '../../collectors/wsman/index.js';
import type { Estate } from '../estate.js';
import {
  guestMachine,
  guestProcesses,
  guestSockets,
  guestSoftware,
  type GuestProcessWorld,
  type GuestSocketWorld,
  type GuestSoftwareWorld,
} from '../guest-world.js';

/** What a Windows guest holds, at time t for its sockets. */
export interface GuestView {
  machine: string;
  software(): GuestSoftwareWorld;
  processes(): GuestProcessWorld[];
  sockets(t: number): GuestSocketWorld[];
}

/** The guest view of an estate machine (VM or server name), or null when the estate has none or it is not Windows. */
export function estateGuestView(estate: Estate, name: string): GuestView | null {
  const m = guestMachine(estate, name);
  if (m?.os !== 'windows') return null;
  let sw: GuestSoftwareWorld | null = null;
  let procs: GuestProcessWorld[] | null = null;
  return {
    machine: m.name,
    software: () => {
      sw ??= guestSoftware(estate, name);
      return sw;
    },
    processes: () => {
      procs ??= guestProcesses(estate, name);
      return procs;
    },
    sockets: (t) => guestSockets(estate, name, t),
  };
}

export const NS_DEFAULT = 'root/default';
export const NS_STANDARD_CIMV2 = 'root/standardcimv2';
export const HKLM = 2147483650;
const REG_SZ = 1;
const REG_DWORD = 4;
const WBEM_E_TYPE_MISMATCH = 2147749893;
const UNINSTALL = 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall';
const UNINSTALL_WOW = 'SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall';
const SQL = 'SOFTWARE\\Microsoft\\Microsoft SQL Server';

type RegValue = { type: typeof REG_SZ; value: string } | { type: typeof REG_DWORD; value: number };
interface RegKey {
  name: string;
  subkeys: Map<string, RegKey>;
  values: Map<string, { name: string; v: RegValue }>;
}

/** HKLM as the guest's software implies it. */
export class Registry {
  readonly root: RegKey = { name: '', subkeys: new Map(), values: new Map() };

  key(path: string, create = false): RegKey | null {
    let k = this.root;
    for (const part of path.split('\\').filter((p) => p !== '')) {
      let next = k.subkeys.get(part.toLowerCase());
      if (!next) {
        if (!create) return null;
        next = { name: part, subkeys: new Map(), values: new Map() };
        k.subkeys.set(part.toLowerCase(), next);
      }
      k = next;
    }
    return k;
  }

  set(path: string, name: string, v: RegValue): void {
    const k = this.key(path, true);
    k?.values.set(name.toLowerCase(), { name, v });
  }
}

export function guestRegistry(sw: GuestSoftwareWorld): Registry {
  const reg = new Registry();
  reg.key(UNINSTALL, true);
  reg.key(UNINSTALL_WOW, true);
  for (const a of sw.applications) {
    const path = `${a.wow6432 ? UNINSTALL_WOW : UNINSTALL}\\${a.key}`;
    reg.set(path, 'DisplayName', { type: REG_SZ, value: a.name });
    if (a.version !== null) reg.set(path, 'DisplayVersion', { type: REG_SZ, value: a.version });
    if (a.publisher !== null) reg.set(path, 'Publisher', { type: REG_SZ, value: a.publisher });
    reg.set(path, 'NoModify', { type: REG_DWORD, value: 1 });
  }
  for (const h of sw.hiddenKeys) {
    reg.set(`${UNINSTALL}\\${h}`, 'SystemComponent', { type: REG_DWORD, value: 1 });
  }
  for (const i of sw.sqlInstances) {
    reg.set(`${SQL}\\Instance Names\\SQL`, i.name, { type: REG_SZ, value: i.id });
    const setup = `${SQL}\\${i.id}\\Setup`;
    reg.set(setup, 'Edition', { type: REG_SZ, value: i.edition });
    reg.set(setup, 'Version', { type: REG_SZ, value: i.version });
    reg.set(setup, 'PatchLevel', { type: REG_SZ, value: i.version });
    reg.set(setup, 'SP', { type: REG_DWORD, value: i.servicePack ? Number(/\d+/.exec(i.servicePack)?.[0] ?? 0) : 0 });
  }
  return reg;
}

function sorted<T>(m: Map<string, T>): T[] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** StdRegProv's output parameters for one method call; null for a method it does not have. */
export function stdRegProv(reg: Registry, method: string, params: Record<string, string | string[]>): Record<string, CimValue> | null {
  const one = (k: string): string => {
    const v = params[k];
    return (Array.isArray(v) ? v[0] : v) ?? '';
  };
  const hive = Number(one('hDefKey') || HKLM);
  const key = hive === HKLM ? reg.key(one('sSubKeyName')) : null;
  const rv = (n: number): CimValue => String(n);
  switch (method) {
    case 'EnumKey':
      if (!key) return { ReturnValue: rv(2) };
      return { sNames: sorted(key.subkeys).map((k) => k.name), ReturnValue: rv(0) };
    case 'EnumValues': {
      if (!key) return { ReturnValue: rv(2) };
      const vals = [...key.values.values()];
      return { sNames: vals.map((v) => v.name), Types: vals.map((v) => String(v.v.type)), ReturnValue: rv(0) };
    }
    case 'GetStringValue':
    case 'GetDWORDValue': {
      const v = key?.values.get(one('sValueName').toLowerCase());
      if (!key || !v) return { ReturnValue: rv(key ? 1 : 2) };
      const want = method === 'GetStringValue' ? REG_SZ : REG_DWORD;
      if (v.v.type !== want) return { ReturnValue: rv(WBEM_E_TYPE_MISMATCH) };
      return method === 'GetStringValue'
        ? { sValue: String(v.v.value), ReturnValue: rv(0) }
        : { uValue: String(v.v.value), ReturnValue: rv(0) };
    }
    default:
      return null;
  }
}

/** MSFT_NetTCPConnection State values. */
const STATE = { listen: '2', established: '5' } as const;

/** The guest classes at time t: Win32_ServerFeature and Win32_Process (root/cimv2), MSFT_NetTCPConnection (root/StandardCimv2). */
export function guestClasses(view: GuestView, t: number): { cimv2: Map<string, CimInstance[]>; standard: Map<string, CimInstance[]> } {
  const sw = view.software();
  const features: CimInstance[] = sw.features.map((f) => ({
    className: 'Win32_ServerFeature',
    properties: { ID: String(f.id), Name: f.name, ParentID: String(f.parentId) },
  }));
  const processes: CimInstance[] = [
    { pid: 0, name: 'System Idle Process', path: null, args: '', commandLine: null },
    ...view.processes(),
  ].map((p) => ({
    className: 'Win32_Process',
    properties: {
      ProcessId: String(p.pid),
      Name: p.name,
      ExecutablePath: p.path,
      CommandLine: p.commandLine,
      ParentProcessId: p.pid <= 4 ? '0' : '4',
    },
  }));
  const connections: CimInstance[] = view.sockets(t).map((s) => ({
    className: 'MSFT_NetTCPConnection',
    properties: {
      LocalAddress: s.localIp,
      LocalPort: String(s.localPort),
      RemoteAddress: s.remoteIp,
      RemotePort: String(s.remotePort),
      State: s.state === 'listen' ? STATE.listen : STATE.established,
      OwningProcess: String(s.pid),
      AppliedSetting: s.state === 'listen' ? null : '9',
    },
  }));
  // A closed connection lingering in TIME_WAIT (State 11, owned by the idle process): readers must filter by state.
  const first = connections.find((c) => c.properties.State === STATE.established);
  if (first) connections.push({ className: first.className, properties: { ...first.properties, State: '11', OwningProcess: '0' } });
  return {
    cimv2: new Map([
      ['Win32_ServerFeature', features],
      ['Win32_Process', processes],
    ]),
    standard: new Map([['MSFT_NetTCPConnection', connections]]),
  };
}
