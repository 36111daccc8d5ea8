import { afterAll, describe, expect, it } from 'vitest';
import { VcenterCollector } from '../../../collectors/vcenter/collector.js';
import { machineId } from '../../../model/index.js';
import { capturingLogger, schemaValidator, simConfig } from './helpers/lab.js';
import { pyvmomiInventory, type PeerMachine } from './helpers/peer.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { startSim, type Sim, type SimShape } from './helpers/sim.js';

const validateInventory = schemaValidator('inventory');

const SHAPES: Array<{ title: string; shape: SimShape; pageSize: number }> = [
  {
    title: 'two datacenters, clusters and standalone hosts, powered-off VMs and templates, paged at 10',
    shape: { datacenters: 2, clusters: 2, clusterHosts: 2, hosts: 1, vms: 3, poweredOff: 0.3, templates: 2 },
    pageSize: 10,
  },
  {
    title: 'standalone hosts only, all powered on, no templates, one page',
    shape: { datacenters: 1, clusters: 0, hosts: 3, vms: 4, poweredOff: 0, templates: 0 },
    pageSize: 500,
  },
  {
    title: 'many small clusters, paged at 25',
    shape: { datacenters: 3, clusters: 3, clusterHosts: 1, hosts: 0, vms: 5, poweredOff: 0.5, templates: 3 },
    pageSize: 25,
  },
  {
    title: 'datacenters inside folders (nested parent chains), paged at 10',
    shape: { datacenters: 2, folders: 2, clusters: 1, clusterHosts: 2, hosts: 1, vms: 2, poweredOff: 0.2, templates: 1 },
    pageSize: 10,
  },
];

function comparable(m: PeerMachine) {
  return {
    name: m.name,
    moref: m.moref,
    biosUuid: m.biosUuid,
    instanceId: m.instanceId,
    cpuCores: m.cpuCores,
    memoryMB: m.memoryMB,
    os: { name: m.os.name, id: m.os.id },
    firmware: m.firmware,
    powerState: m.powerState,
    host: m.host,
    cluster: m.cluster,
    datacenter: m.datacenter,
    disks: m.disks.map((d) => ({ id: d.id, capacityBytes: d.capacityBytes, controllerKey: d.controllerKey, unitNumber: d.unitNumber })),
    nics: m.nics.map((n) => ({ id: n.id, mac: n.mac })),
    ipAddresses: [...m.ipAddresses].sort(),
  };
}

describe.skipIf(requirePeer(PEERS.govmomiSim, PEERS.pyvmomi))('vCenter inventory against govmomi simulator, compared with pyVmomi', () => {
  const sims: Sim[] = [];
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
  });

  for (const { title, shape, pageSize } of SHAPES) {
    it(`matches pyVmomi field by field: ${title}`, async () => {
      const sim = await startSim(shape);
      sims.push(sim);
      const logs = capturingLogger();
      const c = new VcenterCollector(simConfig(sim, { inventory: { pageSize } }), { log: logs.log });
      await sim.control('/lab/stats?reset=1');
      const { source, machines } = await c.discover();
      const stats = (await sim.control('/lab/stats')).calls;
      await c.close();

      expect(source.errors).toEqual([]);
      expect(source.machines).toBe(sim.vms);
      expect(machines).toHaveLength(sim.vms);
      expect(source.templatesSkipped).toBe(sim.templates);
      expect(source.endpoint).toBe(sim.url);
      expect(validateInventory({ sources: [source], machines }), JSON.stringify(validateInventory.errors)).toBe(true);

      // A few round trips whatever the size: one view, one retrieve, then one continuation per page.
      // The view also holds hosts, clusters, datacenters and folders, so pages >= objects / pageSize.
      const minObjects = sim.vms + sim.templates + sim.hosts + sim.clusters + sim.datacenters;
      expect(stats.CreateContainerView).toBe(1);
      expect(stats.RetrievePropertiesEx).toBe(1);
      expect(stats.DestroyView).toBe(1);
      expect(stats.Login).toBe(1);
      const continues = stats.ContinueRetrievePropertiesEx ?? 0;
      expect(continues).toBeGreaterThanOrEqual(Math.ceil(minObjects / pageSize) - 1);
      expect(continues).toBeLessThanOrEqual(Math.ceil((minObjects * 4) / pageSize));

      const peer = pyvmomiInventory(sim);
      expect(peer.templates).toBe(source.templatesSkipped);
      expect(source.about.instanceUuid).toBe(peer.about.instanceUuid);
      const ours = new Map(machines.map((m) => [m.moref, m]));
      expect(peer.machines.length).toBe(machines.length);
      for (const p of peer.machines) {
        const m = ours.get(p.moref);
        expect(m, `machine ${p.moref} missing`).toBeDefined();
        expect(comparable(m!)).toEqual(comparable(p));
        expect(m!.id).toBe(machineId('vmware', peer.about.instanceUuid, p.instanceId));
        expect(m!.kind).toBe('vmware');
        expect(m!.source).toBe('lab-vc');
      }
      expect(new Set(machines.map((m) => m.id)).size).toBe(machines.length);
      // The shape shows up: standalone hosts have no cluster, powered-off VMs exist when asked for.
      if (shape.hosts) expect(machines.some((m) => m.cluster === null && m.host)).toBe(true);
      if (shape.clusters) expect(machines.some((m) => m.cluster !== null)).toBe(true);
      if (shape.poweredOff) expect(machines.some((m) => m.powerState === 'poweredOff')).toBe(true);
      expect(new Set(machines.map((m) => m.datacenter)).size).toBe(shape.datacenters);
      expect(logs.text()).not.toContain(sim.password);
      expect(logs.text()).not.toMatch(/vmware_soap_session=[^[]/);
    });
  }
});
