import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { h, page } from '../html.js';

export function registerAssessmentRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get('/assessment', async (req, reply) => {
    const machines = await ctx.inventory.machines();
    return reply.type('text/html').send(page({ title: 'Assessment', nav: 'assessment', csrf: req.session!.csrf }, h`<p>${machines.length} machines discovered.</p>`));
  });
}
