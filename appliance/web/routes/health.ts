import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { formatAge, h, page, table } from '../html.js';
import { csrfOf } from '../request.js';
import { sampleHealthHtml } from '../sample-health.js';
import { GuestAccessStore } from '../../../queue/guest-access-store.js';
import { guestAccessTable } from '../guest-access-view.js';
import { queueStatuses, sourceStatuses, type StatusSources } from '../status.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: WebContext, status: StatusSources): void {
  app.get('/health', async (req, reply) => {
    const now = Date.now();
    const sources = await sourceStatuses(status, now);
    const queues = await queueStatuses(status.queues(), now);
    const backlog = (await status.uploadBacklog?.()) ?? null;
    const samples = await sampleHealthHtml(status, now);
    // The same view as `collector status`: pending work, the last import job and its result, the last ingestion batch.
    const sink = ctx.current().sink;
    const azure = sink.enabled
      ? await import('../../../assessment/sink/status-format.js')
          .then((m) => m.sinkStatusText(ctx.redis, ctx.prefix, sink))
          .catch((err: Error) => `Azure status unavailable: ${err.message}`)
      : null;
    let redisInfo = '';
    try {
      const info = await ctx.redis.info('memory');
      redisInfo = /used_memory_human:(\S+)/.exec(info)?.[1] ?? '';
    } catch (err) {
      redisInfo = `unreachable (${(err as Error).message})`;
    }
    const srcRows = sources.map((s) => [
      h`<strong>${s.name}</strong>`,
      s.kind === 'vcenter' ? 'vCenter' : 'Hyper-V',
      s.enabled
        ? s.lastError && (s.lastSuccessAt === null || (s.lastPollAt ?? 0) > s.lastSuccessAt)
          ? h`<span class="bad">failing</span>`
          : s.lastSuccessAt
            ? h`<span class="ok">polling</span>`
            : h`<span class="warn">waiting</span>`
        : 'disabled',
      s.machines ?? '—',
      s.discoveredAt ? formatAge(Date.parse(s.discoveredAt), now) : 'never',
      formatAge(s.lastSuccessAt, now),
      s.pollLagSec === null ? '—' : `${s.pollLagSec} s`,
      h`<span class="num">${s.polls}</span>`,
      h`<span class="num">${s.samples}</span>`,
      h`<span class="num">${s.errors}</span>`,
      s.lastError ?? '',
    ]);
    const guests = await new GuestAccessStore(ctx.redis, ctx.prefix).list();
    const qRows = queues.map((q) => [q.name, q.waiting, q.active, q.delayed, q.failed, q.lagSec === null ? '—' : `${q.lagSec} s`]);
    return reply.type('text/html').send(
      page(
        { title: 'Health', nav: 'health', csrf: csrfOf(req) },
        h`
      <h2>Sources</h2>${table(['Source', 'Kind', 'State', 'Machines', 'Inventory', 'Last successful poll', 'Poll lag', 'Polls', 'Samples', 'Errors', 'Last error'], srcRows, 'sources-health')}
      <h2>Queues</h2>${table(['Queue', 'Waiting', 'Active', 'Delayed', 'Failed', 'Oldest waiting'], qRows)}
      <p>Details and retries: <a href="/queues">queue dashboard</a>.</p>
      ${samples}
      <h2>Guest access</h2>${guests.length ? guestAccessTable(guests) : h`<p class="muted">No guest has been tried yet (guestCredentials, dependencies.enabled, software.enabled).</p>`}
      <h2>Upload to Azure</h2><p>${backlog === null ? 'No Azure sink configured in this process.' : `${backlog} item(s) waiting to be sent.`}</p>${azure ? h`<pre class="azure-status">${azure}</pre>` : ''}
      <h2>Redis</h2><p>Memory used: ${redisInfo}</p>
      <p class="muted">Probes: <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></p>`,
      ),
    );
  });
}
