// Estate shapes beyond the sample: two vCenters in one estate, a VM with disks on a second SCSI
// controller (instances scsi1:*), eagerZeroedThick disks, suspended and powered-off VMs, a VM without
// NICs; and a 50,000-VM estate paged through a ContainerView without the lab holding it all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVcenterCollector } from '../../../collectors/vcenter/index.js';
import type { Sample, SourceCollector } from '../../../model/index.js';
import { vcenterSource } from '../../../config/schema/vcenter.js';
import { createLogger } from '../../../common/log.js';
import { buildEstate } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';
import { diskSlot, estateRate, toKBps } from '../../../lab/vcenter/truth.js';
import { child, childText, children } from '../../../common/xml/reader.js';
import { RawVim, objectsOf, returnvals, viewSpec } from './soap-helpers.js';

const log = createLogger({ level: 'warn' });
const USER = 'shapes@vsphere.local';
const PASSWORD = 'shapes-Pw-9';
const PASSWORD_ENV = 'E1_LAB_SHAPES_PW';

const estate = buildEstate({
  seed: 42,
  hosts: [
    { name: 'a1.lab', platform: 'vmware', vcenter: 'vcA', datacenter: 'DC1', cluster: 'Gold' },
    { name: 'a2.lab', platform: 'vmware', vcenter: 'vcA', datacenter: 'DC2' },
    { name: 'b1.lab', platform: 'vmware', vcenter: 'vcB', datacenter: 'DC9', cluster: 'Other' },
  ],
  vms: [
    {
      name: 'wide',
      host: 'a1.lab',
      cpus: 16,
      disks: Array.from({ length: 17 }, (_, i) => ({ sizeGB: 10 + i, type: i % 3 === 0 ? 'eagerZeroedThick' : 'thin' })),
      nics: [{ network: 'A' }, { network: 'B' }, { network: 'C' }],
    },
    { name: 'nonet', host: 'a2.lab', nics: [], os: { name: 'Microsoft Windows Server 2003 (32-bit)', id: 'winNetStandardGuest' } },
    { name: 'sleepy', host: 'a2.lab', powerState: 'suspended' },
    { name: 'off', host: 'a1.lab', powerState: 'poweredOff' },
    { name: 'elsewhere', host: 'b1.lab' },
  ],
});

let lab: VcenterLab;
let collector: SourceCollector;

beforeAll(async () => {
  process.env[PASSWORD_ENV] = PASSWORD;
  lab = await startVcenterLab({ estate, vcenter: 'vcA', users: [{ username: USER, password: PASSWORD }], log });
  collector = createVcenterCollector(
    vcenterSource.parse({
      name: 'shapes',
      kind: 'vcenter',
      url: lab.url,
      username: USER,
      password: { env: PASSWORD_ENV },
      tls: { thumbprint: lab.thumbprint },
      inventory: { pageSize: 10 },
    }),
    { log },
  );
});

afterAll(async () => {
  await collector?.close();
  await lab?.close();
  delete process.env[PASSWORD_ENV];
});

describe('lab vCenter estate shapes, read by the collector', () => {
  it('serves only its own vCenter and places VMs in clusters and standalone hosts', async () => {
    const { machines } = await collector.discover();
    expect(machines.map((m) => m.name).sort()).toEqual(['nonet', 'off', 'sleepy', 'wide']);
    const by = new Map(machines.map((m) => [m.name, m]));
    expect(by.get('wide')).toMatchObject({ host: 'a1.lab', cluster: 'Gold', datacenter: 'DC1', cpuCores: 16 });
    expect(by.get('nonet')).toMatchObject({ host: 'a2.lab', cluster: null, datacenter: 'DC2', nics: [] });
    expect(by.get('sleepy')!.powerState).toBe('suspended');
    expect(by.get('wide')!.disks.map((d) => d.type)).toEqual(estate.vms[0]!.disks.map((d) => d.type));
  });

  it('maps disks on the second SCSI controller (scsi1:*) back to their device keys', async () => {
    const samples: Sample[] = [];
    const stats = await collector.poll((b) => void samples.push(...b));
    expect(stats.errors).toEqual([]);
    expect(stats.machinesPolled).toBe(2); // wide and nonet; suspended and off have no realtime stats
    const wide = estate.vms[0]!;
    expect(diskSlot(16)).toMatchObject({ bus: 1, unitNumber: 1, instance: 'scsi1:1' });
    const reads = samples.filter((s) => s.metric === 'disk.read.bytesPerSec');
    expect(new Set(reads.map((s) => s.instance))).toEqual(new Set(wide.disks.map((d) => d.id)));
    for (const s of reads.filter((x) => x.instance === '2016')) {
      expect(s.value).toBe(toKBps(estateRate(estate.seed, wide, 'diskReadBytesPerSec', '2016', s.ts)) * 1024);
    }
    expect(new Set(samples.filter((s) => s.metric === 'net.received.bytesPerSec').map((s) => s.instance))).toEqual(
      new Set(['4000', '4001', '4002']),
    );
  });
});

describe('lab vCenter at 50,000 VMs', () => {
  let big: ReturnType<typeof buildEstate>;
  let bigLab: VcenterLab;
  const c = { vim: null as RawVim | null };

  beforeAll(async () => {
    big = buildEstate({
      seed: 5,
      hosts: Array.from({ length: 40 }, (_, i) => ({ name: `esx${i}.big`, platform: 'vmware', cluster: `C${i % 4}` })),
      generate: [{ count: 50_000, prefix: 'big', hosts: Array.from({ length: 40 }, (_, i) => `esx${i}.big`) }],
    });
    bigLab = await startVcenterLab({ estate: big, users: [{ username: USER, password: PASSWORD }], log });
    c.vim = new RawVim(bigLab.url);
    await c.vim.login(USER, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await c.vim?.close();
    await bigLab?.close();
  });

  it('pages every VM exactly once and answers QueryPerf for the last one', async () => {
    const vim = c.vim!;
    const viewRes = await vim.call(
      'CreateContainerView',
      'ViewManager',
      'ViewManager',
      '<container type="Folder">group-d1</container><type>VirtualMachine</type><recursive>true</recursive>',
    );
    const view = childText(viewRes.response!, 'returnval')!;
    let r = await vim.call(
      'RetrievePropertiesEx',
      'PropertyCollector',
      'propertyCollector',
      viewSpec(view, 'VirtualMachine', ['name'], 5000),
    );
    const names = new Set<string>();
    let pages = 0;
    for (;;) {
      pages++;
      const ret = child(r.response!, 'returnval')!;
      for (const o of objectsOf(ret)) names.add(o.props.get('name')!.text);
      const token = childText(ret, 'token');
      if (!token) break;
      r = await vim.call('ContinueRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', `<token>${token}</token>`);
    }
    expect(pages).toBe(10);
    expect(names.size).toBe(50_000);
    expect(names.has('big-50000')).toBe(true);

    const last = big.vms[49_999]!;
    const perf = await vim.call(
      'QueryPerf',
      'PerformanceManager',
      'PerfMgr',
      `<querySpec><entity type="VirtualMachine">vm-${last.index + 1000}</entity><maxSample>2</maxSample><metricId><counterId>148</counterId><instance>4000</instance></metricId><intervalId>20</intervalId></querySpec>`,
    );
    const series = child(returnvals(perf)[0], 'value')!;
    const stamps = children(returnvals(perf)[0], 'sampleInfo').map((s) => Date.parse(childText(s, 'timestamp')!));
    expect(children(series, 'value').map((v) => Number(v.text))).toEqual(
      stamps.map((t) => toKBps(estateRate(big.seed, last, 'netReceivedBytesPerSec', '4000', t))),
    );
  }, 120_000);
});
