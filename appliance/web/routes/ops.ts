import type { FastifyInstance } from 'fastify';
import { tokensEqual } from '../sessions.js';
import type { WebContext } from '../context.js';
import { sourceStatuses } from '../status.js';

/**
 * Probes and metrics, without a session. /healthz: the process serves requests. /readyz: Redis answers
 * and every enabled source has an inventory without errors (which checks failed: only with a session or
 * the metrics token). /metrics: Prometheus text, behind a bearer
 * token when web.metricsToken is set.
 */
export function registerOpsRoutes(app: FastifyInstance, ctx: WebContext, metricsToken: () => string | null): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // A bearer token that matches web.metricsToken, like /metrics asks for.
  const hasToken = (auth: string | undefined): boolean => {
    const token = metricsToken();
    return token !== null && /^Bearer\s+/i.test(auth ?? '') && tokensEqual((auth ?? '').replace(/^Bearer\s+/i, ''), token);
  };

  app.get('/readyz', async (req, reply) => {
    const checks: Record<string, { ok: boolean; detail: string }> = {};
    try {
      const pong = await Promise.race([
        ctx.redis.ping(),
        new Promise<string>((_, rej) => setTimeout(() => rej(new Error('no answer within 3 s')), 3000).unref()),
      ]);
      checks.redis = { ok: pong === 'PONG', detail: pong === 'PONG' ? 'answers' : String(pong) };
    } catch (err) {
      checks.redis = { ok: false, detail: `unreachable: ${(err as Error).message}` };
    }
    if (checks.redis.ok) {
      for (const s of await sourceStatuses({
        config: ctx.current,
        inventory: ctx.inventory,
        queues: () => [],
        pollCounters: ctx.pollCounters,
      })) {
        if (!s.enabled) continue;
        const ok = s.discoveredAt !== null && !(s.lastError && (s.lastSuccessAt === null || (s.lastPollAt ?? 0) > s.lastSuccessAt));
        checks[`source:${s.name}`] = {
          ok,
          detail: s.discoveredAt === null ? 'not discovered yet' : ok ? `${s.machines ?? 0} machines` : (s.lastError ?? 'failing'),
        };
      }
    }
    const ready = Object.values(checks).every((c) => c.ok);
    const status = ready ? 'ready' : 'not ready';
    // Anonymous probes get the word only: the details name internal endpoints, paths and errors.
    const detailed = req.session !== null || hasToken(req.headers.authorization);
    return reply.code(ready ? 200 : 503).send(detailed ? { status, checks } : { status });
  });

  app.get('/metrics', async (req, reply) => {
    const token = metricsToken();
    if (token !== null) {
      const auth = req.headers.authorization ?? '';
      if (!tokensEqual(auth.replace(/^Bearer\s+/i, ''), token) || !/^Bearer\s+/i.test(auth)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send('bearer token required\n');
      }
    }
    await ctx.metrics.refresh();
    return reply.type(ctx.metrics.contentType).send(await ctx.metrics.metrics());
  });
}
