// startHypervLab: hosts the estate marks down refuse connections and can be brought up on the same
// ports; wrong credentials get 401; plaintext over HTTP is refused unless allowUnencrypted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../common/secret-value.js';
import { createLogger } from '../../../common/log.js';
import { buildEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import {
  propString,
  wmiResourceUri,
  wqlString,
  WsmanAuthError,
  WsmanClient,
  WsmanTransportError,
} from '../../../collectors/wsman/index.js';

const log = createLogger({ level: 'silent' });
const estate = buildEstate({
  seed: 5,
  hosts: [
    { name: 'up01', platform: 'hyperv' },
    { name: 'dn01', platform: 'hyperv', down: true },
    { name: 'esx', platform: 'vmware' },
  ],
  vms: [
    { name: 'a', host: 'up01' },
    { name: "R&D <web> 'x' \\ y", host: 'up01' },
    { name: 'b', host: 'dn01' },
    { name: 'c', host: 'esx' },
  ],
});
let lab: HypervLab;
const clients: WsmanClient[] = [];

function client(port: number, password = 'Lab-Passw0rd!'): WsmanClient {
  const c = new WsmanClient({
    host: '127.0.0.1',
    port,
    scheme: 'http',
    auth: 'ntlm',
    username: 'collector',
    password: new Secret(password),
    log,
  });
  clients.push(c);
  return c;
}
const VMS = "SELECT Name, ElementName FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine'";

beforeAll(async () => {
  lab = await startHypervLab({ estate, users: { collector: 'Lab-Passw0rd!' }, log });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await lab?.close();
});

describe('startHypervLab', () => {
  it('serves only the Hyper-V hosts; a host marked down refuses connections until it is brought up on the same ports', async () => {
    expect(lab.endpoints.map((e) => [e.host, e.down])).toEqual([
      ['up01', false],
      ['dn01', true],
    ]);
    const dn = lab.endpoints.find((e) => e.host === 'dn01')!;
    await expect(client(dn.httpPort!).enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: VMS })).rejects.toBeInstanceOf(
      WsmanTransportError,
    );
    await lab.setHostDown('dn01', false);
    const vms = await client(dn.httpPort!).enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: VMS });
    expect(vms.map((v) => propString(v, 'ElementName'))).toEqual(['b']);
    expect(lab.hostMap().dn01).toEqual({ address: '127.0.0.1', httpsPort: dn.httpsPort, httpPort: dn.httpPort });
  });

  it('carries names with XML and WQL special characters both ways (filter and result)', async () => {
    const up = lab.endpoints.find((e) => e.host === 'up01')!;
    const name = "R&D <web> 'x' \\ y";
    const vms = await client(up.httpPort!).enumerateAll(wmiResourceUri('root/virtualization/v2'), {
      wql: `SELECT Name, ElementName FROM Msvm_ComputerSystem WHERE ElementName = ${wqlString(name)}`,
    });
    expect(vms.map((v) => propString(v, 'ElementName'))).toEqual([name]);
    const vps = await client(up.httpPort!).enumerateAll(wmiResourceUri('root/cimv2'), {
      wql: 'SELECT Name FROM Win32_PerfRawData_HvStats_HyperVHypervisorVirtualProcessor',
    });
    expect(vps.map((v) => propString(v, 'Name'))).toContain(`${name}:Hv VP 0`);
  });

  it('answers 401 to a wrong password', async () => {
    const up = lab.endpoints.find((e) => e.host === 'up01')!;
    await expect(client(up.httpPort!, 'wrong').enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: VMS })).rejects.toBeInstanceOf(
      WsmanAuthError,
    );
    expect(lab.stats().up01!.authFailures).toBeGreaterThan(0);
  });

  it('refuses plaintext SOAP over HTTP, as Windows does with AllowUnencrypted=false', async () => {
    const up = lab.endpoints.find((e) => e.host === 'up01')!;
    const res = await fetch(`http://127.0.0.1:${up.httpPort}/wsman`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/soap+xml;charset=UTF-8',
        Authorization: `Basic ${Buffer.from('collector:Lab-Passw0rd!').toString('base64')}`,
      },
      body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>',
    });
    expect(res.status).not.toBe(200);
    await res.arrayBuffer();
  });
});
