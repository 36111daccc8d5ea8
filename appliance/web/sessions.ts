import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyOf } from '../../queue/redis.js';

export interface Session {
  user: string;
  /** Per-session CSRF token every state-changing form and request must echo. */
  csrf: string;
  createdAt: number;
}

/**
 * Sessions live in Redis (they survive a service restart) under the SHA-256 of the cookie value,
 * so a Redis dump does not hand out live sessions. Expiry is Redis's TTL.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSec: number,
  ) {}

  #key(id: string): string {
    return keyOf(this.prefix, 'web', 'session', createHash('sha256').update(id).digest('hex'));
  }

  async create(user: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { user, csrf: randomBytes(24).toString('base64url'), createdAt: Date.now() };
    await this.redis.set(this.#key(id), JSON.stringify(session), 'EX', Math.ceil(this.ttlSec));
    return { id, session };
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const raw = await this.redis.get(this.#key(id));
    return raw ? (JSON.parse(raw) as Session) : null;
  }

  async destroy(id: string | undefined): Promise<void> {
    if (id) await this.redis.del(this.#key(id));
  }
}

export function tokensEqual(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
