// One simulated Windows server as a WS-Man backend: root/cimv2 only, WQL over the Win32 inventory and
// raw perf classes, projections as XmlFragment items; unknown namespaces and classes fault as Windows does,
// and accounts without rights are denied (WMI 0x80041003 surfaces as AccessDenied).
import { parseWmiResourceUri, WMI_BASE, WQL_DIALECT, type CimInstance } from '../../collectors/wsman/index.js';
import { matches, parseWql, project, WqlError } from '../hyperv/wql.js';
import {
  WsmanServerFault,
  type EnumerateRequest,
  type InvokeRequest,
  type RenderedItem,
  type WsmanBackend,
} from '../wsman-server/index.js';
import { inventoryClasses, NS_CIMV2, PERF_CLASSES, perfClasses, type SeriesIntegrator } from './cim.js';
import { guestClasses, guestRegistry, NS_DEFAULT, NS_STANDARD_CIMV2, stdRegProv, type GuestView, type Registry } from './guest.js';
import type { SimServer, WindowsWorld } from './world.js';

const PERF_SET = new Set(PERF_CLASSES.map((c) => c.toLowerCase()));

export interface ServerBackendOptions {
  world: WindowsWorld;
  server: SimServer;
  integrator: SeriesIntegrator;
  /** Accounts that authenticate but have no rights on this server: every request is denied. */
  deniedUsers?: string[];
  /** Inside the guest (issue 12): registry (StdRegProv), features, processes and TCP connections. */
  guest?: GuestView | null;
}

export class WindowsServerBackend implements WsmanBackend {
  private inv: { generation: number; table: Map<string, CimInstance[]> } | null = null;
  private registry: Registry | null = null;

  constructor(private readonly opts: ServerBackendOptions) {}

  private classes(cls: string, namespace = NS_CIMV2): CimInstance[] {
    const { world, server, integrator, guest } = this.opts;
    let table: Map<string, CimInstance[]>;
    const guestTable = guest ? guestClasses(guest, world.clock()) : null;
    if (namespace === NS_STANDARD_CIMV2) table = guestTable?.standard ?? new Map();
    else if (guestTable && [...guestTable.cimv2.keys()].some((k) => k.toLowerCase() === cls.toLowerCase())) table = guestTable.cimv2;
    else if (PERF_SET.has(cls.toLowerCase())) table = perfClasses(world, server, integrator, world.clock(), cls);
    else {
      if (!this.inv || this.inv.generation !== world.generation)
        this.inv = { generation: world.generation, table: inventoryClasses(world, server) };
      table = this.inv.table;
    }
    const key = [...table.keys()].find((k) => k.toLowerCase() === cls.toLowerCase());
    const list = key === undefined ? undefined : table.get(key);
    if (!list) throw new WsmanServerFault('InvalidClass', `Invalid class ${cls}`);
    return list;
  }

  private namespaceOf(req: { resourceUri: string; selectors: Record<string, string>; user: string }) {
    if ((this.opts.deniedUsers ?? []).some((d) => d.toLowerCase() === req.user.toLowerCase()))
      throw new WsmanServerFault('AccessDenied', 'Access is denied.');
    const parsed = parseWmiResourceUri(req.resourceUri, req.selectors);
    if (!parsed)
      throw new WsmanServerFault(
        'InvalidResourceURI',
        `The WS-Management service cannot process the request. The resource URI ${req.resourceUri} is not supported.`,
      );
    const ns = parsed.namespace.toLowerCase();
    const known = ns === NS_CIMV2 || (this.opts.guest && (ns === NS_STANDARD_CIMV2 || ns === NS_DEFAULT));
    if (!known) throw new WsmanServerFault('InvalidNamespace', `Invalid namespace ${parsed.namespace.replace(/\//g, '\\')}`);
    return { ...parsed, ns };
  }

  /** StdRegProv (root/default): EnumKey, EnumValues, GetStringValue, GetDWORDValue on the guest's registry. */
  invoke(req: InvokeRequest): RenderedItem {
    const { ns, className } = this.namespaceOf(req);
    const guest = this.opts.guest;
    if (!guest || ns !== NS_DEFAULT || className.toLowerCase() !== 'stdregprov')
      throw new WsmanServerFault('ActionNotSupported', `The action ${req.method} is not supported by ${req.resourceUri}.`);
    this.registry ??= guestRegistry(guest.software());
    const out = stdRegProv(this.registry, req.method, req.params);
    if (!out) throw new WsmanServerFault('ActionNotSupported', `StdRegProv has no method ${req.method}.`);
    return { className: `${req.method}_OUTPUT`, namespaceUri: `${WMI_BASE}/${NS_DEFAULT}`, properties: out, fragment: false };
  }

  enumerate(req: EnumerateRequest): RenderedItem[] {
    const parsed = this.namespaceOf(req);
    const ns = parsed.ns === NS_STANDARD_CIMV2 ? NS_STANDARD_CIMV2 : NS_CIMV2;
    if (parsed.ns === NS_DEFAULT) throw new WsmanServerFault('InvalidClass', `Invalid class ${parsed.className}`);
    const namespaceUri = `${WMI_BASE}/${parsed.ns === NS_STANDARD_CIMV2 ? 'root/StandardCimv2' : NS_CIMV2}`;
    if (!req.filter) {
      if (parsed.className === '*')
        throw new WsmanServerFault(
          'InvalidResourceURI',
          'The WS-Management service cannot process the request because the class name "*" needs a filter.',
        );
      return this.classes(parsed.className, ns).map((i) => ({
        className: i.className,
        namespaceUri,
        properties: i.properties,
        fragment: false,
      }));
    }
    if (parsed.className !== '*') throw new WsmanServerFault('CannotProcessFilter', 'The class name must be "*" when a filter is used.');
    if (req.filter.dialect !== WQL_DIALECT)
      throw new WsmanServerFault('CannotProcessFilter', `The filter dialect ${req.filter.dialect} is not supported; use ${WQL_DIALECT}.`);
    try {
      const q = parseWql(req.filter.text);
      const out: RenderedItem[] = [];
      for (const inst of this.classes(q.className, ns)) {
        if (!matches(q.where, inst.properties, q.className)) continue;
        out.push({
          className: inst.className,
          namespaceUri,
          properties: project(inst.properties, q.properties, q.className),
          fragment: q.properties !== null,
        });
      }
      return out;
    } catch (err) {
      if (err instanceof WqlError) throw new WsmanServerFault('InvalidQuery', `Invalid query: ${err.message}`);
      throw err;
    }
  }
}
