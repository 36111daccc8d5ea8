// The requests of one inventory or perf reading, sequential on the server's one connection.
import { wmiResourceUri } from '../wsman/index.js';
import { explainAccess } from './access.js';
import type { ServerInventoryData } from './inventory.js';
import type { PerfReadings } from './perf.js';
import { INVENTORY_QUERIES, NS_CIMV2, PERF_QUERIES, type InventoryClassKey, type PerfClassKey } from './queries.js';
import type { CimReader } from './session.js';

const CLASS_OF = (wql: string): string => /\bFROM\s+(\w+)/i.exec(wql)?.[1] ?? wql;

export async function readInventory(host: string, client: CimReader): Promise<ServerInventoryData> {
  const uri = wmiResourceUri(NS_CIMV2);
  const out = {} as ServerInventoryData;
  for (const key of Object.keys(INVENTORY_QUERIES) as InventoryClassKey[]) {
    try {
      out[key] = await client.enumerateAll(uri, { wql: INVENTORY_QUERIES[key] });
    } catch (err) {
      throw explainAccess(host, CLASS_OF(INVENTORY_QUERIES[key]), err);
    }
  }
  return out;
}

export async function readPerf(host: string, client: CimReader): Promise<PerfReadings> {
  const uri = wmiResourceUri(NS_CIMV2);
  const out = {} as PerfReadings;
  for (const key of Object.keys(PERF_QUERIES) as PerfClassKey[]) {
    try {
      out[key] = await client.enumerateAll(uri, { wql: PERF_QUERIES[key] });
    } catch (err) {
      throw explainAccess(host, CLASS_OF(PERF_QUERIES[key]), err);
    }
  }
  return out;
}
