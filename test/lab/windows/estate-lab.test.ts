// The sample estate's Windows servers in the lab, read by the collector as `collector lab up` configures
// it (HTTPS + NTLM, pinned thumbprint, hostMap), equal to the estate; and win-web01, the VMware VM web01
// read from inside, is one machine with the lab vCenter's view of web01 (the guest reports config.uuid
// byte-swapped), seenBy both sources, in the assessment too.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssessment } from '../../../assessment/build.js';
import { loadCatalog } from '../../../assessment/catalog.js';
import { DEFAULT_PROPERTIES } from '../../../assessment/properties.js';
import { createVcenterCollector } from '../../../collectors/vcenter/index.js';
import { createWindowsCollector } from '../../../collectors/windows/index.js';
import { createLogger } from '../../../common/log.js';
import { windowsSource } from '../../../config/schema/physical.js';
import { vcenterSource } from '../../../config/schema/vcenter.js';
import { loadEstate } from '../../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../../lab/vcenter/index.js';
import { startWindowsLab, windowsServersOfEstate, type WindowsLab } from '../../../lab/windows/index.js';
import { mergeMachinesAcrossSources, swapUuidByteOrder } from '../../../model/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
const log = createLogger({ level: 'silent' });
let win: WindowsLab;
let vc: VcenterLab;
process.env.WIN_ESTATE_PASSWORD = 'Estate-Passw0rd!';

beforeAll(async () => {
  win = await startWindowsLab({
    servers: windowsServersOfEstate(estate),
    seed: estate.seed,
    users: { 'LAB\\svc-collector': 'Estate-Passw0rd!' },
    log,
  });
  vc = await startVcenterLab({ estate, users: [{ username: 'collector@vsphere.local', password: 'Estate-Passw0rd!' }], log });
}, 60_000);

afterAll(async () => {
  await win?.close();
  await vc?.close();
});

describe("the sample estate's Windows servers", () => {
  const servers = estate.servers.filter((s) => s.family === 'windows');

  it('serves each one, and the collector reads it as the estate describes it', async () => {
    expect(servers.map((s) => s.name)).toEqual(['win-fs01', 'win-app01', 'win-web01']);
    const c = createWindowsCollector(
      windowsSource.parse({
        name: 'lab-windows',
        kind: 'windows',
        hosts: servers.map((s) => s.name),
        transport: 'https',
        username: 'LAB\\svc-collector',
        password: { env: 'WIN_ESTATE_PASSWORD' },
        tls: { thumbprint: win.certificateThumbprint },
        hostMap: win.hostMap(),
      }),
      { log },
    );
    try {
      const { machines, source } = await c.discover();
      expect(source.errors).toEqual([]);
      for (const s of servers) {
        const m = machines.find((x) => x.fqdn === s.fqdn);
        expect(m, s.name).toMatchObject({
          kind: 'physical',
          name: s.name,
          cpuCores: s.cpus,
          memoryMB: s.memoryMB,
          firmware: s.firmware,
          os: { name: s.os.name, version: s.os.version, family: 'windows', architecture: 'x64' },
          biosSerial: s.biosSerial,
          bootDisk: 'PhysicalDrive0',
          ipAddresses: expect.arrayContaining(s.ipAddresses),
        });
        expect(m?.disks.map((d) => [d.capacityBytes, d.model])).toEqual(s.disks.map((d) => [d.capacityBytes, d.model]));
        expect(m?.nics.map((n) => [n.mac, n.label])).toEqual(s.nics.map((n) => [n.mac, n.name]));
      }
      // win-web01 is web01 read from inside: the SMBIOS view of VMware's config.uuid.
      const web = estate.vms.find((v) => v.name === 'web01');
      expect(machines.find((m) => m.name === 'win-web01')?.biosUuid).toBe(swapUuidByteOrder(web?.biosUuid ?? ''));
    } finally {
      await c.close();
    }
  });

  it('a VMware VM also read as a Windows server is one machine, seenBy both, in the assessment as well', async () => {
    const vcc = createVcenterCollector(
      vcenterSource.parse({
        name: 'lab-vc01',
        kind: 'vcenter',
        url: vc.url,
        username: 'collector@vsphere.local',
        password: { env: 'WIN_ESTATE_PASSWORD' },
        tls: { thumbprint: vc.thumbprint },
      }),
      { log },
    );
    const wc = createWindowsCollector(
      windowsSource.parse({
        name: 'lab-windows',
        kind: 'windows',
        hosts: ['win-web01', 'win-fs01'],
        transport: 'https',
        username: 'LAB\\svc-collector',
        password: { env: 'WIN_ESTATE_PASSWORD' },
        tls: { thumbprint: win.certificateThumbprint },
        hostMap: win.hostMap(),
      }),
      { log },
    );
    try {
      const all = [...(await vcc.discover()).machines, ...(await wc.discover()).machines];
      const merged = mergeMachinesAcrossSources(all);
      expect(merged).toHaveLength(all.length - 1);
      const web = merged.filter((m) => m.name === 'web01' || m.name === 'win-web01');
      expect(web).toHaveLength(1);
      expect(web[0]).toMatchObject({
        kind: 'vmware',
        name: 'web01',
        seenBy: ['lab-vc01', 'lab-windows'],
        fqdn: 'web01.lab.local',
        os: { family: 'windows', version: '10.0.17763' },
      });
      const a = buildAssessment({
        machines: all,
        percentiles: null,
        properties: { ...DEFAULT_PROPERTIES },
        catalog: loadCatalog('westus2'),
        asOf: 0,
        generatedAt: 0,
      });
      expect(a.machines.filter((r) => r.seenBy.length > 1).map((r) => [r.name, r.seenBy])).toEqual([
        ['web01', ['lab-vc01', 'lab-windows']],
      ]);
      expect(a.machines.find((r) => r.name === 'win-fs01')).toMatchObject({ kind: 'physical', seenBy: ['lab-windows'] });
    } finally {
      await vcc.close();
      await wc.close();
    }
  });
});
