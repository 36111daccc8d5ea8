// One simulated Windows server as a WS-Man backend: root/cimv2 only, WQL over the Win32 inventory and
// raw perf classes, projections as XmlFragment items; unknown namespaces and classes fault as Windows does,
// and accounts without rights are denied (WMI 0x80041003 surfaces as AccessDenied).
import { parseWmiResourceUri, WMI_BASE, WQL_DIALECT, type CimInstance } from '../../collectors/wsman/index.js';
import { matches, parseWql, project, WqlError } from '../hyperv/wql.js';
import { WsmanServerFault, type EnumerateRequest, type RenderedItem, type WsmanBackend } from '../wsman-server/index.js';
import { inventoryClasses, NS_CIMV2, PERF_CLASSES, perfClasses, type SeriesIntegrator } from './cim.js';
import type { SimServer, WindowsWorld } from './world.js';

const PERF_SET = new Set(PERF_CLASSES.map((c) => c.toLowerCase()));

export interface ServerBackendOptions {
  world: WindowsWorld;
  server: SimServer;
  integrator: SeriesIntegrator;
  /** Accounts that authenticate but have no rights on this server: every request is denied. */
  deniedUsers?: string[];
}

export class WindowsServerBackend implements WsmanBackend {
  private inv: { generation: number; table: Map<string, CimInstance[]> } | null = null;

  constructor(private readonly opts: ServerBackendOptions) {}

  private classes(cls: string): CimInstance[] {
    const { world, server, integrator } = this.opts;
    let table: Map<string, CimInstance[]>;
    if (PERF_SET.has(cls.toLowerCase())) table = perfClasses(world, server, integrator, world.clock(), cls);
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

  enumerate(req: EnumerateRequest): RenderedItem[] {
    if ((this.opts.deniedUsers ?? []).some((d) => d.toLowerCase() === req.user.toLowerCase()))
      throw new WsmanServerFault('AccessDenied', 'Access is denied.');
    const parsed = parseWmiResourceUri(req.resourceUri, req.selectors);
    if (!parsed)
      throw new WsmanServerFault(
        'InvalidResourceURI',
        `The WS-Management service cannot process the request. The resource URI ${req.resourceUri} is not supported.`,
      );
    if (parsed.namespace.toLowerCase() !== NS_CIMV2)
      throw new WsmanServerFault('InvalidNamespace', `Invalid namespace ${parsed.namespace.replace(/\//g, '\\')}`);
    const namespaceUri = `${WMI_BASE}/${NS_CIMV2}`;
    if (!req.filter) {
      if (parsed.className === '*')
        throw new WsmanServerFault(
          'InvalidResourceURI',
          'The WS-Management service cannot process the request because the class name "*" needs a filter.',
        );
      return this.classes(parsed.className).map((i) => ({
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
      for (const inst of this.classes(q.className)) {
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
