/**
 * Failed logins are limited per client address (5 per 15 minutes) and overall (30 per minute, against
 * a spread-out guess). A success clears the address's count. In memory: the web role is one process.
 */
export class LoginLimiter {
  readonly #perAddress = new Map<string, number[]>();
  #global: number[] = [];

  constructor(
    private readonly opts = { perAddress: 5, perAddressWindowMs: 15 * 60_000, global: 30, globalWindowMs: 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfterSec(address: string): number {
    const t = this.now();
    const mine = this.#recent(address, t);
    this.#global = this.#global.filter((x) => t - x < this.opts.globalWindowMs);
    let waitMs = 0;
    const oldestMine = mine[0];
    const oldestAll = this.#global[0];
    if (oldestMine !== undefined && mine.length >= this.opts.perAddress)
      waitMs = Math.max(waitMs, oldestMine + this.opts.perAddressWindowMs - t);
    if (oldestAll !== undefined && this.#global.length >= this.opts.global)
      waitMs = Math.max(waitMs, oldestAll + this.opts.globalWindowMs - t);
    return Math.ceil(waitMs / 1000);
  }

  /**
   * Takes an attempt before the (slow) password check, so parallel requests count: 0 when the attempt
   * may go ahead (it is then counted as failed until succeeded() says otherwise), else seconds to wait.
   */
  reserve(address: string): number {
    const wait = this.retryAfterSec(address);
    if (wait > 0) return wait;
    this.failed(address);
    return 0;
  }

  failed(address: string): void {
    const t = this.now();
    this.#perAddress.set(address, [...this.#recent(address, t), t]);
    this.#global.push(t);
    if (this.#perAddress.size > 10_000) this.#perAddress.clear(); // bounded memory under a flood
  }

  succeeded(address: string): void {
    this.#perAddress.delete(address);
    this.#global.pop(); // the reservation of this attempt, which turned out not to be a guess
  }

  #recent(address: string, t: number): number[] {
    return (this.#perAddress.get(address) ?? []).filter((x) => t - x < this.opts.perAddressWindowMs);
  }
}
