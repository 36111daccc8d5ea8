import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { metricScope, type Machine, type MetricName } from '../../../model/index.js';
import { assessReadiness, type ReadinessCategory } from '../../../assessment/readiness.js';
import { computePercentiles, type MachineReport } from '../../../rollup/percentile-report.js';
import { readPoints } from '../../../rollup/point-store.js';
import { requiredSeries } from '../../../rollup/series.js';
import { historyRange, type History } from '../../../rollup/window.js';
import { renderChart } from '../chart.js';
import { SoftwareStore } from '../../../queue/software-store.js';
import { GuestAccessStore } from '../../../queue/guest-access-store.js';
import { guestAccessText } from '../guest-access-view.js';
import type { WebContext } from '../context.js';
import { formatBytes, h, type Html, page, raw, table } from '../html.js';
import { csrfOf, query } from '../request.js';

const POWER: Record<string, string> = { poweredOn: 'On', poweredOff: 'Off', suspended: 'Suspended' };
const READINESS: ReadinessCategory[] = ['Ready', 'Conditionally ready', 'Not ready', 'Readiness unknown'];

/** Readiness on allocated size: cheap, needs no history; the Assessment page gives the sized verdict. */
export function quickReadiness(m: Machine): ReadinessCategory {
  return assessReadiness(m, { cores: m.cpuCores, memoryGB: m.memoryMB / 1024, basis: 'allocated' }).category;
}

function matches(m: Machine, q: string): boolean {
  if (!q) return true;
  const hay = [m.name, m.host, m.cluster, m.os.name, m.fqdn, ...m.ipAddresses, ...m.nics.map((n) => n.mac)]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

function countBy<T>(list: T[], key: (x: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of list) out.set(key(x), (out.get(key(x)) ?? 0) + 1);
  return out;
}

const UNITS: Record<MetricName, { label: string; unit: string }> = {
  'cpu.usage.percent': { label: 'CPU usage', unit: '%' },
  'memory.usage.percent': { label: 'Memory usage', unit: '%' },
  'disk.read.bytesPerSec': { label: 'Disk read throughput', unit: 'B/s' },
  'disk.write.bytesPerSec': { label: 'Disk write throughput', unit: 'B/s' },
  'disk.read.opsPerSec': { label: 'Disk read IOPS', unit: 'IOPS' },
  'disk.write.opsPerSec': { label: 'Disk write IOPS', unit: 'IOPS' },
  'net.received.bytesPerSec': { label: 'Network received', unit: 'B/s' },
  'net.transmitted.bytesPerSec': { label: 'Network transmitted', unit: 'B/s' },
};

type MachineRequest = FastifyRequest<{ Params: { id: string } }>;
/** A table's rows, as html.ts's table() takes them. */
type Rows = Parameters<typeof table>[1];

/** Routes are registered here; each page and page section is built by its own function below. */
export function registerDiscoveryRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/discovery', (req, reply) => discoveryPage(ctx, req, reply));
  app.get<{ Params: { id: string } }>('/machines/:id', (req, reply) => machinePage(ctx, req, reply));
}

/** A filter drop-down; the empty value means "no filter". */
function select(name: string, value: string, options: Array<[string, string]>): Html {
  return h`<select name="${name}" id="f-${name}"><option value="">All</option>${options.map(([v, l]) => h`<option value="${v}"${raw(v === value ? ' selected' : '')}>${l}</option>`)}</select>`;
}

function machineRow(m: Machine, readiness: ReadinessCategory): Rows[number] {
  return [
    h`<a href="/machines/${encodeURIComponent(m.id)}">${m.name}</a>`,
    m.source,
    POWER[m.powerState] ?? m.powerState,
    m.os.name ?? 'unknown',
    h`<span class="num">${m.cpuCores}</span>`,
    h`<span class="num">${(m.memoryMB / 1024).toFixed(m.memoryMB % 1024 ? 1 : 0)} GiB</span>`,
    h`<span class="num">${formatBytes(m.disks.reduce((n, d) => n + d.capacityBytes, 0))}</span>`,
    m.host ?? '',
    readiness,
  ];
}

/** The Discovery list: summary cards, filters, and the (capped) machine table. */
async function discoveryPage(ctx: WebContext, req: FastifyRequest, reply: FastifyReply) {
  const q = query(req);
  const all = await ctx.inventory.machines();
  const readiness = new Map(all.map((m) => [m.id, quickReadiness(m)]));
  const readinessOf = (m: Machine) => readiness.get(m.id) ?? quickReadiness(m);
  const shown = all.filter(
    (m) =>
      matches(m, q.q ?? '') &&
      (!q.source || m.source === q.source) &&
      (!q.power || m.powerState === q.power) &&
      (!q.readiness || readiness.get(m.id) === q.readiness),
  );
  const sources = await ctx.inventory.sources();
  const byPower = countBy(all, (m) => m.powerState);
  const byReadiness = countBy(all, readinessOf);
  // Capped so a large estate still renders quickly; the count line tells the user to narrow the search.
  const rows = shown.slice(0, 2000).map((m) => machineRow(m, readinessOf(m)));
  return reply.type('text/html').send(
    page(
      { title: 'Discovery', nav: 'discovery', csrf: csrfOf(req) },
      h`
      <div class="cards">
        <div class="card"><div class="big" id="count-machines">${all.length}</div>machines</div>
        <div class="card"><div class="big">${byPower.get('poweredOn') ?? 0}</div>powered on</div>
        <div class="card"><div class="big">${sources.length}</div>sources discovered</div>
        <div class="card"><div class="big">${byReadiness.get('Ready') ?? 0}</div>ready for Azure</div>
      </div>
      <p class="muted">${sources.map((s) => `${s.name}: ${s.machines} machines${s.templatesSkipped ? ` (${s.templatesSkipped} templates skipped)` : ''}, discovered ${s.discoveredAt}`).join(' · ')}</p>
      <form method="get" action="/discovery" class="filters">
        <div><label for="f-q">Search</label><input type="search" id="f-q" name="q" value="${q.q ?? ''}" placeholder="name, IP, OS, host, MAC"></div>
        <div><label for="f-source">Source</label>${select(
          'source',
          q.source ?? '',
          sources.map((s) => [s.name, s.name]),
        )}</div>
        <div><label for="f-power">Power</label>${select(
          'power',
          q.power ?? '',
          Object.entries(POWER).map(([k, l]) => [k, `${l} (${byPower.get(k) ?? 0})`]),
        )}</div>
        <div><label for="f-readiness">Readiness</label>${select(
          'readiness',
          q.readiness ?? '',
          READINESS.map((r) => [r, `${r} (${byReadiness.get(r) ?? 0})`]),
        )}</div>
        <div><button type="submit">Filter</button></div>
      </form>
      <p id="shown-count">${shown.length} of ${all.length} machines${shown.length > 2000 ? ' (first 2000 shown; narrow the search)' : ''}</p>
      ${table(['Name', 'Source', 'Power', 'Operating system', 'vCPUs', 'Memory', 'Disks', 'Host', 'Readiness (allocated size)'], rows, 'machines')}`,
    ),
  );
}

/** The chart window and the percentile history chosen by ?view=. */
function machineView(ctx: WebContext, view: string) {
  // Charts can zoom to the last 6 hours; percentiles always use an assessment history (1d, 7d, 30d).
  const hist: History =
    (['1d', '7d', '30d'] as const).find((x) => x === view) ?? (view === '6h' ? '1d' : (ctx.current().assessment.history as History));
  const asOf = Date.now();
  const range = historyRange(asOf, hist);
  const chartFrom = view === '6h' ? range.to - 6 * 3_600_000 : range.from;
  return { asOf, hist, range, chartFrom };
}

/** One chart per required series: 10-minute peaks with the report's percentile lines. */
async function performanceCharts(ctx: WebContext, m: Machine, report: MachineReport, from: number, to: number): Promise<Html[]> {
  const charts: Html[] = [];
  for (const s of requiredSeries(m)) {
    const pts = await readPoints(ctx.redis, ctx.prefix, { ...s, from, to });
    const rep = report.series.find((r) => r.metric === s.metric && r.instance === s.instance);
    const scope = metricScope(s.metric);
    const inst =
      scope === 'disk'
        ? (m.disks.find((d) => d.id === s.instance)?.label ?? `disk ${s.instance}`)
        : scope === 'nic'
          ? (m.nics.find((n) => n.id === s.instance)?.label ?? `NIC ${s.instance}`)
          : '';
    charts.push(
      renderChart({
        title: `${UNITS[s.metric].label}${inst ? ` — ${inst}` : ''}`,
        unit: UNITS[s.metric].unit,
        points: pts.map((p) => ({ t: p.windowStart, v: p.peak })),
        from,
        to,
        lines: [
          { label: 'P50', value: rep?.p50 ?? null },
          { label: 'P90', value: rep?.p90 ?? null },
          { label: 'P95', value: rep?.p95 ?? null },
          { label: 'P99', value: rep?.p99 ?? null },
        ],
      }),
    );
  }
  return charts;
}

/** The Inventory table: a missing value shows as "unknown" rather than an empty cell. */
function machineFacts(m: Machine): Rows {
  const fact = (k: string, v: unknown) => [
    k,
    v === null || v === undefined || v === '' ? h`<span class="muted">unknown</span>` : String(v),
  ];
  return [
    fact('Source', m.source),
    fact('Kind', m.kind === 'vmware' ? 'VMware VM' : 'Hyper-V VM'),
    fact('Power state', POWER[m.powerState] ?? m.powerState),
    fact('Operating system', m.os.name),
    fact('vCPUs', m.cpuCores),
    fact('Memory', `${m.memoryMB} MB${m.memory?.dynamic ? ' (dynamic)' : ''}`),
    fact('Firmware', m.firmware.toUpperCase()),
    fact('Host', m.host),
    fact('Cluster', m.cluster),
    fact('Datacenter', m.datacenter),
    fact('IP addresses', m.ipAddresses.join(', ')),
    fact('FQDN', m.fqdn),
    fact('BIOS UUID', m.biosUuid),
    fact('Instance id', m.instanceId),
    fact('Managed object', m.moref),
    fact('Readiness (allocated size)', quickReadiness(m)),
  ];
}

/** The Software section: what was read inside the guest, or why nothing is shown yet. */
async function softwareSection(ctx: WebContext, m: Machine): Promise<Html> {
  const software = await new SoftwareStore(ctx.redis, ctx.prefix).get(m.id);
  if (!software)
    return h`<p class="muted" id="no-software">No software inventory yet: the appliance reads it inside the guest with a guest credential (guestCredentials, software.enabled).</p>`;
  const rows = [
    ...software.applications.map((a) => [a.name, a.version ?? '', a.publisher ?? '', a.source]),
    ...software.features.map((f) => [f.name, '', '', 'windows-feature']),
    ...software.sqlInstances.map((i) => [`SQL Server (${i.name})${i.edition ? ` ${i.edition}` : ''}`, i.version ?? '', '', 'sql-server']),
  ];
  return h`<p class="muted">Read inside the guest at ${software.collectedAt} (${software.os}): ${rows.length} item(s).${software.notes.length ? ` Not read: ${software.notes.join('; ')}.` : ''}</p>${table(['Name', 'Version', 'Publisher', 'Source'], rows, 'software')}`;
}

/** The Guest access section, linking to the machine's dependency map. */
async function guestAccessSection(ctx: WebContext, m: Machine): Promise<Html> {
  const access = await new GuestAccessStore(ctx.redis, ctx.prefix).get(m.id);
  return h`<p id="guest-access">${guestAccessText(access)} · <a href="/dependencies?machine=${encodeURIComponent(m.id)}">dependency map</a></p>`;
}

function percentileTable(report: MachineReport): Html {
  return table(
    ['Series', 'Points', 'P50', 'P90', 'P95', 'P99', 'Max'],
    report.series.map((s) => [
      `${s.metric}${s.instance ? ` [${s.instance}]` : ''}`,
      `${s.points} / ${s.expectedPoints}`,
      ...[s.p50, s.p90, s.p95, s.p99, s.max].map((v) => (v === null ? '—' : v.toFixed(2))),
    ]),
  );
}

/** One machine: inventory, disks, NICs, guest access, software and performance with percentiles. */
async function machinePage(ctx: WebContext, req: MachineRequest, reply: FastifyReply) {
  const m = await ctx.inventory.machine(req.params.id);
  if (!m)
    return reply
      .code(404)
      .type('text/html')
      .send(
        page(
          { title: 'Machine not found', nav: 'discovery', csrf: csrfOf(req) },
          h`<p>It may have been deleted or its source removed. <a href="/discovery">Back to discovery</a></p>`,
        ),
      );
  const view = query(req).view ?? '';
  const { asOf, hist, range, chartFrom } = machineView(ctx, view);
  const report = (await computePercentiles(ctx.redis, ctx.prefix, [m], { asOf, history: hist })).machines[0];
  if (!report) throw new Error(`no percentile report for machine ${m.id}`);
  const charts = await performanceCharts(ctx, m, report, chartFrom, range.to);
  const stars = '★'.repeat(report.confidenceStars) + '☆'.repeat(5 - report.confidenceStars);
  return reply.type('text/html').send(
    page(
      { title: m.name, nav: 'discovery', csrf: csrfOf(req) },
      h`
      <p><a href="/discovery">← Discovery</a></p>
      <div class="cards"><div class="card"><div class="big" id="availability">${report.dataPointsPercent.toFixed(1)} %</div>data points available over ${hist} (${stars} confidence)</div>
      <div class="card"><div class="big">${m.disks.length}</div>disks, ${formatBytes(m.disks.reduce((n, d) => n + d.capacityBytes, 0))}</div>
      <div class="card"><div class="big">${m.nics.length}</div>network adapters</div></div>
      <h2>Inventory</h2>${table(['Property', 'Value'], machineFacts(m), 'facts')}
      <h2>Disks</h2>${table(
        ['Id', 'Label', 'Size', 'Type', 'Backing file'],
        m.disks.map((d) => [d.id, d.label ?? '', formatBytes(d.capacityBytes), d.type ?? '', h`<code>${d.path ?? ''}</code>`]),
      )}
      <h2>Network adapters</h2>${table(
        ['Id', 'Label', 'MAC', 'Network', 'IP addresses'],
        m.nics.map((n) => [n.id, n.label ?? '', h`<code>${n.mac ?? ''}</code>`, n.network ?? '', (n.ipAddresses ?? []).join(', ')]),
      )}
      <h2>Guest access</h2>${await guestAccessSection(ctx, m)}
      <h2>Software</h2>${await softwareSection(ctx, m)}
      <h2>Performance: 10-minute peaks with percentiles</h2>
      <p class="muted">View: ${['6h', '1d', '7d', '30d'].map((x) => (x === (view || hist) ? h`<strong>${x}</strong> ` : h`<a href="?view=${x}">${x}</a> `))}· percentiles over ${hist} (${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}, ${range.expectedPoints} points expected per series)</p>
      ${percentileTable(report)}
      ${charts}`,
    ),
  );
}
