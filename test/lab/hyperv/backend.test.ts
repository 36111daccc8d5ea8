// The simulator's WS-Man answers, read with the project's WS-Man client on loopback: both item shapes,
// embedded KVP instances, the VHD method, Get, and the faults Windows sends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../common/secret-value.js';
import { createLogger } from '../../../common/log.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import {
  parseEmbeddedInstance,
  propString,
  propStrings,
  wmiResourceUri,
  WsmanClient,
  WsmanEnumerationContextError,
  WsmanFault,
  WsmanInvalidNamespaceError,
  type CimInstance,
} from '../../../collectors/wsman/index.js';

const estate = loadEstate('lab/estates/sample.yaml');
const log = createLogger({ level: 'silent' });
let lab: HypervLab;
const clients: WsmanClient[] = [];
const V2 = wmiResourceUri('root/virtualization/v2');

function client(host: string, scheme: 'http' | 'https' = 'http'): WsmanClient {
  const ep = lab.endpoints.find((e) => e.host === host)!;
  const c = new WsmanClient({
    host: '127.0.0.1',
    port: scheme === 'http' ? ep.httpPort! : ep.httpsPort!,
    scheme,
    auth: 'ntlm',
    username: 'collector',
    password: new Secret('Sim-Passw0rd!'),
    tls: { thumbprint: lab.certificateThumbprint },
    log,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  lab = await startHypervLab({ estate, users: { collector: 'Sim-Passw0rd!' }, enumerationTimeoutMs: 2000, maxBatchItems: 2, log });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await lab?.close();
});

describe('Hyper-V simulator on the wire', () => {
  it('renders SELECT * (class elements) and projections (XmlFragment) with the same values, paging 2 items per batch', async () => {
    const c = client('hv02');
    const full = await c.enumerateAll(V2, { wql: "SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'" });
    const proj = await c.enumerateAll(V2, {
      wql: "SELECT Name, ElementName, EnabledState FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'",
    });
    expect(full.length).toBe(lab.world.vmsOn('hv02').length);
    expect(full.length).toBeGreaterThan(2);
    expect(proj.map((i) => [propString(i, 'Name'), propString(i, 'ElementName'), propString(i, 'EnabledState')])).toEqual(
      full.map((i) => [propString(i, 'Name'), propString(i, 'ElementName'), propString(i, 'EnabledState')]),
    );
    expect(Object.keys(proj[0]!.properties).sort()).toEqual(['ElementName', 'EnabledState', 'Name']);
    expect(full[0]!.properties.OtherEnabledState).toBeNull();
    expect(full[0]!.properties.InstallDate).toMatchObject({ datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('serves KVP items as embedded CIM-XML and the VHD settings through GetVirtualHardDiskSettingData', async () => {
    const c = client('hv01', 'https');
    const web = lab.world.vmByName('hv-web01');
    const kvp = await c.enumerateAll(V2, {
      wql: `SELECT SystemName, GuestIntrinsicExchangeItems FROM Msvm_KvpExchangeComponent WHERE SystemName = '${web.guid}'`,
    });
    expect(kvp).toHaveLength(1);
    const items = new Map(
      propStrings(kvp[0]!, 'GuestIntrinsicExchangeItems')
        .map((x) => parseEmbeddedInstance(x))
        .map((i: CimInstance) => [propString(i, 'Name'), propString(i, 'Data')]),
    );
    expect(items.get('OSName')).toBe('Windows Server 2022 Datacenter');
    expect(items.get('FullyQualifiedDomainName')).toBe('hv-web01.lab.local');
    const svc = await c.get(wmiResourceUri('root/virtualization/v2', 'Msvm_ImageManagementService'), { Name: 'vhdsvc' });
    expect(propString(svc, 'SystemName')).toBe('HV01');
    const out = await c.invoke(
      wmiResourceUri('root/virtualization/v2', 'Msvm_ImageManagementService'),
      'GetVirtualHardDiskSettingData',
      {
        CreationClassName: 'Msvm_ImageManagementService',
        Name: 'vhdsvc',
        SystemCreationClassName: 'Msvm_ComputerSystem',
        SystemName: 'HV01',
      },
      { Path: web.disks[0]!.path },
    );
    expect(propString(out, 'ReturnValue')).toBe('0');
    const sd = parseEmbeddedInstance(propString(out, 'SettingData')!);
    expect(sd.properties).toMatchObject({
      Path: web.disks[0]!.path,
      Type: '3',
      MaxInternalSize: String(127 * 1024 ** 3),
      VirtualDiskId: `{${web.disks[0]!.virtualDiskId}}`,
    });
    const missing = await c.invoke(
      wmiResourceUri('root/virtualization/v2', 'Msvm_ImageManagementService'),
      'GetVirtualHardDiskSettingData',
      { Name: 'vhdsvc' },
      { Path: 'C:\\nope.vhdx' },
    );
    expect(propString(missing, 'ReturnValue')).not.toBe('0');
  });

  it('answers root/MSCluster only on cluster nodes: a standalone host says invalid namespace', async () => {
    const nodes = await client('hv01').enumerateAll(wmiResourceUri('root/MSCluster'), { wql: 'SELECT Name, State FROM MSCluster_Node' });
    expect(nodes.map((n) => propString(n, 'Name'))).toEqual(['hv01', 'hv02']);
    await expect(
      client('hv03').enumerateAll(wmiResourceUri('root/MSCluster'), { wql: 'SELECT Name FROM MSCluster_Node' }),
    ).rejects.toBeInstanceOf(WsmanInvalidNamespaceError);
  });

  it('faults like Windows on an unknown class, bad WQL, a concrete class with a filter and an unknown property', async () => {
    const c = client('hv03');
    await expect(c.enumerateAll(V2, { wql: 'SELECT * FROM Msvm_Nothing' })).rejects.toThrow(WsmanFault);
    await expect(c.enumerateAll(V2, { wql: 'SELECT * FROM' })).rejects.toThrow(/WQL|query/i);
    await expect(
      c.enumerateAll(wmiResourceUri('root/virtualization/v2', 'Msvm_ComputerSystem'), { wql: 'SELECT * FROM Msvm_ComputerSystem' }),
    ).rejects.toThrow(/class name must be/);
    await expect(c.enumerateAll(V2, { wql: 'SELECT Bogus FROM Msvm_ComputerSystem' })).rejects.toThrow(/no property Bogus/);
    await expect(c.enumerateAll(wmiResourceUri('root/cimv2'), { wql: 'SELECT * FROM Win32_Process' })).rejects.toThrow(WsmanFault);
    // A plain concrete-class enumeration without a filter works, and lists checkpoints too (which is why the collector filters).
    const all = await c.enumerateAll(wmiResourceUri('root/virtualization/v2', 'Msvm_VirtualSystemSettingData'));
    const realized = all.filter((i) => propString(i, 'VirtualSystemType') === 'Microsoft:Hyper-V:System:Realized');
    expect(realized.length).toBe(lab.world.vmsOn('hv03').length);
    expect(all.length).toBeGreaterThan(realized.length);
  });

  it('expires an enumeration context left idle (the client learns to restart)', async () => {
    const c = client('hv01');
    const it = c.enumerate(V2, { wql: 'SELECT Name FROM Msvm_ComputerSystem', maxElements: 1 })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await new Promise((r) => setTimeout(r, 5000));
    await expect(it.next()).rejects.toBeInstanceOf(WsmanEnumerationContextError);
  });
});
