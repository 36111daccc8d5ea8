import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../config/load.js';

function problems(raw: unknown): string {
  try {
    parseConfig(raw, 'c.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('pipeline settings', () => {
  it('a config with sources: [] is valid and gets the pipeline defaults', () => {
    const c = parseConfig({ sources: [] });
    expect(c.sources).toEqual([]);
    expect(c.rollup).toMatchObject({ retentionDays: 31, workerConcurrency: 4, maxStalledCount: 1000, bufferMaxSamples: 5_000_000 });
    expect(c.redis.sentinels).toBeUndefined();
  });

  it('bad values name the key, the value and the fix', () => {
    expect(problems({ redis: { sentinels: [] } })).toMatch(/redis\.sentinels: expected at least one sentinel/);
    expect(problems({ redis: { sentinels: [{ port: 26379 }] } })).toMatch(/redis\.sentinels\[0\]\.host/);
    expect(problems({ rollup: { bufferMaxSamples: 10 } })).toMatch(/rollup\.bufferMaxSamples: .*\(got 10\)/);
    expect(problems({ rollup: { retentionDays: 0 } })).toMatch(/rollup\.retentionDays/);
    // A password typed into the config is never echoed back.
    expect(problems({ redis: { password: 'hunter2' } })).not.toContain('hunter2');
  });
});
