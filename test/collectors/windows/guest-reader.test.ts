// The Windows guest reader: the registry walk (both Uninstall hives, SQL Server instances) and the socket join
// as units over fakes; then end to end over the lab's WS-Man (NTLM with sealing over HTTP, and verified HTTPS)
// against the sample estate's applications, for a physical server and for a VM reached at its inventory IP.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
  commandLineArgs,
  joinSockets,
  openWindowsGuest,
  readInstalledApplications,
  readSqlInstances,
  SQL_INSTANCE_NAMES,
  UNINSTALL_HIVES,
  windowsGuestReader,
  WindowsGuestTrustError,
  type RegistryAccess,
} from '../../../collectors/windows/guest-reader.js';
import type { CimInstance } from '../../../collectors/wsman/index.js';
import { createLogger } from '../../../common/log.js';
import { Secret } from '../../../common/secret-value.js';
import { loadEstate, type Estate } from '../../../lab/estate.js';
import { guestProcesses, guestSockets, guestSoftware } from '../../../lab/guest-world.js';
import {
  estateGuestView,
  startWindowsLab,
  windowsGuestsOfEstate,
  windowsServersOfEstate,
  type WindowsLab,
} from '../../../lab/windows/index.js';

const log = createLogger({ level: 'silent' });

function fakeRegistry(keys: Record<string, Record<string, string | number>>): RegistryAccess & { calls: string[] } {
  const lower = new Map(Object.entries(keys).map(([k, v]) => [k.toLowerCase(), v]));
  const calls: string[] = [];
  return {
    calls,
    async enumKey(path) {
      calls.push(`EnumKey ${path}`);
      const prefix = `${path.toLowerCase()}\\`;
      if (!lower.has(path.toLowerCase()) && ![...lower.keys()].some((k) => k.startsWith(prefix))) return null;
      const subs = new Set<string>();
      for (const k of Object.keys(keys)) if (k.toLowerCase().startsWith(prefix)) subs.add(k.slice(prefix.length).split('\\')[0] ?? '');
      return [...subs].sort();
    },
    async enumValues(path) {
      calls.push(`EnumValues ${path}`);
      const v = lower.get(path.toLowerCase());
      return v ? Object.keys(v) : null;
    },
    async getString(path, value) {
      calls.push(`GetStringValue ${path} ${value}`);
      const v = lower.get(path.toLowerCase())?.[value];
      return typeof v === 'string' ? v : null;
    },
    async getDword(path, value) {
      const v = lower.get(path.toLowerCase())?.[value];
      return typeof v === 'number' ? v : null;
    },
  };
}

const [NATIVE, WOW] = UNINSTALL_HIVES.map((h) => h.path) as [string, string];

describe('registry walk', () => {
  it('reads both Uninstall hives, skips keys without DisplayName, trims, and notes a missing hive', async () => {
    const reg = fakeRegistry({
      [NATIVE]: {},
      [`${NATIVE}\\{A}`]: { DisplayName: ' App A ', DisplayVersion: '1.0', Publisher: 'Contoso' },
      [`${NATIVE}\\KB500001`]: { SystemComponent: 1 },
      [`${NATIVE}\\Tool`]: { DisplayName: 'Tool', DisplayVersion: '' },
      [WOW]: {},
      [`${WOW}\\{B}`]: { DisplayName: 'App B (x86)', DisplayVersion: '2.1', Publisher: 'Fabrikam' },
    });
    const notes: string[] = [];
    expect(await readInstalledApplications(reg, notes)).toEqual([
      // EnumKey order: "Tool" sorts before "{A}"
      { name: 'Tool', version: null, publisher: null, source: 'registry' },
      { name: 'App A', version: '1.0', publisher: 'Contoso', source: 'registry' },
      { name: 'App B (x86)', version: '2.1', publisher: 'Fabrikam', source: 'registry-wow6432' },
    ]);
    expect(notes).toEqual([]);
    const only64 = fakeRegistry({ [NATIVE]: {}, [`${NATIVE}\\{A}`]: { DisplayName: 'A' } });
    const notes2: string[] = [];
    expect(await readInstalledApplications(only64, notes2)).toHaveLength(1);
    expect(notes2).toEqual([`registry: HKLM\\${WOW} not present`]);
    expect(reg.calls.some((c) => /Win32_Product/i.test(c))).toBe(false);
  });

  it('reads SQL Server instances from Instance Names\\SQL and <id>\\Setup; none when the key is absent', async () => {
    const reg = fakeRegistry({
      [SQL_INSTANCE_NAMES]: { MSSQLSERVER: 'MSSQL15.MSSQLSERVER', REPORTS: 'MSSQL13.REPORTS' },
      'SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\Setup': {
        Edition: 'Enterprise Edition',
        Version: '15.0.4345.5',
        SP: 0,
      },
      'SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL13.REPORTS\\Setup': { Edition: 'Express Edition', Version: '13.2.5026.0', SP: 2 },
    });
    expect(await readSqlInstances(reg)).toEqual([
      { name: 'MSSQLSERVER', edition: 'Enterprise Edition', version: '15.0.4345.5', servicePack: null },
      { name: 'REPORTS', edition: 'Express Edition', version: '13.2.5026.0', servicePack: 'SP2' },
    ]);
    expect(await readSqlInstances(fakeRegistry({}))).toEqual([]);
  });
});

const row = (className: string, properties: Record<string, string | null>): CimInstance => ({ className, properties });

describe('socket join', () => {
  it('keeps Listen and Established, joins the owning process, and leaves process null for an unknown pid', () => {
    const conns = [
      row('MSFT_NetTCPConnection', {
        LocalAddress: '0.0.0.0',
        LocalPort: '443',
        RemoteAddress: '0.0.0.0',
        RemotePort: '0',
        State: '2',
        OwningProcess: '900',
      }),
      row('MSFT_NetTCPConnection', {
        LocalAddress: '::',
        LocalPort: '445',
        RemoteAddress: '::',
        RemotePort: '0',
        State: '2',
        OwningProcess: '4',
      }),
      row('MSFT_NetTCPConnection', {
        LocalAddress: '10.0.0.1',
        LocalPort: '50000',
        RemoteAddress: '10.0.0.2',
        RemotePort: '1433',
        State: '5',
        OwningProcess: '900',
      }),
      row('MSFT_NetTCPConnection', {
        LocalAddress: '10.0.0.1',
        LocalPort: '50001',
        RemoteAddress: '10.0.0.2',
        RemotePort: '1433',
        State: '11',
        OwningProcess: '0',
      }),
      row('MSFT_NetTCPConnection', {
        LocalAddress: '10.0.0.1',
        LocalPort: '50002',
        RemoteAddress: '10.0.0.3',
        RemotePort: '53',
        State: '5',
        OwningProcess: '1234',
      }),
    ];
    const procs = [
      row('Win32_Process', { ProcessId: '4', Name: 'System', ExecutablePath: null, CommandLine: null }),
      row('Win32_Process', {
        ProcessId: '900',
        Name: 'w3wp.exe',
        ExecutablePath: 'C:\\Windows\\System32\\inetsrv\\w3wp.exe',
        CommandLine: '"C:\\Windows\\System32\\inetsrv\\w3wp.exe" -ap "Web"',
      }),
    ];
    const w3wp = { pid: 900, name: 'w3wp.exe', path: 'C:\\Windows\\System32\\inetsrv\\w3wp.exe', args: '-ap "Web"' };
    expect(joinSockets(conns, procs)).toEqual([
      { state: 'listen', localIp: '0.0.0.0', localPort: 443, remoteIp: '0.0.0.0', remotePort: 0, process: w3wp },
      {
        state: 'listen',
        localIp: '::',
        localPort: 445,
        remoteIp: '::',
        remotePort: 0,
        process: { pid: 4, name: 'System', path: null, args: null },
      },
      { state: 'established', localIp: '10.0.0.1', localPort: 50000, remoteIp: '10.0.0.2', remotePort: 1433, process: w3wp },
      { state: 'established', localIp: '10.0.0.1', localPort: 50002, remoteIp: '10.0.0.3', remotePort: 53, process: null },
    ]);
  });

  it('splits command lines after the quoted or bare executable', () => {
    expect(commandLineArgs('"C:\\Program Files\\x.exe" -a b')).toBe('-a b');
    expect(commandLineArgs('C:\\x.exe  -k  netsvcs')).toBe('-k  netsvcs');
    expect(commandLineArgs('"C:\\x.exe"')).toBe('');
    expect(commandLineArgs(null)).toBeNull();
  });
});

describe('trust', () => {
  it('never sends a Basic credential over HTTP or to an unverified HTTPS peer', async () => {
    const cred = { username: 'u', password: new Secret('p'), auth: 'basic' as const };
    await expect(openWindowsGuest({ host: 'h' }, { ...cred, transport: 'http' }, { log })).rejects.toBeInstanceOf(WindowsGuestTrustError);
    await expect(openWindowsGuest({ host: 'h' }, { ...cred, tls: { insecure: true } }, { log })).rejects.toBeInstanceOf(
      WindowsGuestTrustError,
    );
  });
});

describe('over the lab: the sample estate applications', () => {
  const PASSWORD = 'Guest-Passw0rd!';
  let estate: Estate;
  let lab: WindowsLab;
  let now = Date.UTC(2026, 11, 6, 10, 0, 0);

  beforeAll(async () => {
    estate = loadEstate('lab/estates/sample.yaml');
    lab = await startWindowsLab({
      servers: [...windowsServersOfEstate(estate), ...windowsGuestsOfEstate(estate)],
      seed: estate.seed,
      users: { 'LAB\\guest': PASSWORD },
      clock: () => now,
      log,
      guests: (name) => estateGuestView(estate, name),
    });
  });
  afterAll(async () => {
    await lab?.close();
  });

  const open = (host: string, transport: 'http' | 'https') =>
    openWindowsGuest(
      { host },
      {
        username: 'LAB\\guest',
        password: new Secret(PASSWORD),
        transport,
        tls: transport === 'https' ? { thumbprint: lab.certificateThumbprint } : undefined,
      },
      { log, timeoutMs: 20_000, hostMap: lab.guestHostMap() },
    );

  it('sql01 (a VM, reached at its inventory IP over HTTP + NTLM sealing): software, features, SQL instance, sockets', async () => {
    const ip = estate.vms.find((v) => v.name === 'sql01')?.ipAddresses[0] ?? '';
    const r = await open(ip, 'http');
    try {
      const sw = await r.software();
      const truth = guestSoftware(estate, 'sql01');
      expect(sw.applications).toEqual(
        [...truth.applications.filter((a) => !a.wow6432), ...truth.applications.filter((a) => a.wow6432)]
          .sort((a, b) => (a.wow6432 === b.wow6432 ? (a.key.toLowerCase() < b.key.toLowerCase() ? -1 : 1) : 0))
          .map((a) => ({ name: a.name, version: a.version, publisher: a.publisher, source: a.wow6432 ? 'registry-wow6432' : 'registry' })),
      );
      expect(sw.applications.map((a) => a.name)).toContain('Microsoft SQL Server 2019 (64-bit)');
      expect(sw.features).toEqual(truth.features.map((f) => ({ id: f.id, name: f.name, parentId: f.parentId })));
      expect(sw.sqlInstances).toEqual([{ name: 'MSSQLSERVER', edition: 'Enterprise Edition', version: '15.0.4345.5', servicePack: null }]);
      expect(sw.notes).toEqual([]);

      const { sockets, notes } = await r.sockets();
      expect(notes).toEqual([]);
      const procs = new Map(guestProcesses(estate, 'sql01').map((p) => [p.pid, p]));
      const expected = guestSockets(estate, 'sql01', now).map((s) => {
        const p = procs.get(s.pid);
        return {
          state: s.state,
          localIp: s.localIp,
          localPort: s.localPort,
          remoteIp: s.remoteIp,
          remotePort: s.remotePort,
          process: p ? { pid: p.pid, name: p.name, path: p.path, args: p.commandLine === null ? null : p.args } : null,
        };
      });
      expect(sockets).toEqual(expected);
      // web tier -> sql01:1433 from win-app01's Orders.Api.exe, owned here by sqlservr.exe
      const inbound = sockets.filter((s) => s.state === 'established' && s.localPort === 1433);
      expect(inbound.map((s) => s.process?.name)).toEqual(['sqlservr.exe']);
      const appIp = estate.servers.find((s) => s.name === 'win-app01')?.ipAddresses[0];
      expect(inbound[0]?.remoteIp).toBe(appIp);
    } finally {
      await r.close();
    }
  });

  it('win-web01 (a server that is VM web01) over verified HTTPS: IIS listens, w3wp.exe calls the api tier; ephemeral ports move per 5 minutes', async () => {
    const r = await open('win-web01', 'https');
    try {
      const sw = await r.software();
      expect(sw.features.map((f) => f.name)).toContain('Web Server (IIS)');
      expect(sw.sqlInstances).toEqual([]);
      const first = await r.sockets();
      const out = first.sockets.filter((s) => s.state === 'established' && s.remotePort === 8080);
      expect(out.map((s) => [s.process?.name, s.remoteIp])).toEqual([
        ['w3wp.exe', estate.servers.find((s) => s.name === 'win-app01')?.ipAddresses[0]],
      ]);
      expect(first.sockets.filter((s) => s.state === 'listen').map((s) => s.localPort)).toEqual([80, 135, 443, 445, 3389, 5985]);
      now += 300_000;
      const second = await r.sockets();
      const out2 = second.sockets.filter((s) => s.state === 'established' && s.remotePort === 8080);
      expect(out2[0]?.localPort).not.toBe(out[0]?.localPort);
    } finally {
      await r.close();
    }
  });

  it('takes a config-shaped credential: a Windows source (password by env reference, its own hostMap, timeoutSec)', async () => {
    process.env.AC_TEST_WIN_GUEST_PW = PASSWORD;
    const r = await openWindowsGuest(
      { host: 'win-app01' },
      {
        name: 'win',
        username: 'LAB\\guest',
        password: { env: 'AC_TEST_WIN_GUEST_PW' },
        transport: 'https',
        auth: 'ntlm',
        tls: { thumbprint: lab.certificateThumbprint },
        hostMap: lab.hostMap(),
        timeoutSec: 20,
      },
      { log, where: 'sources' },
    );
    try {
      const sw = await r.software();
      expect(sw.applications.map((a) => a.name)).toContain('Orders API');
    } finally {
      await r.close();
    }
    await expect(openWindowsGuest({ host: 'win-app01' }, { name: 'nopw', username: 'u' }, { log })).rejects.toThrow(
      /guestCredentials\.nopw\.password/,
    );
  });

  it('a reader over a fake client reports a missing Win32_ServerFeature (client Windows) as a note', async () => {
    const r = windowsGuestReader('pc01', {
      enumerateAll: async () => {
        throw new Error('Invalid class Win32_ServerFeature');
      },
      invoke: async () => ({ className: 'X_OUTPUT', properties: { ReturnValue: '2' } }),
      close: async () => undefined,
    });
    const sw = await r.software();
    expect(sw.applications).toEqual([]);
    expect(sw.notes).toContain(`registry: HKLM\\${WOW} not present`);
    expect(sw.notes.some((n) => n.startsWith('Win32_ServerFeature:'))).toBe(true);
  });
});
