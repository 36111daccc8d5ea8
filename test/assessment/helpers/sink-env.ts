// What the sink tests share: Redis DB 9 with one unique prefix per config (removed afterwards), a
// config whose sink talks to the lab's Entra ID over the lab's CA, and polling until a condition holds.
// Test-only.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseConfig, type CollectorConfig } from '../../../config/load.js';
import { createRedis } from '../../../queue/redis.js';
import { redisSettings } from '../../helpers/redis-settings.js';
import type { TestPki, TokenServer } from './azure-lab.js';

export const SINK_REDIS_URL = 'redis://127.0.0.1:6379/9';
export const TENANT = 'contoso-0000';
export const CLIENT = 'appliance-app-id';

export class SinkEnv {
  readonly secret = `s3cret-${randomUUID()}`;
  readonly #prefixes: string[] = [];
  readonly #clients: Redis[] = [];
  pki!: TestPki;
  tokens!: TokenServer;

  /** `secretEnv` names the environment variable the config reads the client secret from. */
  constructor(
    private readonly tag: string,
    private readonly secretEnv: string,
  ) {
    process.env[secretEnv] = this.secret;
  }

  /** A full config on a fresh Redis prefix; `sink` adds destinations and overrides. */
  config(sink: Record<string, unknown>, authorityHost = this.tokens.url): CollectorConfig {
    const prefix = `test-${this.tag}-${randomUUID().slice(0, 8)}`;
    this.#prefixes.push(prefix);
    return parseConfig({
      redis: { url: SINK_REDIS_URL, prefix },
      sink: {
        enabled: true,
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecret: { env: this.secretEnv },
        authorityHost,
        instanceDiscovery: false,
        retry: { attempts: 200, baseDelaySec: 0.1, maxDelaySec: 1 },
        tls: { caFile: this.pki.caFile },
        ...sink,
      },
    });
  }

  redis(): Redis {
    const r = createRedis(redisSettings(SINK_REDIS_URL, 'x'), { forWorker: true });
    this.#clients.push(r);
    return r;
  }

  async cleanup(): Promise<void> {
    const r = this.redis();
    for (const p of this.#prefixes) {
      const keys = await r.keys(`${p}:*`);
      if (keys.length) await r.del(...keys);
    }
    for (const c of this.#clients) c.disconnect();
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  detail = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail() ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
