// The Windows guest reader (issue 12): software inventory and TCP connections of a Windows guest over WS-Man,
// with the guest credential. Software: both Uninstall hives through WMI's StdRegProv (root/default, Invoke
// EnumKey / GetStringValue), never Win32_Product (its enumeration makes MSI check, and repair, every product);
// roles and features from Win32_ServerFeature; SQL Server instances from the registry. Connections:
// MSFT_NetTCPConnection (root/StandardCimv2, Listen and Established) joined with Win32_Process on the owning pid.
// Trust as for the Windows collector: HTTPS verified by the TLS settings, or HTTP with NTLM message encryption;
// Basic only over verified HTTPS, so the password never goes to a peer whose identity is unverified.
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { Secret } from '../../common/secret-value.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { SecretRef } from '../../config/schema/common.js';
import type { TlsSettings } from '../../common/tls.js';
import type { GuestProcess, GuestReader, InstalledApplication, SqlServerInstance, TcpSocket, WindowsFeature } from '../../model/guest.js';
import {
  connectWithFallback,
  propNumber,
  propString,
  propStrings,
  wmiResourceUri,
  WsmanAccessDeniedError,
  WsmanAuthError,
  WsmanTransportError,
  type CimInstance,
} from '../wsman/index.js';
import { explainAccess } from './access.js';

/** HKEY_LOCAL_MACHINE as StdRegProv's hDefKey. */
export const HKLM = '2147483650';
export const NS_DEFAULT = 'root/default';
export const NS_STANDARD_CIMV2 = 'root/StandardCimv2';
export const UNINSTALL_HIVES = [
  { path: 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall', source: 'registry' },
  { path: 'SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall', source: 'registry-wow6432' },
] as const;
export const SQL_INSTANCE_NAMES = 'SOFTWARE\\Microsoft\\Microsoft SQL Server\\Instance Names\\SQL';
export const SQL_ROOT = 'SOFTWARE\\Microsoft\\Microsoft SQL Server';
export const GUEST_QUERIES = {
  features: 'SELECT ID, Name, ParentID FROM Win32_ServerFeature',
  connections:
    'SELECT LocalAddress, LocalPort, RemoteAddress, RemotePort, State, OwningProcess FROM MSFT_NetTCPConnection WHERE State = 2 OR State = 5',
  processes: 'SELECT ProcessId, Name, ExecutablePath, CommandLine FROM Win32_Process',
} as const;
/** MSFT_NetTCPConnection.State values. */
export const TCP_STATE = { listen: 2, established: 5 } as const;

/** StdRegProv ReturnValues (Win32 error codes): 0 success, 2 the key or value does not exist. */
const ERROR_FILE_NOT_FOUND = 2;

export class RegistryError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly returnValue: number,
  ) {
    super(`StdRegProv.${method}(HKLM\\${path}) returned ${returnValue}`);
    this.name = 'RegistryError';
  }
}

/** What the registry walk needs; over WS-Man in production, a map in unit tests. null: the key or value does not exist. */
export interface RegistryAccess {
  enumKey(path: string): Promise<string[] | null>;
  enumValues(path: string): Promise<string[] | null>;
  getString(path: string, value: string): Promise<string | null>;
  getDword(path: string, value: string): Promise<number | null>;
}

/** The subset of WsmanClient the reader uses. */
export interface GuestWsman {
  enumerateAll(resourceUri: string, opts?: { wql?: string }): Promise<CimInstance[]>;
  invoke(
    resourceUri: string,
    method: string,
    selectors: Record<string, string>,
    params: Record<string, string | string[]>,
  ): Promise<CimInstance>;
}

/** StdRegProv over WS-Man Invoke (static methods on the class, HKLM only). */
export function wsmanRegistry(client: GuestWsman): RegistryAccess {
  const uri = wmiResourceUri(NS_DEFAULT, 'StdRegProv');
  const call = async (method: string, path: string, value?: string): Promise<CimInstance | null> => {
    const params: Record<string, string> = { hDefKey: HKLM, sSubKeyName: path };
    if (value !== undefined) params.sValueName = value;
    const out = await client.invoke(uri, method, {}, params);
    const rv = propNumber(out, 'ReturnValue');
    if (rv === 0) return out;
    if (rv === ERROR_FILE_NOT_FOUND || (value !== undefined && rv === 1)) return null;
    throw new RegistryError(method, value === undefined ? path : `${path}\\${value}`, rv ?? -1);
  };
  return {
    async enumKey(path) {
      const out = await call('EnumKey', path);
      return out ? propStrings(out, 'sNames') : null;
    },
    async enumValues(path) {
      const out = await call('EnumValues', path);
      return out ? propStrings(out, 'sNames') : null;
    },
    async getString(path, value) {
      const out = await call('GetStringValue', path, value);
      return out ? propString(out, 'sValue') : null;
    },
    async getDword(path, value) {
      const out = await call('GetDWORDValue', path, value);
      return out ? propNumber(out, 'uValue') : null;
    },
  };
}

function clean(s: string | null): string | null {
  const t = s?.trim();
  return t ? t : null;
}

/**
 * Installed applications from both Uninstall hives: one entry per subkey with a DisplayName (subkeys without one
 * are components and updates that Programs and Features does not list either). A missing hive (32-bit Windows
 * has no WOW6432Node) is a note, not an error.
 */
export async function readInstalledApplications(reg: RegistryAccess, notes: string[]): Promise<InstalledApplication[]> {
  const out: InstalledApplication[] = [];
  for (const hive of UNINSTALL_HIVES) {
    const keys = await reg.enumKey(hive.path);
    if (keys === null) {
      notes.push(`registry: HKLM\\${hive.path} not present`);
      continue;
    }
    for (const key of keys) {
      const path = `${hive.path}\\${key}`;
      const name = clean(await reg.getString(path, 'DisplayName'));
      if (name === null) continue;
      out.push({
        name,
        version: clean(await reg.getString(path, 'DisplayVersion')),
        publisher: clean(await reg.getString(path, 'Publisher')),
        source: hive.source,
      });
    }
  }
  return out;
}

/** SQL Server instances: Instance Names\SQL maps instance name -> instance id; <id>\Setup has Edition, Version, SP. */
export async function readSqlInstances(reg: RegistryAccess): Promise<SqlServerInstance[]> {
  const names = await reg.enumValues(SQL_INSTANCE_NAMES);
  if (names === null) return [];
  const out: SqlServerInstance[] = [];
  for (const name of names) {
    const id = clean(await reg.getString(SQL_INSTANCE_NAMES, name));
    if (id === null) continue;
    const setup = `${SQL_ROOT}\\${id}\\Setup`;
    const sp = await reg.getDword(setup, 'SP');
    out.push({
      name,
      edition: clean(await reg.getString(setup, 'Edition')),
      version: clean(await reg.getString(setup, 'Version')),
      servicePack: sp !== null && sp > 0 ? `SP${sp}` : null,
    });
  }
  return out;
}

export function toFeatures(rows: CimInstance[]): WindowsFeature[] {
  return rows
    .map((r) => ({ id: propNumber(r, 'ID'), name: propString(r, 'Name') ?? '', parentId: propNumber(r, 'ParentID') }))
    .filter((f) => f.name !== '');
}

/** The arguments of a Windows command line: what follows the (possibly quoted) executable. */
export function commandLineArgs(commandLine: string | null): string | null {
  if (commandLine === null) return null;
  const s = commandLine.trimStart();
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    return end < 0 ? '' : s.slice(end + 1).trim();
  }
  const sp = s.search(/\s/);
  return sp < 0 ? '' : s.slice(sp + 1).trim();
}

/**
 * Joins MSFT_NetTCPConnection rows (Listen and Established only) with Win32_Process rows on OwningProcess =
 * ProcessId. A pid without a process row (it exited between the two reads, or the account may not see it)
 * gives process null; pid 4 is the kernel ("System", no path).
 */
export function joinSockets(connections: CimInstance[], processes: CimInstance[]): TcpSocket[] {
  const byPid = new Map<number, GuestProcess>();
  for (const p of processes) {
    const pid = propNumber(p, 'ProcessId');
    if (pid === null) continue;
    const commandLine = propString(p, 'CommandLine');
    byPid.set(pid, {
      pid,
      name: propString(p, 'Name') ?? '',
      path: clean(propString(p, 'ExecutablePath')),
      args: commandLineArgs(commandLine),
    });
  }
  const out: TcpSocket[] = [];
  for (const c of connections) {
    const stateNum = propNumber(c, 'State');
    const state = stateNum === TCP_STATE.listen ? 'listen' : stateNum === TCP_STATE.established ? 'established' : null;
    if (state === null) continue;
    const localPort = propNumber(c, 'LocalPort');
    if (localPort === null) continue;
    const pid = propNumber(c, 'OwningProcess');
    const listen = state === 'listen';
    out.push({
      state,
      localIp: propString(c, 'LocalAddress') ?? '0.0.0.0',
      localPort,
      remoteIp: listen ? (propString(c, 'LocalAddress')?.includes(':') ? '::' : '0.0.0.0') : (propString(c, 'RemoteAddress') ?? ''),
      remotePort: listen ? 0 : (propNumber(c, 'RemotePort') ?? 0),
      process: pid === null ? null : (byPid.get(pid) ?? null),
    });
  }
  return out;
}

export interface WindowsGuestTarget {
  /** Address or name as discovered (a VM's IP address, a server's name). */
  host: string;
  /** The port of the credential's transport; default 5986 (https) or 5985 (http). */
  port?: number;
}

/**
 * A guestCredentials entry (os: windows) or a Windows source's config (its own credential for its servers), or
 * the same with the password already resolved.
 */
export interface WindowsGuestCredential {
  /** Names the config entry in messages (guestCredentials.<name>). */
  name?: string;
  username: string;
  password?: Secret | SecretRef;
  /** A Windows source's hostMap (its servers' addresses); opts.hostMap wins. */
  hostMap?: WindowsGuestOptions['hostMap'];
  /** A Windows source's deadline; opts.timeoutMs wins. */
  timeoutSec?: number;
  transport?: 'https' | 'http';
  auth?: 'ntlm' | 'basic';
  tls?: TlsSettings;
  httpsOnly?: boolean;
  /** Default port for the transport (a target's own port wins). */
  port?: number;
}

export interface WindowsGuestOptions {
  log: Logger;
  timeoutMs?: number;
  /** Lab and NAT setups: host -> "address:port" or { address, httpsPort, httpPort } (names case-insensitive). */
  hostMap?: Record<string, string | { address: string; httpsPort?: number; httpPort?: number }>;
  /** "guestCredentials" (default) or "sources": names the config list in errors. */
  where?: string;
  /** Tests: an already open client instead of connecting. */
  client?: GuestWsman & { close(): Promise<void> };
}

/** A guest credential that would be sent to an unverified peer, refused before connecting. */
export class WindowsGuestTrustError extends UserError {
  constructor(host: string, why: string) {
    super(`${host}: not sending the guest credential: ${why}`, {
      code: 'WINDOWS_GUEST_UNTRUSTED',
      fix: 'Use auth: ntlm (HTTP with message encryption, or HTTPS), or verify the HTTPS certificate with tls: { caFile } or tls: { thumbprint }.',
    });
    this.name = 'WindowsGuestTrustError';
  }
}

function resolve(target: WindowsGuestTarget, cred: WindowsGuestCredential, hostMap: WindowsGuestOptions['hostMap']) {
  const https = (cred.transport ?? 'https') === 'https';
  let address = target.host;
  let httpsPort = https ? (target.port ?? cred.port ?? 5986) : 5986;
  let httpPort = https ? 5985 : (target.port ?? cred.port ?? 5985);
  const key = Object.keys(hostMap ?? {}).find((k) => k.toLowerCase() === target.host.toLowerCase());
  const mapped = key === undefined ? undefined : hostMap?.[key];
  if (typeof mapped === 'string') {
    const [a = address, p] = mapped.split(':');
    address = a;
    if (p && https) httpsPort = Number(p);
    else if (p) httpPort = Number(p);
  } else if (mapped) {
    address = mapped.address;
    httpsPort = mapped.httpsPort ?? httpsPort;
    httpPort = mapped.httpPort ?? httpPort;
  }
  return { https, address, httpsPort, httpPort };
}

async function optional<T>(what: string, notes: string[], host: string, fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WsmanAuthError || err instanceof WsmanTransportError) throw err;
    if (err instanceof WsmanAccessDeniedError) throw explainAccess(host, what, err);
    notes.push(`${what}: ${(err as Error).message.split('\n')[0]}`);
    return fallback;
  }
}

function passwordOf(cred: WindowsGuestCredential, where = 'guestCredentials'): Secret {
  const key = `${where}.${cred.name ?? cred.username}.password`;
  if (cred.password instanceof Secret) return cred.password;
  if (!cred.password)
    throw new UserError(`${key}: a Windows guest credential needs a password.`, { fix: 'Set password: { env: NAME } or { file: PATH }.' });
  return resolveSecret(cred.password, key);
}

/** Opens a reader on one Windows guest with one credential. The connection (one keep-alive socket) is reused until close(). */
export async function openWindowsGuest(
  target: WindowsGuestTarget,
  cred: WindowsGuestCredential,
  opts: WindowsGuestOptions,
): Promise<GuestReader> {
  const where = resolve(target, cred, opts.hostMap ?? cred.hostMap);
  const auth = cred.auth ?? 'ntlm';
  if (auth === 'basic' && !where.https)
    throw new WindowsGuestTrustError(target.host, 'Basic authentication over plain HTTP sends the password in the clear');
  if (auth === 'basic' && cred.tls?.insecure)
    throw new WindowsGuestTrustError(target.host, 'Basic authentication to an HTTPS peer whose certificate is not verified (tls.insecure)');
  const timeoutMs = opts.timeoutMs ?? (cred.timeoutSec ? cred.timeoutSec * 1000 : 30_000);
  const password = passwordOf(cred, opts.where);
  const client =
    opts.client ??
    (await connectWithFallback(
      {
        host: where.address,
        port: where.https ? where.httpsPort : where.httpPort,
        httpPort: where.httpPort,
        scheme: where.https ? 'https' : 'http',
        auth: where.https ? auth : 'ntlm',
        username: cred.username,
        password,
        tls: cred.tls,
        timeoutMs,
        operationTimeoutSec: Math.max(5, Math.floor(timeoutMs / 1000) - 5),
        probeTimeoutMs: Math.min(5000, timeoutMs),
        log: opts.log,
      },
      (cred.httpsOnly ?? false) || auth === 'basic',
    ));
  return windowsGuestReader(target.host, client);
}

/** The reader over an open client (exported for tests with a fake client). */
export function windowsGuestReader(host: string, client: GuestWsman & { close(): Promise<void> }): GuestReader {
  const cimv2 = wmiResourceUri('root/cimv2');
  const standard = wmiResourceUri(NS_STANDARD_CIMV2);
  const reg = wsmanRegistry(client);
  return {
    os: 'windows',
    async software() {
      const notes: string[] = [];
      let applications: InstalledApplication[];
      try {
        applications = await readInstalledApplications(reg, notes);
      } catch (err) {
        throw explainAccess(host, 'the registry (StdRegProv)', err);
      }
      const features = await optional(
        'Win32_ServerFeature',
        notes,
        host,
        async () => toFeatures(await client.enumerateAll(cimv2, { wql: GUEST_QUERIES.features })),
        [] as WindowsFeature[],
      );
      const sqlInstances = await optional('SQL Server instances', notes, host, () => readSqlInstances(reg), [] as SqlServerInstance[]);
      return { os: 'windows' as const, applications, features, sqlInstances, notes };
    },
    async sockets() {
      const notes: string[] = [];
      let connections: CimInstance[];
      try {
        connections = await client.enumerateAll(standard, { wql: GUEST_QUERIES.connections });
      } catch (err) {
        throw explainAccess(host, 'MSFT_NetTCPConnection', err);
      }
      const processes = await optional(
        'Win32_Process',
        notes,
        host,
        () => client.enumerateAll(cimv2, { wql: GUEST_QUERIES.processes }),
        [] as CimInstance[],
      );
      const sockets = joinSockets(connections, processes);
      const unowned = sockets.filter((s) => s.process === null).length;
      if (unowned > 0) notes.push(`Win32_Process: no process for ${unowned} socket(s) (exited, or not visible to the account)`);
      return { sockets, notes };
    },
    async close() {
      await client.close().catch(() => undefined);
    },
  };
}
