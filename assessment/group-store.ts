// Named migration groups (issue 12), as Azure Migrate groups are: a name and a list of machines, saved by people
// (often from a suggestion), edited, and assessed as a unit (`collector assess --group NAME`).
//   <prefix>:groups  hash  group name -> MigrationGroup JSON
import type { Redis } from 'ioredis';
import { keyOf } from '../queue/redis.js';

export interface MigrationGroup {
  name: string;
  /** Machine ids (or names, when saved before the machine was discovered). */
  machines: string[];
  createdAt: string;
  updatedAt: string;
}

export const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class GroupStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return keyOf(this.prefix, 'groups');
  }

  /** Creates or replaces the group (keeps its creation time). */
  async save(name: string, machines: string[], now = new Date()): Promise<MigrationGroup> {
    if (!GROUP_NAME.test(name)) throw new Error(`invalid group name: ${name}`);
    const old = await this.get(name);
    const g: MigrationGroup = {
      name,
      machines: [...new Set(machines)].sort(),
      createdAt: old?.createdAt ?? now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.redis.hset(this.key(), name, JSON.stringify(g));
    return g;
  }

  async get(name: string): Promise<MigrationGroup | null> {
    const v = await this.redis.hget(this.key(), name);
    return v ? (JSON.parse(v) as MigrationGroup) : null;
  }

  async list(): Promise<MigrationGroup[]> {
    const all = await this.redis.hgetall(this.key());
    return Object.values(all)
      .map((v) => JSON.parse(v) as MigrationGroup)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** True when the group existed. */
  async remove(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(), name)) > 0;
  }
}
