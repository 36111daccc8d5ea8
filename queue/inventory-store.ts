import type { Redis } from 'ioredis';
import type { Machine, SourceSummary } from '../model/index.js';
import { keyOf } from './redis.js';
import { redact } from '../common/redact.js';

/**
 * The latest inventory in Redis, per source: what the scheduler discovered, what rollup,
 * assessment and the web app read. A source's machines are replaced as a whole on each
 * discovery, so a deleted VM disappears from the inventory (its points age out on their own).
 *   <prefix>:inventory:sources            hash  source name -> SourceSummary JSON
 *   <prefix>:inventory:machines:<source>  hash  machine id  -> Machine JSON
 */
export class InventoryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private sourcesKey(): string {
    return keyOf(this.prefix, 'inventory', 'sources');
  }
  private machinesKey(source: string): string {
    return keyOf(this.prefix, 'inventory', 'machines', source);
  }

  async save(source: SourceSummary, machines: Machine[]): Promise<void> {
    const key = this.machinesKey(source.name);
    const tmp = `${key}:tmp:${process.pid}:${Date.now()}`;
    const multi = this.redis.multi();
    multi.del(tmp);
    for (let i = 0; i < machines.length; i += 1000) {
      const chunk = machines.slice(i, i + 1000).flatMap((m) => [m.id, JSON.stringify(m)]);
      multi.hset(tmp, ...chunk);
    }
    // Swap in atomically: readers never see a half-written inventory.
    if (machines.length > 0) multi.rename(tmp, key);
    else multi.del(key);
    // Error text may quote a peer that echoed a password: it is stored redacted.
    multi.hset(this.sourcesKey(), source.name, JSON.stringify({ ...source, errors: source.errors.map(redact) }));
    await multi.exec();
  }

  async sources(): Promise<SourceSummary[]> {
    const all = await this.redis.hgetall(this.sourcesKey());
    return Object.values(all)
      .map((v) => JSON.parse(v) as SourceSummary)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async machines(source?: string): Promise<Machine[]> {
    const names = source ? [source] : (await this.sources()).map((s) => s.name);
    const out: Machine[] = [];
    for (const name of names) {
      const all = await this.redis.hgetall(this.machinesKey(name));
      for (const v of Object.values(all)) out.push(JSON.parse(v) as Machine);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async machine(id: string): Promise<Machine | null> {
    for (const s of await this.sources()) {
      const v = await this.redis.hget(this.machinesKey(s.name), id);
      if (v) return JSON.parse(v) as Machine;
    }
    return null;
  }

  async removeSource(name: string): Promise<void> {
    await this.redis.multi().del(this.machinesKey(name)).hdel(this.sourcesKey(), name).exec();
  }
}
