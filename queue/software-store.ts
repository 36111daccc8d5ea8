import type { Redis } from 'ioredis';
import type { SoftwareInventory } from '../model/guest.js';
import { keyOf } from './redis.js';

/**
 * The latest software inventory per machine (issue 12), replaced as a whole on each read of the guest.
 *   <prefix>:software  hash  machine id -> SoftwareInventory JSON
 */
export class SoftwareStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return keyOf(this.prefix, 'software');
  }

  async save(inv: SoftwareInventory): Promise<void> {
    await this.redis.hset(this.key(), inv.machine, JSON.stringify(inv));
  }

  async get(machine: string): Promise<SoftwareInventory | null> {
    const v = await this.redis.hget(this.key(), machine);
    return v ? (JSON.parse(v) as SoftwareInventory) : null;
  }

  async all(): Promise<SoftwareInventory[]> {
    const all = await this.redis.hgetall(this.key());
    return Object.values(all)
      .map((v) => JSON.parse(v) as SoftwareInventory)
      .sort((a, b) => a.machine.localeCompare(b.machine));
  }

  async remove(machine: string): Promise<void> {
    await this.redis.hdel(this.key(), machine);
  }
}
