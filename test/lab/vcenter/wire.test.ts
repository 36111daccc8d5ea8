// The lab vCenter on the wire: sessions and their faults, ContainerView + PropertyCollector paging and
// cancellation, property encoding, QueryPerf windows (startTime exclusive, endTime inclusive,
// maxSample, late posting, the one-hour realtime limit), TLS identity and hostile input.
import type { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstate } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';
import { estateRate, toHundredths } from '../../../lab/vcenter/truth.js';
import { child, childText, children, kids } from '../../../common/xml/reader.js';
import { createLogger } from '../../../common/log.js';
import { RawVim, objectsOf, returnvals, viewSpec } from './soap-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
const vc01 = estate.vms.filter((v) => v.host.platform === 'vmware');
const USER = 'admin@vsphere.local';
const PASSWORD = 'lab-Pass1';

// A movable clock so session expiry and perf windows are tested without waiting.
let offsetMs = 0;
const clock = () => Date.UTC(2026, 0, 15, 12, 0, 7) + offsetMs;

let lab: VcenterLab;
const clients: RawVim[] = [];
async function client(login = true): Promise<RawVim> {
  const c = new RawVim(lab.url);
  clients.push(c);
  if (login) {
    const r = await c.login(USER, PASSWORD);
    expect(r.fault).toBeUndefined();
  }
  return c;
}

async function createView(c: RawVim, type: string): Promise<string> {
  const r = await c.call(
    'CreateContainerView',
    'ViewManager',
    'ViewManager',
    `<container type="Folder">group-d1</container><type>${type}</type><recursive>true</recursive>`,
  );
  expect(r.fault).toBeUndefined();
  return child(r.response!, 'returnval')!.text;
}

beforeAll(async () => {
  lab = await startVcenterLab({
    estate,
    users: [{ username: USER, password: PASSWORD }],
    sessionIdleSec: 600,
    clock,
    log: createLogger({ level: 'warn' }),
  });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await lab?.close();
});

describe('sessions', () => {
  it('answers RetrieveServiceContent without a session and everything else only with one', async () => {
    const c = await client(false);
    const sc = await c.call('RetrieveServiceContent', 'ServiceInstance', 'ServiceInstance');
    const about = child(child(sc.response!, 'returnval')!, 'about')!;
    expect(childText(about, 'apiType')).toBe('VirtualCenter');
    expect(childText(about, 'instanceUuid')).toBe(lab.about.instanceUuid);
    expect(childText(child(sc.response!, 'returnval')!, 'perfManager')).toBe('PerfMgr');

    const t = await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance');
    expect(t.status).toBe(500);
    expect(t.fault?.name).toBe('NotAuthenticated');
    expect(t.text).toContain('<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated">');
  });

  it('refuses a wrong password with InvalidLogin and sets no cookie', async () => {
    const c = await client(false);
    const r = await c.login(USER, 'nope');
    expect(r.fault?.name).toBe('InvalidLogin');
    expect(r.setCookie).toBeUndefined();
    expect(r.text).not.toContain('nope');
  });

  it('logs in with a vmware_soap_session cookie, keeps the session alive and logs out', async () => {
    const c = await client(false);
    const r = await c.login(USER, PASSWORD);
    expect(r.setCookie).toMatch(/^vmware_soap_session="[0-9a-f]{40}"; Path=\/; HttpOnly; Secure;$/);
    expect(childText(child(r.response!, 'returnval')!, 'userName')).toBe(USER);
    const t = await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance');
    expect(Date.parse(childText(t.response!, 'returnval')!)).toBe(clock());
    await c.call('Logout', 'SessionManager', 'SessionManager');
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault?.name).toBe('NotAuthenticated');
  });

  it('expires a session after the idle timeout but not while it is used', async () => {
    const c = await client();
    offsetMs += 500_000;
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault).toBeUndefined();
    offsetMs += 500_000; // 500 s since the last call: still inside 600 s
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault).toBeUndefined();
    offsetMs += 601_000;
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault?.name).toBe('NotAuthenticated');
  });

  it('reports SessionIsActive and ends another session with TerminateSession', async () => {
    const a = await client();
    const b = await client();
    const bKey = childText(
      kids(
        kids(
          child(
            (
              await b.call(
                'RetrieveProperties',
                'PropertyCollector',
                'propertyCollector',
                '<specSet><propSet><type>SessionManager</type><pathSet>currentSession</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet>',
              )
            ).response!,
            'returnval',
          ),
        )[1],
      )[1],
      'key',
    )!;
    const active = await a.call(
      'SessionIsActive',
      'SessionManager',
      'SessionManager',
      `<sessionID>${bKey}</sessionID><userName>${USER}</userName>`,
    );
    expect(childText(active.response!, 'returnval')).toBe('true');
    expect((await a.call('TerminateSession', 'SessionManager', 'SessionManager', `<sessionId>${bKey}</sessionId>`)).fault).toBeUndefined();
    expect((await b.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault?.name).toBe('NotAuthenticated');
    expect((await a.call('TerminateSession', 'SessionManager', 'SessionManager', `<sessionId>${bKey}</sessionId>`)).fault?.name).toBe(
      'NotFound',
    );
  });

  it('delays every answer by the configured time (a slow vCenter), and stops when set back to 0', async () => {
    const c = await client();
    lab.setDelay(300);
    try {
      const t = performance.now();
      expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault).toBeUndefined();
      expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    } finally {
      lab.setDelay(0);
    }
  });

  it('answers injected faults, then behaves again', async () => {
    const c = await client();
    lab.injectFault('CurrentTime', 'NotAuthenticated', 1);
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault?.name).toBe('NotAuthenticated');
    expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault).toBeUndefined();
    expect(lab.calls().CurrentTime).toBeGreaterThanOrEqual(2);
  });
});

describe('inventory', () => {
  it('pages a ContainerView at maxObjects with ContinueRetrievePropertiesEx and returns each VM once', async () => {
    const c = await client();
    const view = await createView(c, 'VirtualMachine');
    let r = await c.call(
      'RetrievePropertiesEx',
      'PropertyCollector',
      'propertyCollector',
      viewSpec(view, 'VirtualMachine', ['name', 'config.hardware.numCPU'], 6),
    );
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      pages++;
      const ret = child(r.response!, 'returnval')!;
      const objs = objectsOf(ret);
      expect(objs.length).toBeLessThanOrEqual(6);
      for (const o of objs) {
        seen.push(o.props.get('name')!.text);
        expect(Number(o.props.get('config.hardware.numCPU')!.text)).toBeGreaterThan(0);
      }
      expect(r.text).toContain('<name>config.hardware.numCPU</name><val xsi:type="xsd:int">');
      const token = childText(ret, 'token');
      if (!token) break;
      r = await c.call('ContinueRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', `<token>${token}</token>`);
    }
    expect(pages).toBe(Math.ceil(vc01.length / 6));
    expect(seen.sort()).toEqual(vc01.map((v) => v.name).sort());
    expect((await c.call('DestroyView', 'ContainerView', view)).fault).toBeUndefined();
    expect((await c.call('DestroyView', 'ContainerView', view)).fault?.name).toBe('ManagedObjectNotFound');
  });

  it('cancels a retrieval: the token is gone afterwards', async () => {
    const c = await client();
    const view = await createView(c, 'VirtualMachine');
    const r = await c.call('RetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', viewSpec(view, 'VirtualMachine', ['name'], 5));
    const token = childText(child(r.response!, 'returnval')!, 'token')!;
    expect(
      (await c.call('CancelRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', `<token>${token}</token>`)).fault,
    ).toBeUndefined();
    const again = await c.call('ContinueRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', `<token>${token}</token>`);
    expect(again.fault?.name).toBe('InvalidArgument');
  });

  it('encodes devices, morefs and enums with their vim25 types', async () => {
    const c = await client();
    const view = await createView(c, 'VirtualMachine');
    const r = await c.call(
      'RetrievePropertiesEx',
      'PropertyCollector',
      'propertyCollector',
      viewSpec(view, 'VirtualMachine', ['config.hardware.device', 'runtime.host', 'runtime.powerState', 'guest.net', 'config.firmware']),
    );
    const objs = objectsOf(child(r.response!, 'returnval') ?? undefined);
    const sql = objs.find((o) => o.moref === `vm-${vc01.find((v) => v.name === 'sql01')!.index + 1000}`)!;
    const devices = sql.props.get('config.hardware.device')!;
    expect(devices.type).toBe('ArrayOfVirtualDevice');
    const disks = children(devices, 'VirtualDevice').filter((d) => d.type === 'VirtualDisk');
    expect(disks.map((d) => childText(d, 'capacityInBytes'))).toEqual(['107374182400', '1099511627776', '549755813888']);
    expect(child(disks[1], 'backing')!.type).toBe('VirtualDiskFlatVer2BackingInfo');
    expect(childText(child(disks[1], 'backing')!, 'thinProvisioned')).toBe('false');
    expect(
      children(devices, 'VirtualDevice')
        .filter((d) => d.type === 'VirtualE1000e')
        .map((d) => childText(d, 'key')),
    ).toEqual(['4000', '4001']);
    const host = sql.props.get('runtime.host')!;
    expect({ type: host.refType, xsiType: host.type }).toEqual({ type: 'HostSystem', xsiType: 'ManagedObjectReference' });
    expect(sql.props.get('runtime.powerState')!.type).toBe('VirtualMachinePowerState');
    expect(sql.props.get('guest.net')!.type).toBe('ArrayOfGuestNicInfo');
    expect(sql.props.get('config.firmware')!.text).toBe('efi');
    const old = objs.find((o) => o.moref === `vm-${vc01.find((v) => v.name === 'old01')!.index + 1000}`)!;
    expect(old.props.has('guest.net')).toBe(false);
  });

  it('walks Datacenter > hostFolder > clusters > hosts with named TraversalSpecs and SelectionSpecs', async () => {
    const c = await client();
    const spec =
      '<specSet><propSet><type>HostSystem</type><pathSet>name</pathSet><pathSet>parent</pathSet></propSet>' +
      '<propSet><type>ComputeResource</type><pathSet>name</pathSet></propSet>' +
      '<objectSet><obj type="Folder">group-d1</obj><skip>true</skip>' +
      '<selectSet xsi:type="TraversalSpec"><name>folder</name><type>Folder</type><path>childEntity</path><skip>false</skip>' +
      '<selectSet><name>folder</name></selectSet><selectSet><name>dcHost</name></selectSet><selectSet><name>crHost</name></selectSet></selectSet>' +
      '<selectSet xsi:type="TraversalSpec"><name>dcHost</name><type>Datacenter</type><path>hostFolder</path><skip>false</skip><selectSet><name>folder</name></selectSet></selectSet>' +
      '<selectSet xsi:type="TraversalSpec"><name>crHost</name><type>ComputeResource</type><path>host</path><skip>false</skip></selectSet>' +
      '</objectSet></specSet>';
    const r = await c.call('RetrieveProperties', 'PropertyCollector', 'propertyCollector', spec);
    expect(r.fault).toBeUndefined();
    const objs = objectsOf(r.response, 'returnval');
    expect(
      objs
        .filter((o) => o.type === 'HostSystem')
        .map((o) => o.props.get('name')!.text)
        .sort(),
    ).toEqual(['esx01.lab.local', 'esx02.lab.local', 'esx10.lab.local']);
    expect(objs.filter((o) => o.type === 'ClusterComputeResource').map((o) => o.props.get('name')!.text)).toEqual(['Prod']);
    expect(objs.filter((o) => o.type === 'ComputeResource').map((o) => o.props.get('name')!.text)).toEqual(['esx10.lab.local']);
  });

  it('faults on an unknown property path and an unknown object', async () => {
    const c = await client();
    const view = await createView(c, 'VirtualMachine');
    const bad = await c.call(
      'RetrievePropertiesEx',
      'PropertyCollector',
      'propertyCollector',
      viewSpec(view, 'VirtualMachine', ['config.hardware.nope']),
    );
    expect(bad.fault?.name).toBe('InvalidProperty');
    const gone = await c.call(
      'RetrievePropertiesEx',
      'PropertyCollector',
      'propertyCollector',
      viewSpec('session[x]y', 'VirtualMachine', ['name']),
    );
    expect(gone.fault?.name).toBe('ManagedObjectNotFound');
  });

  it('caps pages at maxObjectsCap even when the client asks for more', async () => {
    const capped = await startVcenterLab({
      estate,
      users: [{ username: USER, password: PASSWORD }],
      maxObjectsCap: 4,
      log: createLogger({ level: 'warn' }),
    });
    try {
      const c = new RawVim(capped.url);
      clients.push(c);
      await c.login(USER, PASSWORD);
      const view = await createView(c, 'VirtualMachine');
      const r = await c.call(
        'RetrievePropertiesEx',
        'PropertyCollector',
        'propertyCollector',
        viewSpec(view, 'VirtualMachine', ['name'], 1000),
      );
      const ret = child(r.response!, 'returnval')!;
      expect(objectsOf(ret)).toHaveLength(4);
      expect(childText(ret, 'token')).toBeTruthy();
    } finally {
      await capped.close();
    }
  });
});

describe('performance', () => {
  const web01 = vc01.find((v) => v.name === 'web01')!;
  const web = `vm-${web01.index + 1000}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const query = (c: RawVim, entity: string, extra: string) =>
    c.call(
      'QueryPerf',
      'PerformanceManager',
      'PerfMgr',
      `<querySpec><entity type="VirtualMachine">${entity}</entity>${extra}<metricId><counterId>2</counterId><instance></instance></metricId><intervalId>20</intervalId></querySpec>`,
    );
  const times = (r: Awaited<ReturnType<RawVim['call']>>) =>
    returnvals(r).flatMap((rv) => children(rv, 'sampleInfo').map((s) => Date.parse(childText(s, 'timestamp')!)));

  it('treats startTime as exclusive and endTime as inclusive, on 20-s boundaries', async () => {
    const c = await client();
    const now = clock();
    const latest = Math.floor(now / 20_000) * 20_000;
    const r = await query(c, web, `<startTime>${iso(latest - 60_000)}</startTime><endTime>${iso(latest)}</endTime>`);
    expect(times(r)).toEqual([latest - 40_000, latest - 20_000, latest]);
    const values = children(child(returnvals(r)[0], 'value')!, 'value').map((v) => Number(v.text));
    expect(values).toEqual(times(r).map((t) => toHundredths(estateRate(estate.seed, web01, 'cpu', '', t))));
  });

  it('keeps only the last hour and the newest maxSample samples', async () => {
    const c = await client();
    const all = times(await query(c, web, `<startTime>${iso(clock() - 3 * 3600_000)}</startTime>`));
    expect(all).toHaveLength(180);
    const last = times(await query(c, web, '<maxSample>3</maxSample>'));
    expect(last).toEqual(all.slice(-3));
  });

  it('posts samples late when asked to (perfLatencySec)', async () => {
    const late = await startVcenterLab({
      estate,
      users: [{ username: USER, password: PASSWORD }],
      perfLatencySec: 45,
      clock,
      log: createLogger({ level: 'warn' }),
    });
    try {
      const c = new RawVim(late.url);
      clients.push(c);
      await c.login(USER, PASSWORD);
      const latest = times(await query(c, web, '<maxSample>1</maxSample>'))[0];
      expect(latest).toBe(Math.floor((clock() - 45_000) / 20_000) * 20_000);
    } finally {
      await late.close();
    }
  });

  it('returns nothing for a powered-off VM and a host, and faults on an unknown VM', async () => {
    const c = await client();
    const old = `vm-${vc01.find((v) => v.name === 'old01')!.index + 1000}`;
    expect(returnvals(await query(c, old, ''))).toHaveLength(0);
    const host = await c.call(
      'QueryPerf',
      'PerformanceManager',
      'PerfMgr',
      '<querySpec><entity type="HostSystem">host-9</entity><intervalId>20</intervalId></querySpec>',
    );
    expect(host.fault).toBeUndefined();
    expect(returnvals(host)).toHaveLength(0);
    expect((await query(c, 'vm-999999', '')).fault?.name).toBe('ManagedObjectNotFound');
    const csv = await c.call(
      'QueryPerf',
      'PerformanceManager',
      'PerfMgr',
      `<querySpec><entity type="VirtualMachine">${web}</entity><format>csv</format></querySpec>`,
    );
    expect(csv.fault?.name).toBe('NotSupported');
  });

  it('answers several VMs in one QueryPerf, one PerfEntityMetric each', async () => {
    const c = await client();
    const on = vc01.filter((v) => v.powerState === 'poweredOn' && !v.template).slice(0, 5);
    const specs = on
      .map(
        (v) =>
          `<querySpec><entity type="VirtualMachine">vm-${v.index + 1000}</entity><maxSample>2</maxSample><metricId><counterId>173</counterId><instance>*</instance></metricId><intervalId>20</intervalId></querySpec>`,
      )
      .join('');
    const r = await c.call('QueryPerf', 'PerformanceManager', 'PerfMgr', specs);
    const rv = returnvals(r);
    expect(rv.map((x) => child(x, 'entity')!.text)).toEqual(on.map((v) => `vm-${v.index + 1000}`));
    rv.forEach((x, i) => {
      expect(x.type).toBe('PerfEntityMetric');
      expect(children(x, 'value').map((s) => childText(child(s, 'id')!, 'instance'))).toEqual(on[i]!.disks.map((_, d) => `scsi0:${d}`));
    });
  });
});

describe('transport', () => {
  it('presents the certificate whose thumbprint it reports', async () => {
    const cert = await new Promise<X509Certificate>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: lab.port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerX509Certificate()!);
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(cert.fingerprint256).toBe(lab.thumbprint);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('refuses a DOCTYPE, a body that is not SOAP and an unknown method', async () => {
    const c = await client();
    const doctype = await c.post('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
    expect(doctype.status).toBe(500);
    expect(doctype.text).toContain('DOCTYPE is not allowed');
    expect(doctype.text).not.toContain('root:');
    const notSoap = await c.post('<hello/>');
    expect(notSoap.text).toContain('not a SOAP 1.1 envelope');
    const unknown = await c.call('PowerOnVM_Task', 'VirtualMachine', 'vm-1000');
    expect(unknown.fault?.name).toBe('MethodNotFound');
  });

  it('refuses a flood of elements at the shared reader cap, naming it, and keeps serving', async () => {
    const c = await client();
    const flood = await c.post(
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>${'<a/>'.repeat(2_000_001)}</soapenv:Body></soapenv:Envelope>`,
    );
    expect(flood.status).toBe(500);
    expect(flood.text).toContain('the request exceeded 2,000,000 elements');
    expect((await c.login(USER, PASSWORD)).status).toBe(200);
  });
});
