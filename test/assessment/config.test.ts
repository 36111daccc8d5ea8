import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';

describe('assessment and sink config', () => {
  it('defaults: Azure Migrate vocabulary, built-in catalogues, sink off', () => {
    const cfg = parseConfig({});
    expect(cfg.assessment).toMatchObject({ sizingCriterion: 'performance-based', percentile: 95, history: '1d', comfortFactor: 1.3, storageType: 'automatic', catalog: {} });
    expect(cfg.sink.enabled).toBe(false);
    expect(cfg.sink.authorityHost).toBe('https://login.microsoftonline.com');
    expect(cfg.sink.batchSize).toBe(500);
  });

  it('an enabled sink needs its endpoint, identity and exactly one credential', () => {
    expect(() => parseConfig({ sink: { enabled: true } })).toThrow(/sink: an enabled sink needs endpoint, tenantId and clientId/);
    const base = { enabled: true, endpoint: 'https://ingest.example/v1', tenantId: 't', clientId: 'c' };
    expect(() => parseConfig({ sink: base })).toThrow(/sink\.clientSecret: give exactly one of clientSecret/);
    expect(() => parseConfig({ sink: { ...base, clientSecret: 'plain' } })).toThrow(/expected a secret reference/);
    expect(() => parseConfig({ sink: { ...base, endpoint: 'http://ingest.example' } })).toThrow(/sink\.endpoint: expected an https:\/\/ URL/);
    const ok = parseConfig({ sink: { ...base, clientSecret: { env: 'X' }, authorityHost: 'https://login.microsoftonline.us' } });
    expect(ok.sink.authorityHost).toBe('https://login.microsoftonline.us');
    expect(ok.sink.retry.attempts).toBeGreaterThan(100);
    expect(() => parseConfig({ sink: { ...base, clientSecret: { env: 'X' }, tls: { thumbprint: 'AB:'.repeat(31) + 'AB' } } })).toThrow(/sink\.tls\.thumbprint: the sink verifies certificates against a CA/);
  });

  it('accepts newer catalogue files in assessment.catalog', () => {
    const cfg = parseConfig({ assessment: { catalog: { vmSizes: '/etc/collector/vm-sizes.json' } } });
    expect(cfg.assessment.catalog.vmSizes).toBe('/etc/collector/vm-sizes.json');
    expect(() => parseConfig({ assessment: { catalog: { prices: 'x' } } })).toThrow(/assessment\.catalog\.prices: unknown key/);
  });
});
