// One simulated Hyper-V host as a WS-Man backend: resolves resource URIs to WMI namespaces and
// classes, evaluates WQL over the CIM data layer, renders projections as XmlFragment items, answers
// Get and the Msvm_ImageManagementService.GetVirtualHardDiskSettingData method, and refuses what
// Windows refuses (unknown namespace or class, bad WQL, a concrete class with a filter).
import {
  clusterClasses,
  inventoryClasses,
  vhdSettingData,
  NS_CIMV2,
  NS_CLUSTER,
  NS_VIRTUALIZATION,
  type SimInstance,
  type SimValue,
} from './cim-inventory.js';
import { perfClasses, PERF_CLASSES, type SeriesIntegrator } from './cim-perf.js';
import { parseWmiResourceUri, renderEmbeddedInstance, WMI_BASE, WQL_DIALECT } from '../../collectors/wsman/index.js';
import { WsmanServerFault, type RenderedItem, type WsmanBackend, type WsmanServerFaultKind } from '../wsman-server/index.js';
import { matches, parseWql, project, WqlError } from './wql.js';
import type { HypervWorld, SimHost } from './world.js';

function fault(kind: WsmanServerFaultKind, message: string): WsmanServerFault {
  return new WsmanServerFault(kind, message);
}

export interface HostBackendOptions {
  world: HypervWorld;
  host: SimHost;
  integrator: SeriesIntegrator;
  /** Authenticated users that are not administrators: every operation is denied, as Windows does. */
  deniedUsers?: string[];
}

const NAMESPACES = [NS_VIRTUALIZATION, NS_CIMV2, NS_CLUSTER];
const PERF_SET = new Set(PERF_CLASSES.map((c) => c.toLowerCase()));
const EMBEDDED_TYPES: Record<string, Record<string, string>> = {
  Msvm_KvpExchangeDataItem: { Source: 'uint16' },
  Msvm_VirtualHardDiskSettingData: {
    Type: 'uint16',
    Format: 'uint16',
    MaxInternalSize: 'uint64',
    BlockSize: 'uint32',
    LogicalSectorSize: 'uint32',
    PhysicalSectorSize: 'uint32',
    IsPmemCompatible: 'boolean',
  },
};

export class HypervHostBackend implements WsmanBackend {
  constructor(private readonly opts: HostBackendOptions) {}

  private checkUser(user: string): void {
    const denied = this.opts.deniedUsers ?? [];
    if (denied.some((d) => d.toLowerCase() === user.toLowerCase())) throw fault('AccessDenied', 'Access is denied.');
  }

  /** The namespace and class (or "*") a resource URI addresses, in either form Windows accepts. */
  private resolve(resourceUri: string, selectors: Record<string, string>): { ns: string; cls: string } {
    const parsed = parseWmiResourceUri(resourceUri, selectors);
    if (!parsed)
      throw fault(
        'InvalidResourceURI',
        `The WS-Management service cannot process the request. The resource URI ${resourceUri} is not supported.`,
      );
    const known = NAMESPACES.find((n) => n.toLowerCase() === parsed.namespace.toLowerCase());
    if (!known || (known === NS_CLUSTER && !this.opts.host.cluster))
      throw fault('InvalidNamespace', `Invalid namespace ${parsed.namespace.replace(/\//g, '\\')}`);
    return { ns: known, cls: parsed.className };
  }

  private classesOf(ns: string, cls: string): SimInstance[] {
    const { world, host, integrator } = this.opts;
    let table: Map<string, SimInstance[]> | null;
    if (ns === NS_CIMV2) {
      if (!PERF_SET.has(cls.toLowerCase())) throw fault('InvalidClass', `Invalid class ${cls}`);
      table = perfClasses(world, host, integrator, world.clock(), cls);
    } else if (ns === NS_CLUSTER) {
      table = clusterClasses(world, host);
    } else {
      table = this.inventory();
    }
    const rows = [...(table?.entries() ?? [])].find(([k]) => k.toLowerCase() === cls.toLowerCase())?.[1];
    if (!rows) {
      // Classes Windows has but this host has no instance of (e.g. no VMs) answer empty; unknown ones fault.
      if (ns === NS_VIRTUALIZATION && KNOWN_EMPTY.has(cls.toLowerCase())) return [];
      throw fault('InvalidClass', `Invalid class ${cls}`);
    }
    return rows;
  }

  private invCache: { generation: number; at: number; table: Map<string, SimInstance[]> } | null = null;
  private inventory(): Map<string, SimInstance[]> {
    const { world, host } = this.opts;
    const now = world.clock();
    if (!this.invCache || this.invCache.generation !== world.generation || now - this.invCache.at > 60_000 || now < this.invCache.at) {
      this.invCache = { generation: world.generation, at: now, table: inventoryClasses(world, host) };
    }
    return this.invCache.table;
  }

  private render(ns: string, inst: SimInstance, fragment: boolean, properties: Record<string, SimValue>): RenderedItem {
    const out: Record<string, SimValue> = {};
    for (const [k, v] of Object.entries(properties)) {
      if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null && 'className' in x)) {
        out[k] = (v as SimInstance[]).map((x) => renderEmbeddedInstance(x, EMBEDDED_TYPES[x.className]));
      } else out[k] = v;
    }
    return { className: inst.className, namespaceUri: `${WMI_BASE}/${ns}`, properties: out, fragment };
  }

  enumerate(req: {
    resourceUri: string;
    filter?: { dialect: string; text: string };
    selectors: Record<string, string>;
    user: string;
  }): RenderedItem[] {
    this.checkUser(req.user);
    const { ns, cls } = this.resolve(req.resourceUri, req.selectors);
    if (!req.filter) {
      if (cls === '*')
        throw fault(
          'InvalidResourceURI',
          'The WS-Management service cannot process the request because the class name "*" needs a filter.',
        );
      return this.classesOf(ns, cls).map((i) => this.render(ns, i, false, i.properties));
    }
    if (cls !== '*')
      throw fault(
        'CannotProcessFilter',
        'The WS-Management service cannot process the request because the resource URI cannot contain keys and the class name must be "*" when a filter is used.',
      );
    if (req.filter.dialect !== WQL_DIALECT)
      throw fault('CannotProcessFilter', `The filter dialect ${req.filter.dialect} is not supported; use ${WQL_DIALECT}.`);
    try {
      const q = parseWql(req.filter.text);
      const out: RenderedItem[] = [];
      for (const inst of this.classesOf(ns, q.className)) {
        if (!matches(q.where, inst.properties, q.className)) continue;
        out.push(this.render(ns, inst, q.properties !== null, project(inst.properties, q.properties, q.className)));
      }
      return out;
    } catch (err) {
      if (err instanceof WqlError) throw fault('InvalidQuery', `Invalid query: ${err.message}`);
      throw err;
    }
  }

  get(req: { resourceUri: string; selectors: Record<string, string>; user: string }): RenderedItem {
    this.checkUser(req.user);
    const { ns, cls } = this.resolve(req.resourceUri, req.selectors);
    if (cls === '*') throw fault('InvalidResourceURI', 'Get needs a concrete class in the resource URI.');
    const sel = Object.entries(req.selectors).filter(([k]) => k !== '__cimnamespace');
    if (sel.length === 0)
      throw fault(
        'InvalidSelectors',
        'The WS-Management service cannot process the request because the request contained invalid selectors for the resource.',
      );
    const found = this.classesOf(ns, cls).find((i) =>
      sel.every(([k, v]) => String(lookup(i.properties, k) ?? '').toLowerCase() === v.toLowerCase()),
    );
    if (!found)
      throw fault(
        'InvalidSelectors',
        'The WS-Management service cannot process the request because the request contained invalid selectors for the resource.',
      );
    return this.render(ns, found, false, found.properties);
  }

  invoke(req: {
    resourceUri: string;
    method: string;
    selectors: Record<string, string>;
    params: Record<string, string | string[]>;
    user: string;
  }): RenderedItem {
    this.checkUser(req.user);
    const { ns, cls } = this.resolve(req.resourceUri, req.selectors);
    if (ns !== NS_VIRTUALIZATION || cls.toLowerCase() !== 'msvm_imagemanagementservice' || req.method !== 'GetVirtualHardDiskSettingData') {
      throw fault('ActionNotSupported', `The method ${req.method} of ${cls} is not supported by this host.`);
    }
    const path = req.params.Path;
    if (typeof path !== 'string' || !path) throw fault('InvalidResourceURI', 'GetVirtualHardDiskSettingData needs the Path parameter.');
    const sd = vhdSettingData(this.opts.world, this.opts.host, path);
    const outClass = `${req.method}_OUTPUT`;
    // 32779 = "File not found" in the Msvm job return codes; Windows answers the method, not a fault.
    const properties: Record<string, SimValue> = sd
      ? { Job: null, ReturnValue: '0', SettingData: renderEmbeddedInstance(sd, EMBEDDED_TYPES[sd.className]) }
      : { Job: null, ReturnValue: '32779', SettingData: null };
    return { className: outClass, namespaceUri: `${WMI_BASE}/${ns}`, properties, fragment: false };
  }
}

function lookup(props: Record<string, SimValue>, name: string): SimValue | undefined {
  const key = Object.keys(props).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : props[key];
}

/** Inventory classes a host without VMs still knows (answers with no items). */
const KNOWN_EMPTY = new Set(
  [
    'Msvm_ComputerSystem',
    'Msvm_VirtualSystemSettingData',
    'Msvm_ProcessorSettingData',
    'Msvm_MemorySettingData',
    'Msvm_StorageAllocationSettingData',
    'Msvm_SyntheticEthernetPortSettingData',
    'Msvm_EmulatedEthernetPortSettingData',
    'Msvm_EthernetPortAllocationSettingData',
    'Msvm_GuestNetworkAdapterConfiguration',
    'Msvm_KvpExchangeComponent',
    'Msvm_VirtualEthernetSwitch',
    'Msvm_SummaryInformation',
    'Msvm_BIOSElement',
  ].map((c) => c.toLowerCase()),
);
