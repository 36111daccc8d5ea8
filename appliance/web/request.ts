import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from './sessions.js';

export const SESSION_COOKIE = '__Host-collector_session';
export const PRELOGIN_COOKIE = '__Host-collector_prelogin';

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
  }
  return out;
}

/** __Host- cookies: Secure, Path=/, no Domain; HttpOnly and SameSite=Strict keep them from scripts and other sites. */
export function setCookie(reply: FastifyReply, name: string, value: string, maxAgeSec?: number): void {
  const attrs = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict'];
  if (maxAgeSec !== undefined) attrs.push(`Max-Age=${Math.floor(maxAgeSec)}`);
  const prev = reply.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)];
  reply.header('set-cookie', [...list, attrs.join('; ')]);
}

export function clearCookie(reply: FastifyReply, name: string): void {
  setCookie(reply, name, '', 0);
}

declare module 'fastify' {
  interface FastifyRequest {
    session: Session | null;
    sessionId: string | null;
  }
}

/** The session's CSRF token; the onRequest hook sends any request without a session away first. */
export function csrfOf(req: FastifyRequest): string {
  if (!req.session) throw new Error(`${req.method} ${pathOf(req.url)} reached a page handler without a session`);
  return req.session.csrf;
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The form body (urlencoded) as a plain record; repeated fields keep the last value. */
export function form(req: FastifyRequest): Record<string, string> {
  const body = req.body;
  if (body && typeof body === 'object') return body as Record<string, string>;
  return {};
}

export function query(req: FastifyRequest): Record<string, string> {
  return (req.query ?? {}) as Record<string, string>;
}

/** Only same-site relative paths are followed after login (no open redirect). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\w\-./?=&%:+]*$/.test(next) ? next : '/discovery';
}
