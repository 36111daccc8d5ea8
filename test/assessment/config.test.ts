import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';

describe('assessment and sink config', () => {
  it('defaults: Azure Migrate vocabulary, built-in catalogues, sink off', () => {
    const cfg = parseConfig({});
    expect(cfg.assessment).toMatchObject({
      sizingCriterion: 'performance-based',
      percentile: 95,
      history: '1d',
      comfortFactor: 1.3,
      storageType: 'automatic',
      catalog: {},
    });
    expect(cfg.sink.enabled).toBe(false);
    expect(cfg.sink.authorityHost).toBe('https://login.microsoftonline.com');
    expect(cfg.sink.batchSize).toBe(2000);
  });

  it('an enabled sink needs identity, exactly one credential and a destination; the old endpoint names its replacement', () => {
    expect(() => parseConfig({ sink: { enabled: true } })).toThrow(/sink: an enabled sink needs tenantId and clientId/);
    const base = { enabled: true, tenantId: 't', clientId: 'c' };
    const am = { subscriptionId: '22222222-2222-2222-2222-222222222222', resourceGroup: 'migrate-rg', importSite: 'collector-import' };
    expect(() => parseConfig({ sink: { ...base, clientSecret: { env: 'X' } } })).toThrow(
      /sink: an enabled sink needs a destination\. Fix: add sink\.azureMigrate/,
    );
    expect(() => parseConfig({ sink: { ...base, azureMigrate: am } })).toThrow(/sink\.clientSecret: give exactly one of clientSecret/);
    expect(() => parseConfig({ sink: { ...base, azureMigrate: am, clientSecret: 'plain' } })).toThrow(/expected a secret reference/);
    expect(() =>
      parseConfig({ sink: { ...base, azureMigrate: am, clientSecret: { env: 'X' }, endpoint: 'https://ingest.example/v1' } }),
    ).toThrow(/sink\.endpoint: sink\.endpoint \(a payload of our own design\) was removed.*Fix: replace it with sink\.azureMigrate/);
    expect(() =>
      parseConfig({ sink: { ...base, clientSecret: { env: 'X' }, logsIngestion: { endpoint: 'http://dce.example', ruleId: 'dcr-1' } } }),
    ).toThrow(
      /sink\.logsIngestion\.endpoint: expected an https:\/\/ URL[\s\S]*sink\.logsIngestion\.ruleId: expected the rule's immutable id/,
    );
    const ok = parseConfig({
      sink: { ...base, azureMigrate: am, clientSecret: { env: 'X' }, authorityHost: 'https://login.microsoftonline.us' },
    });
    expect(ok.sink.authorityHost).toBe('https://login.microsoftonline.us');
    expect(ok.sink.azureMigrate).toEqual({
      ...am,
      create: false,
      format: 'AzureMigrateCSV',
      armEndpoint: 'https://management.azure.com',
      apiVersion: '2023-06-06',
      intervalHours: 24,
    });
    expect(ok.sink.retry.attempts).toBeGreaterThan(100);
    const li = parseConfig({
      sink: {
        ...base,
        clientSecret: { env: 'X' },
        logsIngestion: { endpoint: 'https://my-dce.westus2-1.ingest.monitor.azure.com/', ruleId: `dcr-${'0'.repeat(32)}` },
      },
    });
    expect(li.sink.logsIngestion).toMatchObject({
      endpoint: 'https://my-dce.westus2-1.ingest.monitor.azure.com',
      streams: { machines: 'Custom-CollectorMachines', points: 'Custom-CollectorPoints', assessments: 'Custom-CollectorAssessments' },
    });
    expect(() =>
      parseConfig({ sink: { ...base, azureMigrate: am, clientSecret: { env: 'X' }, tls: { thumbprint: 'AB:'.repeat(31) + 'AB' } } }),
    ).toThrow(/sink\.tls\.thumbprint: the sink verifies certificates against a CA/);
  });

  it('accepts newer catalogue files in assessment.catalog', () => {
    const cfg = parseConfig({ assessment: { catalog: { vmSizes: '/etc/collector/vm-sizes.json' } } });
    expect(cfg.assessment.catalog.vmSizes).toBe('/etc/collector/vm-sizes.json');
    expect(() => parseConfig({ assessment: { catalog: { prices: 'x' } } })).toThrow(/assessment\.catalog\.prices: unknown key/);
  });
});
