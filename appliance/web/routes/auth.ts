import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { h, page } from '../html.js';
import { passwordProblem } from '../passwords.js';
import { clearCookie, form, parseCookies, PRELOGIN_COOKIE, query, safeNext, SESSION_COOKIE, setCookie } from '../request.js';
import { tokensEqual } from '../sessions.js';

// Before there is a session, forms are protected by a double-submit token: a random cookie echoed
// in a hidden field (another site can neither read the cookie nor set it, SameSite=Strict + __Host-).
function preloginToken(reply: FastifyReply): string {
  const token = randomBytes(24).toString('base64url');
  setCookie(reply, PRELOGIN_COOKIE, token, 3600);
  return token;
}
function preloginOk(req: FastifyRequest): boolean {
  return tokensEqual(parseCookies(req.headers.cookie).get(PRELOGIN_COOKIE), form(req)._csrf);
}

function loginPage(token: string, next: string, error?: string) {
  return page(
    { title: 'Sign in', flash: error ? { kind: 'error', text: error } : null },
    h`<form method="post" action="/login" class="card login">
  <input type="hidden" name="_csrf" value="${token}"><input type="hidden" name="next" value="${next}">
  <label for="user">User</label><input id="user" name="user" type="text" value="admin" autocomplete="username" required>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
  <p><button type="submit">Sign in</button></p></form>`,
  );
}

function setupPage(token: string, error?: string) {
  return page(
    { title: 'Set the admin password', flash: error ? { kind: 'error', text: error } : null },
    h`<form method="post" action="/setup" class="card login">
  <p>This appliance has no admin password yet. Enter the one-time setup code from the service log (or the file <code>setup-code</code> in the data directory), then choose the password.</p>
  <input type="hidden" name="_csrf" value="${token}">
  <label for="code">Setup code</label><input id="code" name="code" type="text" autocomplete="off" required>
  <label for="password">New password</label><input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required>
  <p class="hint">At least 12 characters.</p>
  <label for="confirm">Repeat the password</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required>
  <p><button type="submit">Set password and sign in</button></p></form>`,
  );
}

export function registerAuthRoutes(app: FastifyInstance, ctx: WebContext): void {
  const startSession = async (reply: FastifyReply, user: string) => {
    const { id } = await ctx.sessions.create(user);
    setCookie(reply, SESSION_COOKIE, id, ctx.current().web.sessionHours * 3600);
    clearCookie(reply, PRELOGIN_COOKIE);
  };
  const tooMany = (reply: FastifyReply, wait: number, html: string) =>
    reply.code(429).header('retry-after', String(wait)).type('text/html').send(html);

  app.get('/login', async (req, reply) => {
    if (ctx.admin.needsSetup) return reply.redirect('/setup');
    if (req.session) return reply.redirect(safeNext(query(req).next));
    return reply.type('text/html').send(loginPage(preloginToken(reply), safeNext(query(req).next)));
  });

  app.post('/login', async (req, reply) => {
    const f = form(req);
    const next = safeNext(f.next);
    if (!preloginOk(req))
      return reply
        .code(403)
        .type('text/html')
        .send(loginPage(preloginToken(reply), next, 'The sign-in form expired. Please try again.'));
    const address = req.ip;
    // Reserved before the slow check: 20 parallel guesses must not all be checked.
    const wait = ctx.limiter.reserve(address);
    if (wait > 0)
      return tooMany(
        reply,
        wait,
        loginPage(preloginToken(reply), next, `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`),
      );
    if (!(await ctx.admin.verify(f.user ?? '', f.password ?? ''))) {
      ctx.log.warn({ address }, 'web app: failed sign-in');
      return reply
        .code(401)
        .type('text/html')
        .send(loginPage(preloginToken(reply), next, 'Wrong user name or password.'));
    }
    ctx.limiter.succeeded(address);
    await startSession(reply, ctx.admin.user);
    ctx.log.info({ address }, 'web app: admin signed in');
    return reply.redirect(next, 303);
  });

  app.get('/setup', async (_req, reply) => {
    if (!ctx.admin.needsSetup) return reply.redirect('/login');
    return reply.type('text/html').send(setupPage(preloginToken(reply)));
  });

  app.post('/setup', async (req, reply) => {
    if (!ctx.admin.needsSetup) return reply.redirect('/login', 303);
    const f = form(req);
    if (!preloginOk(req))
      return reply
        .code(403)
        .type('text/html')
        .send(setupPage(preloginToken(reply), 'The form expired. Please try again.'));
    const wait = ctx.limiter.reserve(req.ip);
    if (wait > 0)
      return tooMany(
        reply,
        wait,
        setupPage(preloginToken(reply), `Too many wrong setup codes. Try again in ${Math.ceil(wait / 60)} minute(s).`),
      );
    if (!ctx.admin.checkSetupCode(f.code ?? '')) {
      return reply
        .code(401)
        .type('text/html')
        .send(
          setupPage(
            preloginToken(reply),
            'That setup code is not right. It is printed in the service log and stored in the data directory (setup-code).',
          ),
        );
    }
    ctx.limiter.succeeded(req.ip); // the code was right: a weak password choice is no guess
    const password = f.password ?? '';
    const problem = passwordProblem(password) ?? (f.password !== f.confirm ? 'The two passwords differ.' : null);
    if (problem)
      return reply
        .code(400)
        .type('text/html')
        .send(setupPage(preloginToken(reply), problem));
    await ctx.admin.setPassword(password);
    await startSession(reply, ctx.admin.user);
    ctx.log.info('web app: admin password set');
    return reply.redirect('/sources', 303);
  });

  app.post('/logout', async (req, reply) => {
    await ctx.sessions.destroy(req.sessionId ?? undefined);
    clearCookie(reply, SESSION_COOKIE);
    return reply.redirect('/login', 303);
  });
}
