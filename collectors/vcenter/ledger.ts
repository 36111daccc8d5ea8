// Exactly-once bookkeeping for 20-second samples: per (machine, metric, instance) the newest
// timestamp seen (the high-water mark) and a bit per earlier slot inside the look-back, so a
// re-read overlap is dropped while a sample vCenter posted late is still taken once.

const SLOT_MS = 20_000;
/** Slots behind the high-water mark that are remembered (bits of a 31-bit mask). */
export const LEDGER_SLOTS = 31;

export interface LedgerEntry {
  hwm: number;
  mask: number;
}

export interface LedgerState {
  version: 1;
  /** machine -> "metric|instance" -> [hwm epoch ms, mask] */
  machines: Record<string, Record<string, [number, number]>>;
  /** machine -> start (epoch ms) of a window whose read did not finish (absent in older files). */
  unfinished?: Record<string, number>;
}

export class SampleLedger {
  readonly #machines = new Map<string, Map<string, LedgerEntry>>();
  /**
   * Per machine, the start of the oldest window whose QueryPerf failed part-way. The marks alone
   * cannot tell: a read cut off in the middle leaves some series at the window's end and others far
   * behind (or never seen), which lowWater() would take for series that stopped.
   */
  readonly #unfinished = new Map<string, number>();
  /** Bumped whenever prune() drops entries, so callers caching entries know to look them up again. */
  generation = 0;

  /** The entry for one series, created empty on first use (look it up once per series, not per value). */
  entry(machine: string, series: string): LedgerEntry {
    let m = this.#machines.get(machine);
    if (!m) {
      m = new Map();
      this.#machines.set(machine, m);
    }
    let e = m.get(series);
    if (!e) {
      e = { hwm: 0, mask: 0 };
      m.set(series, e);
    }
    return e;
  }

  /** Whether accept() would take the timestamp, without recording it. */
  static isNew(e: LedgerEntry, ts: number): boolean {
    if (e.hwm === 0 || ts > e.hwm) return true;
    const back = Math.round((e.hwm - ts) / SLOT_MS);
    return back > 0 && back <= LEDGER_SLOTS && (e.mask & (1 << (back - 1))) === 0;
  }

  /** True the first time a timestamp is offered for the series; false for a repeat. */
  static accept(e: LedgerEntry, ts: number): boolean {
    if (e.hwm === 0) {
      e.hwm = ts;
      e.mask = 0;
      return true;
    }
    if (ts > e.hwm) {
      const shift = Math.round((ts - e.hwm) / SLOT_MS);
      e.mask = shift > LEDGER_SLOTS ? 0 : (((e.mask << shift) | (1 << (shift - 1))) & 0x7fffffff) >>> 0;
      e.hwm = ts;
      return true;
    }
    const back = Math.round((e.hwm - ts) / SLOT_MS);
    if (back <= 0 || back > LEDGER_SLOTS) return false; // the mark itself, or older than anything re-read
    const bit = 1 << (back - 1);
    if (e.mask & bit) return false;
    e.mask = (e.mask | bit) >>> 0;
    return true;
  }

  /**
   * Where a machine's next window starts: the oldest high-water mark among its live series (0 when
   * nothing was seen). A series that stopped (a removed disk, a NIC without data) more than the
   * remembered slots behind the machine's newest is left out, so it does not drag every poll back
   * to the whole realtime hour.
   */
  lowWater(machine: string): number {
    const m = this.#machines.get(machine);
    if (!m || m.size === 0) return 0;
    let high = 0;
    for (const e of m.values()) if (e.hwm > high) high = e.hwm;
    if (high === 0) return 0;
    const floor = high - LEDGER_SLOTS * SLOT_MS;
    let low = high;
    for (const e of m.values()) if (e.hwm >= floor && e.hwm < low) low = e.hwm;
    return low;
  }

  /** Records that the read of `machine` from `fromMs` did not finish: its next window starts there at the latest. */
  unfinished(machine: string, fromMs: number): void {
    const was = this.#unfinished.get(machine);
    if (was === undefined || fromMs < was) this.#unfinished.set(machine, fromMs);
  }

  /** Where the next window must start at the latest because an earlier read failed (undefined: none did). */
  unfinishedFrom(machine: string): number | undefined {
    return this.#unfinished.get(machine);
  }

  /** A read of `machine` finished: everything vCenter had up to its end has been offered to the ledger. */
  finished(machine: string): void {
    this.#unfinished.delete(machine);
  }

  /** Forgets machines that are gone and series older than `before` (out of the realtime window anyway). */
  prune(keep: Set<string>, before: number): void {
    const size = this.size;
    for (const [machine, m] of this.#machines) {
      if (!keep.has(machine)) {
        this.#machines.delete(machine);
        this.#unfinished.delete(machine);
        continue;
      }
      for (const [k, e] of m) if (e.hwm < before) m.delete(k);
    }
    if (this.size !== size) this.generation++;
  }

  get size(): number {
    let n = 0;
    for (const m of this.#machines.values()) n += m.size;
    return n;
  }

  toJSON(): LedgerState {
    const machines: LedgerState['machines'] = {};
    for (const [machine, m] of this.#machines) {
      const out: Record<string, [number, number]> = {};
      for (const [k, e] of m) out[k] = [e.hwm, e.mask];
      machines[machine] = out;
    }
    return this.#unfinished.size ? { version: 1, machines, unfinished: Object.fromEntries(this.#unfinished) } : { version: 1, machines };
  }

  static fromJSON(state: unknown): SampleLedger {
    const ledger = new SampleLedger();
    const s = state as Partial<LedgerState> | null;
    if (s?.version !== 1 || typeof s.machines !== 'object' || !s.machines) return ledger;
    for (const [machine, series] of Object.entries(s.machines)) {
      for (const [k, v] of Object.entries(series ?? {})) {
        if (Array.isArray(v) && Number.isFinite(v[0]) && Number.isFinite(v[1])) {
          const e = ledger.entry(machine, k);
          e.hwm = v[0];
          e.mask = v[1] >>> 0;
        }
      }
    }
    for (const [machine, from] of Object.entries(s.unfinished ?? {})) if (Number.isFinite(from)) ledger.unfinished(machine, from);
    return ledger;
  }
}
