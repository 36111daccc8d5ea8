import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../model/index.js';
import { SAMPLE_LIMITS, oldestAcceptedTs, partitionSamples, validateSample } from '../../model/sample-validation.js';

const schema = JSON.parse(readFileSync('schemas/sample.schema.json', 'utf8'));
const validateSchema = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
const opts = { now: NOW, retentionDays: 31 };
const good = { machine: 'vmware:vc1:vm-1', metric: 'cpu.usage.percent', instance: '', ts: NOW - 60_000, value: 42.5, intervalSec: 20 };

describe('the sample validator and schemas/sample.schema.json are one definition', () => {
  it("the schema states the validator's bounds", () => {
    const p = schema.properties;
    expect(p.machine.minLength).toBe(1);
    expect(p.machine.maxLength).toBe(SAMPLE_LIMITS.maxIdLength);
    expect(p.instance.maxLength).toBe(SAMPLE_LIMITS.maxIdLength);
    expect(p.ts.minimum).toBe(SAMPLE_LIMITS.minTs);
    expect(p.ts.maximum).toBe(SAMPLE_LIMITS.maxTs);
    expect(p.value.minimum).toBe(0);
    expect(p.value.maximum).toBe(SAMPLE_LIMITS.maxValue);
    expect(Math.fround(p.value.maximum)).toBe(p.value.maximum); // the largest float32 exactly
    expect(p.intervalSec.minimum).toBe(SAMPLE_LIMITS.minIntervalSec);
    expect(p.intervalSec.maximum).toBe(SAMPLE_LIMITS.maxIntervalSec);
    expect(p.metric.enum).toEqual([...METRICS]);
    const percent = schema.allOf.find((r: { then: { properties: { value?: { maximum: number } } } }) => r.then.properties.value);
    expect(percent.if.properties.metric.enum).toEqual(['cpu.usage.percent', 'memory.usage.percent']);
    expect(percent.then.properties.value.maximum).toBe(SAMPLE_LIMITS.maxPercent);
  });

  // Random samples near and across every bound: the validator accepts exactly what the schema accepts
  // within the retention window (CPU overshoot up to 150 is clamped first), and its output always passes.
  const near = (edges: number[]) => fc.oneof(fc.constantFrom(...edges), fc.double({ noNaN: false }), fc.integer());
  const id = fc.oneof(fc.constant(''), fc.string({ maxLength: 8 }), fc.constantFrom('x'.repeat(512), 'x'.repeat(513), 'y'.repeat(10_000)));
  const sampleArb = fc.record({
    machine: fc.oneof(id, fc.constant(7 as unknown as string)),
    metric: fc.oneof(fc.constantFrom(...METRICS), fc.constantFrom('cpu.ready', '', 'CPU.usage.percent')),
    instance: id,
    ts: fc.oneof(
      fc.integer({ min: oldestAcceptedTs(NOW, 31), max: NOW + SAMPLE_LIMITS.maxFutureMs }),
      near([oldestAcceptedTs(NOW, 31) - 1, NOW + SAMPLE_LIMITS.maxFutureMs + 1, 2 ** 32 * 1000, 4_354_000_000_000, -1, NOW + 0.5]),
    ),
    value: near([0, -0, -1e-9, 100, 100.0001, 150, 150.5, 1e6, 1e308, Infinity, -Infinity, NaN, SAMPLE_LIMITS.maxValue, 3.5e38, 5e-324]),
    intervalSec: near([0, 1, 20, 30, 86_400, 86_401, 1e300, 20.5]),
  });

  it('accepts exactly what the schema accepts (property)', () => {
    fc.assert(
      fc.property(sampleArb, (s) => {
        const r = validateSample(s, opts);
        const clamped =
          s.metric === 'cpu.usage.percent' && typeof s.value === 'number' && s.value > 100 && s.value <= SAMPLE_LIMITS.cpuOvershootPercent
            ? { ...s, value: 100 }
            : s;
        const inWindow = typeof s.ts === 'number' && s.ts >= oldestAcceptedTs(NOW, 31) && s.ts <= NOW + SAMPLE_LIMITS.maxFutureMs;
        // JSON cannot carry NaN or Infinity: the schema sees what a JSON line would hold.
        const finite = Number.isFinite(s.value) && Number.isFinite(s.ts) && Number.isFinite(s.intervalSec);
        const schemaOk = finite && validateSchema(clamped) && inWindow;
        expect(
          r.ok,
          JSON.stringify({
            s: { ...s, machine: s.machine?.slice?.(0, 20), instance: s.instance?.slice?.(0, 20) },
            r: r.ok ? 'ok' : r.reason,
          }),
        ).toBe(schemaOk);
        if (r.ok) expect(validateSchema(r.sample)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('validateSample', () => {
  it('refuses each finding of issue 10 with its reason', () => {
    const reason = (o: object) => {
      const r = validateSample({ ...good, ...o }, opts);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason({})).toBe('ok');
    expect(reason({ ts: Date.UTC(2107, 0, 1) })).toBe('ts');
    expect(reason({ ts: NOW + 6 * 60_000 })).toBe('ts-in-future');
    expect(reason({ ts: NOW + 4 * 60_000 })).toBe('ok');
    expect(reason({ ts: NOW - 40 * 86_400_000 })).toBe('ts-too-old');
    expect(reason({ value: -1 })).toBe('value-negative');
    expect(reason({ value: 1e6 })).toBe('value-percent');
    expect(reason({ metric: 'memory.usage.percent', value: 100.5 })).toBe('value-percent');
    expect(reason({ metric: 'disk.read.bytesPerSec', instance: '2000', value: 1e308 })).toBe('value-float32');
    expect(reason({ metric: 'disk.read.bytesPerSec', instance: '2000', value: 1e30 })).toBe('ok');
    expect(reason({ value: Infinity })).toBe('value-not-finite');
    expect(reason({ value: '5' })).toBe('value-not-finite');
    expect(reason({ intervalSec: 1e300 })).toBe('interval');
    expect(reason({ intervalSec: 0 })).toBe('interval');
    expect(reason({ machine: 'm'.repeat(10 * 1024 * 1024) })).toBe('machine');
    expect(reason({ machine: '' })).toBe('machine');
    expect(reason({ metric: 'disk.read.bytesPerSec', instance: 'i'.repeat(513) })).toBe('instance');
    expect(reason({ metric: 'disk.read.bytesPerSec', instance: '' })).toBe('instance');
    expect(reason({ instance: 'x' })).toBe('instance');
    expect(reason({ metric: 'cpu.ready.summation' })).toBe('metric');
    expect(validateSample(null, opts)).toMatchObject({ ok: false, reason: 'not-object' });
    expect(validateSample([good], opts)).toMatchObject({ ok: false, reason: 'not-object' });
  });

  it('clamps CPU overshoot up to 150 % to 100 and leaves other values as they are', () => {
    expect(validateSample({ ...good, value: 112.3 }, opts)).toEqual({ ok: true, sample: { ...good, value: 100 } });
    expect(validateSample({ ...good, value: 150.01 }, opts)).toMatchObject({ ok: false, reason: 'value-percent' });
    const { intervalSec: _, ...noInterval } = good;
    expect(validateSample(noInterval, opts)).toEqual({ ok: true, sample: { ...good, intervalSec: 20 } });
  });

  it('partitions a mix in order: every valid sample kept, every invalid one reported (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 10_000 })), { maxLength: 200 }), (plan) => {
        const batch = plan.map(([ok, i]) => (ok ? { ...good, machine: `vm-${i}` } : { ...good, machine: `vm-${i}`, value: -i - 1 }));
        const { valid, rejected } = partitionSamples(batch, opts);
        expect(valid.map((s) => s.machine)).toEqual(plan.filter(([ok]) => ok).map(([, i]) => `vm-${i}`));
        expect(rejected.map((r) => r.reason)).toEqual(plan.filter(([ok]) => !ok).map(() => 'value-negative'));
      }),
    );
  });
});
