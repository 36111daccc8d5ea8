// What the collector asks one Hyper-V host, over any WS-Man client with the WsmanClient shape:
// the inventory classes (one WQL each), the VHD details per disk, the cluster's node list and the
// raw perf classes. Kept apart from the joins and rate math so those stay pure.
import { INVENTORY_QUERIES, NS_VIRTUALIZATION, type HostInventoryData, type InventoryClassKey } from './inventory.js';
import { NS_CIMV2, PERF_QUERIES, type PerfClassKey, type PerfReadings } from './perf.js';
import { parseEmbeddedInstance, propNumber, propString, propStrings, wmiResourceUri, type CimInstance } from '../wsman/index.js';

/** The subset of WsmanClient the collector uses (tests may pass another implementation). */
export interface CimReader {
  enumerateAll(resourceUri: string, opts?: { wql?: string }): Promise<CimInstance[]>;
  invoke(
    resourceUri: string,
    method: string,
    selectors: Record<string, string>,
    params: Record<string, string | string[]>,
  ): Promise<CimInstance>;
}

export const NS_CLUSTER = 'root/MSCluster';

/** Enumerates every inventory class of the host, sequentially (one connection per host). */
export async function readInventory(
  client: CimReader,
  vhdCache: Map<string, CimInstance | null>,
  opts: { counter?: () => void } = {},
): Promise<HostInventoryData> {
  const uri = wmiResourceUri(NS_VIRTUALIZATION);
  const out = {} as Record<InventoryClassKey, CimInstance[]>;
  for (const key of Object.keys(INVENTORY_QUERIES) as InventoryClassKey[]) {
    opts.counter?.();
    try {
      out[key] = await client.enumerateAll(uri, { wql: INVENTORY_QUERIES[key] });
    } catch (err) {
      // Legacy NICs and switches are optional extras; everything else is required.
      if (key === 'emulatedPorts' || key === 'switches') out[key] = [];
      else throw err;
    }
  }
  const vhds = new Map<string, CimInstance | null>();
  const paths = new Set<string>();
  for (const sasd of out.storage) {
    if (!/Virtual Hard Disk/i.test(propString(sasd, 'ResourceSubType') ?? '')) continue;
    const p = propStrings(sasd, 'HostResource')[0];
    if (p) paths.add(p);
  }
  if (paths.size) {
    const service = await imageManagementService(client, opts.counter);
    for (const path of paths) {
      const key = path.toLowerCase();
      const cached = vhdCache.get(key);
      if (cached !== undefined) {
        vhds.set(key, cached);
        continue;
      }
      const sd = service ? await vhdSettingData(client, service, path, opts.counter) : null;
      vhds.set(key, sd);
      if (sd) vhdCache.set(key, sd); // a VHD's id, type and size do not change between inventories
    }
  }
  return { ...out, vhds };
}

async function imageManagementService(client: CimReader, counter?: () => void): Promise<Record<string, string> | null> {
  counter?.();
  const list = await client.enumerateAll(wmiResourceUri(NS_VIRTUALIZATION), {
    wql: 'SELECT CreationClassName, Name, SystemCreationClassName, SystemName FROM Msvm_ImageManagementService',
  });
  const svc = list[0];
  if (!svc) return null;
  const sel: Record<string, string> = {};
  for (const k of ['CreationClassName', 'Name', 'SystemCreationClassName', 'SystemName']) {
    const v = propString(svc, k);
    if (v) sel[k] = v;
  }
  return sel;
}

/** Msvm_ImageManagementService.GetVirtualHardDiskSettingData(Path) -> the SettingData embedded instance. */
async function vhdSettingData(
  client: CimReader,
  selectors: Record<string, string>,
  path: string,
  counter?: () => void,
): Promise<CimInstance | null> {
  counter?.();
  const outp = await client.invoke(
    wmiResourceUri(NS_VIRTUALIZATION, 'Msvm_ImageManagementService'),
    'GetVirtualHardDiskSettingData',
    selectors,
    { Path: path },
  );
  if (propNumber(outp, 'ReturnValue') !== 0) return null; // e.g. the file is on a share the host cannot read
  const sd = outp.properties.SettingData;
  if (typeof sd === 'string' && sd.trim()) {
    try {
      return parseEmbeddedInstance(sd);
    } catch {
      return null;
    }
  }
  if (sd && typeof sd === 'object' && !Array.isArray(sd) && 'className' in sd) return sd as CimInstance;
  return null;
}

/** The cluster's name and node names (MSCluster_Node.State 0 = up); null when the host is not clustered. */
export async function readClusterNodes(client: CimReader): Promise<{ cluster: string; nodes: Array<{ name: string; up: boolean }> }> {
  const uri = wmiResourceUri(NS_CLUSTER);
  const [clusters, nodes] = [
    await client.enumerateAll(uri, { wql: 'SELECT Name FROM MSCluster_Cluster' }),
    await client.enumerateAll(uri, { wql: 'SELECT Name, State FROM MSCluster_Node' }),
  ];
  return {
    cluster: propString(clusters[0] ?? { className: '', properties: {} }, 'Name') ?? '',
    nodes: nodes.map((n) => ({ name: propString(n, 'Name') ?? '', up: propNumber(n, 'State') === 0 })).filter((n) => n.name),
  };
}

/** The four raw perf classes, with projections (root/cimv2). */
export async function readPerf(client: CimReader, counter?: () => void): Promise<PerfReadings> {
  const uri = wmiResourceUri(NS_CIMV2);
  const out = {} as PerfReadings;
  for (const key of Object.keys(PERF_QUERIES) as PerfClassKey[]) {
    counter?.();
    out[key] = await client.enumerateAll(uri, { wql: PERF_QUERIES[key] });
  }
  return out;
}
