import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';

/**
 * BullMQ's dashboard (bull-board) under /queues, behind the same login: the onRequest hook in
 * server.ts refuses it without a session and refuses cross-site writes. The queue list is read on each
 * request through a proxy so queues created after start (or by a restarted role) appear.
 */
export async function registerQueueBoard(app: FastifyInstance, ctx: WebContext): Promise<void> {
  const { createBullBoard } = await import('@bull-board/api');
  const { BullMQAdapter } = await import('@bull-board/api/bullMQAdapter');
  const { FastifyAdapter } = await import('@bull-board/fastify');
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/queues');
  const board = createBullBoard({
    queues: (ctx.queues?.() ?? []).map((q) => new BullMQAdapter(q)),
    serverAdapter: serverAdapter as never,
    options: { uiConfig: { boardTitle: 'assessment-collector' } },
  });
  let known = new Set((ctx.queues?.() ?? []).map((q) => q.name));
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/queues') || !ctx.queues) return;
    const now = ctx.queues();
    const names = new Set(now.map((q) => q.name));
    if (names.size === known.size && [...names].every((n) => known.has(n))) return;
    board.replaceQueues(now.map((q) => new BullMQAdapter(q)));
    known = names;
  });
  await app.register(serverAdapter.registerPlugin() as never, { prefix: '/queues' });
}
