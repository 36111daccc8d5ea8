// The dependency map per machine and per group (issue 12). The page holds no script of its own: it loads cytoscape
// and the map script from the appliance (/static/vendor/cytoscape.min.js, /static/dependency-map.js; the CSP allows
// scripts from 'self' only) and the script fetches the graph from /dependencies/graph.json, which needs a session.
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { packageRoot } from '../../../assessment/paths.js';
import { GroupStore } from '../../../assessment/group-store.js';
import { suggestGroups } from '../../../assessment/groups.js';
import { DependencyStore } from '../../../rollup/dependency-store.js';
import type { WebContext } from '../context.js';
import { dependencyGraph } from '../dependency-graph.js';
import { h, page, raw, table } from '../html.js';
import { csrfOf, query } from '../request.js';

const RANGES: Record<string, number> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

/** The time filter: ?range=1h|24h|7d|30d (default 24h), or ?from=&to= (ISO or epoch ms). */
export function rangeOfQuery(q: Record<string, string>, now = Date.now()): { from: number; to: number; label: string } {
  const t = (v: string | undefined) => (v === undefined || v === '' ? Number.NaN : /^\d+$/.test(v) ? Number(v) : Date.parse(v));
  const from = t(q.from);
  const to = t(q.to);
  if (Number.isFinite(from) && Number.isFinite(to) && from < to) return { from, to, label: 'custom' };
  const span = RANGES[q.range ?? ''] ?? RANGES['24h'] ?? 86_400_000;
  return { from: now - span, to: now, label: q.range && RANGES[q.range] ? q.range : '24h' };
}

function vendorFile(): string {
  return createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js');
}

/** A stream, so the one redaction step over text bodies (server.ts onSend) leaves library code as it is. */
function sendScript(reply: FastifyReply, file: string) {
  return reply.type('text/javascript; charset=utf-8').header('cache-control', 'max-age=3600').send(createReadStream(file));
}

export function registerDependencyRoutes(app: FastifyInstance, ctx: WebContext): void {
  const deps = new DependencyStore(ctx.redis, ctx.prefix);
  const groups = new GroupStore(ctx.redis, ctx.prefix);
  const names = async () => new Map((await ctx.inventory.machines()).map((m) => [m.id, m.name]));

  app.get('/static/vendor/cytoscape.min.js', async (_req, reply) => sendScript(reply, vendorFile()));
  app.get('/static/dependency-map.js', async (_req, reply) =>
    sendScript(reply, join(packageRoot(), 'appliance', 'web', 'static', 'dependency-map.js')),
  );

  app.get('/dependencies/graph.json', async (req, reply) => {
    const q = query(req);
    const range = rangeOfQuery(q);
    const edges = await deps.edges(range.from, range.to);
    const known = await names();
    let focus: Set<string>;
    if (q.group) {
      // A saved group, else a suggestion over the same range (the page links both).
      const g =
        (await groups.get(q.group))?.machines ??
        suggestGroups(edges, ctx.current().groups, known.size > 0 ? [...known.keys()] : undefined).groups.find((x) => x.name === q.group)
          ?.machines;
      if (!g) return reply.code(404).send({ error: `no group named ${q.group}` });
      focus = new Set(g);
    } else if (q.machine) focus = new Set([q.machine]);
    else return reply.code(400).send({ error: 'give ?machine=ID or ?group=NAME' });
    const graph = dependencyGraph(edges, focus, known, range);
    return reply.type('application/json').send(graph);
  });

  app.get('/dependencies', async (req, reply) => {
    const q = query(req);
    const range = rangeOfQuery(q);
    const all = await ctx.inventory.machines();
    const saved = await groups.list();
    const nameOf = new Map(all.map((m) => [m.id, m.name]));
    const subject = q.group ? { kind: 'group', value: q.group } : q.machine ? { kind: 'machine', value: q.machine } : null;
    const params = new URLSearchParams();
    if (subject) params.set(subject.kind, subject.value);
    if (range.label === 'custom') {
      params.set('from', String(range.from));
      params.set('to', String(range.to));
    } else params.set('range', range.label);
    const settings = ctx.current().groups;
    const suggestion = suggestGroups(await deps.edges(range.from, range.to), settings, all.length > 0 ? [...nameOf.keys()] : undefined);
    const groupRow = (name: string, machines: string[], savedGroup: boolean) => [
      h`<a href="/dependencies?group=${name}&amp;range=${range.label === 'custom' ? '24h' : range.label}">${name}</a>`,
      savedGroup ? 'saved' : 'suggested',
      machines.map((id) => nameOf.get(id) ?? id).join(', '),
    ];
    const title =
      subject?.kind === 'group'
        ? `Dependency map: group ${subject.value}`
        : subject
          ? `Dependency map: ${nameOf.get(subject.value) ?? subject.value}`
          : 'Dependencies';
    const options = (list: Array<[string, string]>, selected: string | undefined) =>
      list.map(([v, l]) => h`<option value="${v}"${raw(v === selected ? ' selected' : '')}>${l}</option>`);
    return reply.type('text/html').send(
      page(
        { title, nav: 'dependencies', csrf: csrfOf(req) },
        h`
      <form method="get" action="/dependencies" class="filters">
        <div><label for="f-machine">Machine</label><select name="machine" id="f-machine"><option value="">—</option>${options(
          all.map((m) => [m.id, m.name]),
          q.machine,
        )}</select></div>
        <div><label for="f-group">Group</label><select name="group" id="f-group"><option value="">—</option>${options(
          [...saved.map((g) => g.name), ...suggestion.groups.map((g) => g.name)].map((n) => [n, n]),
          q.group,
        )}</select></div>
        <div><label for="f-range">Time range</label><select name="range" id="f-range">${options(
          Object.keys(RANGES).map((r) => [r, `last ${r}`]),
          range.label,
        )}</select></div>
        <div><button type="submit">Show</button></div>
      </form>
      ${
        subject
          ? h`<p id="map-status" class="muted">Loading the map…</p>
      <div id="dependency-map" data-src="/dependencies/graph.json?${params.toString()}"></div>
      <script src="/static/vendor/cytoscape.min.js"></script><script src="/static/dependency-map.js"></script>`
          : h`<p class="muted">Choose a machine, or a group below, to see its map.</p>`
      }
      <h2>Groups</h2>
      <p class="muted">Suggested groups are the connected components of the dependency graph over the range (ports ${settings.ignorePorts.join(', ')} left out, at least ${settings.minPolls} polls). Save one with <code>collector groups save NAME --machines a,b</code>; assess it with <code>collector assess --group NAME</code>.</p>
      ${table(
        ['Group', 'Kind', 'Machines'],
        [...saved.map((g) => groupRow(g.name, g.machines, true)), ...suggestion.groups.map((g) => groupRow(g.name, g.machines, false))],
        'groups',
      )}`,
      ),
    );
  });
}
