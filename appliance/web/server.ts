import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errorMessage, UserError } from '../../common/errors.js';
import { redactText } from '../../common/log.js';
import { redactPayload } from '../../common/redact.js';
import { resolveSecret } from '../../config/secret-refs.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { ConfigStore } from '../config-store.js';
import { AdminAccount } from './admin-account.js';
import { ensureCertificate } from './certificate.js';
import type { WebAppOptions, WebContext } from './context.js';
import { escapeHtml, page, raw, STYLESHEET } from './html.js';
import { LoginLimiter } from './login-limiter.js';
import { cacheControlFor, securityHeaders, stripExternalLinks } from './security-headers.js';
import { createMetrics, type MetricsRegistry } from './metrics.js';
import { parseCookies, pathOf, SESSION_COOKIE } from './request.js';
import { SessionStore, tokensEqual } from './sessions.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerSourceRoutes } from './routes/sources.js';
import { registerDiscoveryRoutes } from './routes/discovery.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerQueueBoard } from './routes/queues.js';
import { registerAssessmentRoutes } from './routes/assessment.js';
import { registerDependencyRoutes } from './routes/dependencies.js';

export interface WebApp {
  url: string;
  port: number;
  thumbprint: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Paths served without a session: the login flow, probes, metrics (own token) and the stylesheet. */
const PUBLIC = [/^\/login$/, /^\/setup$/, /^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/static\//, /^\/favicon\.ico$/];

export async function startWebApp(opts: WebAppOptions): Promise<WebApp> {
  const web = opts.config.web;
  let current = opts.config;
  const cert = await ensureCertificate({ dataDir: opts.dataDir, certFile: web.certFile, keyFile: web.keyFile });
  const prefix = opts.config.redis.prefix;
  const inventory = new InventoryStore(opts.redis, prefix);
  const statusSources = {
    config: () => current,
    inventory,
    queues: () => opts.queues?.() ?? [],
    pollCounters: opts.pollCounters,
    uploadBacklog: opts.uploadBacklog,
    redis: opts.redis,
    producerStats: opts.producerStats,
  };
  const ctx: WebContext = {
    ...opts,
    current: () => current,
    setCurrent: (c) => (current = c),
    configStore: new ConfigStore(opts.configFile),
    inventory,
    sessions: new SessionStore(opts.redis, prefix, web.sessionHours * 3600),
    admin: await AdminAccount.open(opts.dataDir, web.adminPassword, opts.log),
    limiter: new LoginLimiter(),
    metrics: createMetrics(statusSources) as MetricsRegistry,
    prefix,
  };

  const app = Fastify({ https: { key: cert.key, cert: cert.cert }, logger: false, bodyLimit: 256 * 1024, trustProxy: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.decorateRequest('session', null);
  app.decorateRequest('sessionId', null);

  app.addHook('onRequest', async (req, reply) => {
    const path = pathOf(req.url);
    reply.headers(securityHeaders(path));
    const id = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    req.session = await ctx.sessions.get(id);
    req.sessionId = req.session && id ? id : null;
    if (PUBLIC.some((re) => re.test(path))) return;
    if (!req.session) {
      if (req.method === 'GET' && !path.startsWith('/queues/api') && path !== '/dependencies/graph.json')
        return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`);
      return reply.code(401).send({ error: 'not signed in' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!sameOrigin(req)) return reply.code(403).type('text/plain').send('Cross-site request refused.');
    }
  });
  // Last stop for every response: no caching (static files set their own header first), no external
  // assets on the queue board, and the one redaction step over every text body.
  app.addHook('onSend', async (req, reply, payload) => {
    const [path = ''] = req.url.split('?'); // split always yields at least one part
    const cache = cacheControlFor(path);
    if (cache) reply.header('cache-control', cache);
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    let text = redactPayload(payload);
    if (path.startsWith('/queues') && String(reply.getHeader('content-type') ?? '').startsWith('text/html'))
      text = stripExternalLinks(String(text));
    return text;
  });
  // CSRF: every state-changing form of our own pages echoes the session token (bull-board's API, which
  // cannot, is covered by the same-origin check above and the SameSite=Strict session cookie).
  app.addHook('preHandler', async (req, reply) => {
    const path = pathOf(req.url);
    if (req.method === 'GET' || req.method === 'HEAD' || PUBLIC.some((re) => re.test(path)) || path.startsWith('/queues')) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body._csrf === 'string' ? body._csrf : (req.headers['x-csrf-token'] as string | undefined);
    if (!req.session || !tokensEqual(token, req.session.csrf)) {
      return reply
        .code(403)
        .type('text/html')
        .send(
          page(
            { title: 'Request refused' },
            raw(
              '<p>The form was out of date or came from another site (CSRF check). <a href="/discovery">Reload the app</a> and try again.</p>',
            ),
          ),
        );
    }
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    const user = err instanceof UserError;
    const status = user ? 400 : ((err as { statusCode?: number }).statusCode ?? 500);
    if (!user && status >= 500) opts.log.error({ err: redactText(errorMessage(err)), url: req.url }, 'web app: request failed');
    const text = user
      ? `${err.message}${err.fix ? `\nFix: ${err.fix}` : ''}`
      : status >= 500
        ? 'Something went wrong on the appliance; the service log has the details.'
        : errorMessage(err);
    if (wantsJson(req)) return reply.code(status).send({ error: redactText(text) });
    return reply
      .code(status)
      .type('text/html')
      .send(
        page(
          { title: 'Error', nav: req.session ? '' : null, csrf: req.session?.csrf },
          raw(`<p class="flash error">${escapeHtml(redactText(text))}</p>`),
        ),
      );
  });

  app.get('/static/app.css', async (_req, reply) => reply.type('text/css').header('cache-control', 'max-age=3600').send(STYLESHEET));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/', async (_req, reply) => reply.redirect('/discovery'));

  registerOpsRoutes(app, ctx, () => (web.metricsToken ? resolveSecret(web.metricsToken, 'web.metricsToken').reveal() : null));
  registerAuthRoutes(app, ctx);
  registerSourceRoutes(app, ctx);
  registerDiscoveryRoutes(app, ctx);
  registerAssessmentRoutes(app, ctx);
  registerDependencyRoutes(app, ctx);
  registerHealthRoutes(app, ctx, statusSources);
  await registerQueueBoard(app, ctx);

  const host = opts.listen?.host ?? web.host;
  const port = opts.listen?.port ?? web.port;
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') {
      throw new UserError(
        `the web app cannot listen on ${host}:${port} (${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the port is in use' : 'no such local address'}).`,
        {
          fix: 'Stop what uses the port, or choose another: web.port in the config (collector lab up: --port), or web.host for the address.',
          code: 'WEB_LISTEN',
        },
      );
    }
    throw err;
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { url: `https://${shownHost}:${bound}`, port: bound, thumbprint: cert.thumbprint, app, close: () => app.close() };
}

function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (!origin) return true; // non-browser clients; the CSRF token still applies to forms
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function wantsJson(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('application/json') && !(req.headers.accept ?? '').includes('text/html');
}

export type { FastifyReply };
