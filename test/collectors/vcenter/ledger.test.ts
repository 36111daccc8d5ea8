import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SampleLedger } from '../../../collectors/vcenter/ledger.js';

const SLOT = 20_000;

describe('SampleLedger (high-water mark + look-back bitmap)', () => {
  it('lets a late-posted sample through once, drops re-read overlap', () => {
    const l = new SampleLedger();
    const e = l.entry('vm', 'cpu|');
    const t0 = 1_700_000_000_000 - (1_700_000_000_000 % SLOT);
    expect(SampleLedger.accept(e, t0)).toBe(true);
    expect(SampleLedger.accept(e, t0 + 2 * SLOT)).toBe(true); // t0+SLOT not posted yet
    expect(SampleLedger.accept(e, t0 + 2 * SLOT)).toBe(false);
    expect(SampleLedger.accept(e, t0)).toBe(false);
    expect(SampleLedger.accept(e, t0 + SLOT)).toBe(true); // posted late, found by the look-back
    expect(SampleLedger.accept(e, t0 + SLOT)).toBe(false);
    expect(l.lowWater('vm')).toBe(t0 + 2 * SLOT);
  });

  it('survives a JSON round trip (the restart state file)', () => {
    const l = new SampleLedger();
    const e = l.entry('vm', 'disk.read.bytesPerSec|2000');
    SampleLedger.accept(e, 40 * SLOT);
    SampleLedger.accept(e, 42 * SLOT);
    const back = SampleLedger.fromJSON(JSON.parse(JSON.stringify(l)));
    const e2 = back.entry('vm', 'disk.read.bytesPerSec|2000');
    expect(SampleLedger.accept(e2, 42 * SLOT)).toBe(false);
    expect(SampleLedger.accept(e2, 40 * SLOT)).toBe(false);
    expect(SampleLedger.accept(e2, 41 * SLOT)).toBe(true);
    expect(SampleLedger.fromJSON({ version: 2 }).size).toBe(0);
  });

  it('property: overlapping windows with late posting emit every posted sample exactly once', () => {
    // A model source: slot i is posted at time post[i] >= i (late by up to `lookback` slots).
    // Polls at arbitrary times read [hwm - lookback, now]; the emitted multiset must equal
    // the set of slots posted by the last poll, with no repeats.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 20, maxLength: 120 }),
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 3, maxLength: 30 }),
        (delays, steps) => {
          const lookback = 3;
          const ledger = new SampleLedger();
          const emitted: number[] = [];
          let now = 0;
          for (const step of steps) {
            now += step;
            const low = ledger.lowWater('vm');
            const from = low ? low / SLOT - lookback : 0;
            const e = ledger.entry('vm', 'cpu|');
            for (let i = Math.max(0, from); i <= now && i < delays.length; i++) {
              if (i + delays[i]! <= now && SampleLedger.accept(e, (i + 1) * SLOT)) emitted.push(i);
            }
          }
          expect(new Set(emitted).size).toBe(emitted.length);
          const posted = delays.map((d, i) => (i + d <= now ? i : -1)).filter((i) => i >= 0);
          expect(emitted.sort((a, b) => a - b)).toEqual(posted);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it('a series that stopped long ago does not pull the window back to the whole hour', () => {
    const l = new SampleLedger();
    const t = 1_800_000_000_000 - (1_800_000_000_000 % SLOT);
    SampleLedger.accept(l.entry('vm', 'cpu|'), t);
    SampleLedger.accept(l.entry('vm', 'net.received.bytesPerSec|4000'), t - 5 * SLOT); // a little behind: counts
    expect(l.lowWater('vm')).toBe(t - 5 * SLOT);
    SampleLedger.accept(l.entry('vm', 'disk.read.bytesPerSec|2001'), t - 40 * SLOT); // a removed disk
    expect(l.lowWater('vm')).toBe(t - 5 * SLOT);
    l.entry('vm', 'disk.write.bytesPerSec|2001'); // only -1 so far: no mark
    expect(l.lowWater('vm')).toBe(t - 5 * SLOT);
    expect(l.lowWater('other')).toBe(0);
  });
});
