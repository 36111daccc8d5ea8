import type { FastifyInstance } from 'fastify';
import { toAzureMigrateCsv } from '../../../assessment/csv.js';
import { AssessmentView } from '../assessment-view.js';
import type { WebContext } from '../context.js';
import { h, page, table } from '../html.js';
import { csrfOf, query } from '../request.js';

const CATEGORIES = ['Ready', 'Conditionally ready', 'Not ready', 'Readiness unknown'] as const;

export function registerAssessmentRoutes(app: FastifyInstance, ctx: WebContext): void {
  const view = new AssessmentView(ctx.redis, ctx.prefix, ctx.inventory);
  const stamp = () => new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');

  app.get('/assessment', async (req, reply) => {
    const a = await view.current(ctx.current());
    const stars = [1, 2, 3, 4, 5].map((n) => a.machines.filter((m) => m.confidenceStars === n).length);
    const noStars = a.machines.filter((m) => m.confidenceStars === null).length;
    const money = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)} ${a.catalog.currency}`);
    const csv = toAzureMigrateCsv(a.machines);
    const rows = a.machines
      .slice(0, 2000)
      .map((m) => [
        h`<a href="/machines/${encodeURIComponent(m.id)}">${m.name}</a>`,
        m.readiness.category,
        m.readiness.reasons.map((r) => r.message).join(' '),
        m.confidenceStars === null ? '—' : '★'.repeat(m.confidenceStars) + '☆'.repeat(5 - m.confidenceStars),
        `${m.dataPointsPercent.toFixed(1)} %`,
        m.sizing.vmSize ?? m.sizing.reasons[0] ?? m.sizing.status,
        m.sizing.disks.map((d) => d.tier ?? d.problem ?? '?').join(', '),
        money(m.sizing.monthlyCost.total),
      ]);
    return reply.type('text/html').send(
      page(
        { title: 'Assessment', nav: 'assessment', csrf: csrfOf(req) },
        h`
      <p class="muted">${a.properties.display.sizingCriterion} · ${a.properties.display.percentile} · history ${a.properties.display.history} · comfort factor ${a.properties.display.comfortFactor} · ${a.properties.display.targetRegion} · storage ${a.properties.display.storageType} · as of ${a.asOf}</p>
      <p><a class="button" id="download-json" href="/assessment/download.json">Download JSON</a>
         ${csv.files.map((f) => h`<a class="button secondary download-csv" href="/assessment/download.csv${csv.files.length > 1 ? `?part=${f.part}` : ''}">Azure Migrate CSV${csv.files.length > 1 ? ` (part ${f.part})` : ''}</a> `)}</p>
      ${csv.warnings.map((w) => h`<p class="flash error">${w}</p>`)}
      <h2>Readiness</h2><div class="cards">${CATEGORIES.map((c) => h`<div class="card"><div class="big">${a.summary.readiness[c] ?? 0}</div>${c}</div>`)}</div>
      <h2>Confidence</h2><div class="cards">${stars.map((n, i) => h`<div class="card"><div class="big">${n}</div>${'★'.repeat(i + 1)}</div>`)}${noStars ? h`<div class="card"><div class="big">${noStars}</div>no rating (as on-premises)</div>` : ''}</div>
      <h2>Sizing</h2><div class="cards"><div class="card"><div class="big" id="sized">${a.summary.sized}</div>of ${a.summary.machines} machines sized</div>
        <div class="card"><div class="big">${money(a.summary.monthlyCost.compute)}</div>compute per month</div>
        <div class="card"><div class="big">${money(a.summary.monthlyCost.storage)}</div>storage per month</div></div>
      <h2>Machines</h2>${table(['Machine', 'Readiness', 'Why', 'Confidence', 'Data points', 'Recommended size', 'Disks', 'Monthly cost'], rows, 'assessment')}
      <p class="hint">Catalogue: VM sizes ${a.catalog.vmSizes.date} (${a.catalog.vmSizes.source}), disk tiers ${a.catalog.diskTiers.date} (${a.catalog.region}).</p>`,
      ),
    );
  });

  app.get('/assessment/download.json', async (_req, reply) => {
    const a = await view.current(ctx.current());
    return reply
      .type('application/json')
      .header('content-disposition', `attachment; filename="assessment-${stamp()}.json"`)
      .send(JSON.stringify(a, null, 2));
  });

  app.get('/assessment/download.csv', async (req, reply) => {
    const a = await view.current(ctx.current());
    const csv = toAzureMigrateCsv(a.machines);
    const part = Math.max(1, Number(query(req).part ?? 1) || 1);
    const file = csv.files.find((f) => f.part === part);
    if (!file) return reply.code(404).send('no such part');
    const name = csv.files.length > 1 ? `azure-migrate-${stamp()}-part${part}.csv` : `azure-migrate-${stamp()}.csv`;
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(file.text);
  });
}
