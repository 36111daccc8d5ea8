// SessionManager state: users given at start, sessions keyed by the vmware_soap_session cookie, and
// vCenter's idle timeout (30 minutes by default; a session unused that long is gone).
import { randomBytes, randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { Secret } from '../../common/secret-value.js';
import type { LabSession } from './properties.js';

export interface LabUser {
  username: string;
  password: string | Secret;
}

export const SESSION_COOKIE = 'vmware_soap_session';

const digest = (s: string) => createHash('sha256').update(s).digest();

export class SessionStore {
  readonly #byCookie = new Map<string, LabSession & { cookie: string }>();
  readonly #users = new Map<string, Buffer>();

  constructor(
    users: LabUser[],
    private readonly idleMs: number,
    private readonly now: () => number,
  ) {
    for (const u of users)
      this.#users.set(u.username.toLowerCase(), digest(typeof u.password === 'string' ? u.password : u.password.reveal()));
  }

  /** Checks the password (compared as digests, in constant time); returns the new session and its cookie. */
  login(username: string, password: string, ipAddress: string, userAgent: string): { session: LabSession; cookie: string } | null {
    const expected = this.#users.get(username.toLowerCase());
    if (!expected || !timingSafeEqual(expected, digest(password))) return null;
    const cookie = randomBytes(20).toString('hex');
    const t = this.now();
    const session = {
      key: `52${randomUUID().slice(2)}`,
      userName: username,
      loginTime: t,
      lastActiveTime: t,
      ipAddress,
      userAgent,
      callCount: 0,
      cookie,
    };
    this.#byCookie.set(cookie, session);
    return { session, cookie };
  }

  /** The live session behind a Cookie header, or null (unknown, logged out or idle too long). */
  fromCookieHeader(header: string | undefined): (LabSession & { cookie: string }) | null {
    const m = header ? /vmware_soap_session="?([^";\s]+)"?/.exec(header) : null;
    const cookie = m?.[1];
    if (!cookie) return null;
    const s = this.#byCookie.get(cookie);
    if (!s) return null;
    if (this.now() - s.lastActiveTime > this.idleMs) {
      this.#byCookie.delete(cookie);
      return null;
    }
    return s;
  }

  touch(s: LabSession): void {
    s.lastActiveTime = this.now();
    s.callCount++;
  }

  logout(cookie: string): void {
    this.#byCookie.delete(cookie);
  }

  /** TerminateSession by UserSession.key; returns the keys that did not exist. */
  terminate(keys: string[]): string[] {
    const missing: string[] = [];
    for (const k of keys) {
      const entry = [...this.#byCookie.entries()].find(([, s]) => s.key === k);
      if (entry) this.#byCookie.delete(entry[0]);
      else missing.push(k);
    }
    return missing;
  }

  /** Drops every session, as a vCenter restart or an administrator would. */
  terminateAll(): number {
    const n = this.#byCookie.size;
    this.#byCookie.clear();
    return n;
  }

  list(): LabSession[] {
    const t = this.now();
    return [...this.#byCookie.values()].filter((s) => t - s.lastActiveTime <= this.idleMs);
  }

  isActive(key: string, userName: string): boolean {
    return this.list().some((s) => s.key === key && s.userName.toLowerCase() === userName.toLowerCase());
  }
}
