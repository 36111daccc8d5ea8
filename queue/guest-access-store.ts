import type { Redis } from 'ioredis';
import type { GuestAccessFailure, GuestOs } from '../model/guest.js';
import { keyOf } from './redis.js';

/** Guest access of one discovered machine: the credential that works, or why none does (issue 12). */
export interface GuestAccessStatus {
  /** Machine id in the inventory. */
  machine: string;
  machineName: string;
  os: GuestOs | null;
  /** The address that answered (or was last tried); null when the machine has none. */
  ip: string | null;
  /** Name of the credential that worked (a guestCredentials entry, or the physical source's own: "source:<name>"). */
  credential: string | null;
  /** null while access works. */
  failure: GuestAccessFailure | null;
  /** Human-readable detail of the failure (no secret), per address tried. */
  reason: string | null;
  /** Consecutive failed attempts (drives the back-off). */
  failures: number;
  /** Epoch ms. */
  lastAttempt: number | null;
  lastSuccess: number | null;
  /** Epoch ms before which the machine is not tried again (back-off); null while access works. */
  nextAttempt: number | null;
}

/**
 *   <prefix>:guest-access  hash  machine id -> GuestAccessStatus JSON
 */
export class GuestAccessStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return keyOf(this.prefix, 'guest-access');
  }

  async set(status: GuestAccessStatus): Promise<void> {
    await this.redis.hset(this.key(), status.machine, JSON.stringify(status));
  }

  async get(machine: string): Promise<GuestAccessStatus | null> {
    const v = await this.redis.hget(this.key(), machine);
    return v ? (JSON.parse(v) as GuestAccessStatus) : null;
  }

  async list(): Promise<GuestAccessStatus[]> {
    const all = await this.redis.hgetall(this.key());
    return Object.values(all)
      .map((v) => JSON.parse(v) as GuestAccessStatus)
      .sort((a, b) => a.machineName.localeCompare(b.machineName) || a.machine.localeCompare(b.machine));
  }

  async remove(machine: string): Promise<void> {
    await this.redis.hdel(this.key(), machine);
  }
}
