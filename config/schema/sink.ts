import { z } from 'zod';
import { secretRef, tlsSettings } from './common.js';

const https = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/i, { error: 'expected an https:// URL' });
const httpsOnly = z.string().regex(/^https:\/\/[^\s/]+(\/\S*)?$/i, { error: 'expected an https:// URL' });
const noTrailingSlash = (s: string) => s.replace(/\/+$/, '');

/** Azure Migrate import (Microsoft.OffAzure importSites): where the CSV goes and how often a fresh one is sent. */
export const azureMigrateSettings = z
  .object({
    subscriptionId: z
      .string()
      .regex(/^[0-9a-fA-F-]{36}$/, { error: 'expected the subscription id (a GUID). Fix: copy it from the Azure portal, Subscriptions' }),
    resourceGroup: z
      .string()
      .regex(/^[-\w._()]{1,90}$/, { error: 'expected a resource group name (1-90 letters, digits, "-", "_", ".", "(", ")")' }),
    importSite: z.string().regex(/^[A-Za-z0-9-]{3,24}$/, { error: "expected 3-24 letters, digits or '-'. Fix: e.g. collector-import" }),
    /** Create the import site with PUT when GET says it does not exist (needs Contributor on the resource group). */
    create: z.boolean().default(false),
    format: z.enum(['AzureMigrateCSV', 'RVToolsXlsx'], { error: 'expected AzureMigrateCSV or RVToolsXlsx' }).default('AzureMigrateCSV'),
    /** Sovereign clouds (https://management.usgovcloudapi.net) or a test endpoint; the token scope follows it. */
    armEndpoint: httpsOnly.transform(noTrailingSlash).default('https://management.azure.com'),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, { error: 'expected an ARM api-version such as "2023-06-06"' })
      .default('2023-06-06'),
    intervalHours: z
      .number()
      .min(0.01)
      .max(24 * 90)
      .default(24),
  })
  .strict();

/** Azure Monitor Logs Ingestion: a data collection endpoint, the rule's immutable id and one stream per kind of row. */
export const logsIngestionSettings = z
  .object({
    endpoint: httpsOnly.transform(noTrailingSlash),
    ruleId: z.string().regex(/^dcr-[0-9a-f]{32}$/i, {
      error:
        'expected the rule\'s immutable id, "dcr-" and 32 hex digits. Fix: copy immutableId from the data collection rule\'s JSON view',
    }),
    streams: z
      .object({
        machines: z
          .string()
          .regex(/^Custom-\w+$/)
          .default('Custom-CollectorMachines'),
        points: z
          .string()
          .regex(/^Custom-\w+$/)
          .default('Custom-CollectorPoints'),
        assessments: z
          .string()
          .regex(/^Custom-\w+$/)
          .default('Custom-CollectorAssessments'),
      })
      .strict()
      .default({ machines: 'Custom-CollectorMachines', points: 'Custom-CollectorPoints', assessments: 'Custom-CollectorAssessments' }),
    /** The token audience of Azure Monitor (sovereign clouds: https://monitor.azure.us). */
    audience: https.transform(noTrailingSlash).default('https://monitor.azure.com'),
  })
  .strict();

/**
 * Where assessments go: Azure Migrate's import API and/or Azure Monitor Logs Ingestion, both behind
 * Microsoft Entra ID client credentials. Either destination may be configured alone.
 */
export const sinkSettings = z
  .object({
    enabled: z.boolean().default(false),
    /** Removed: the invented ingestion API. Kept in the schema only to say what replaces it. */
    endpoint: z.unknown().optional(),
    tenantId: z.string().min(1, { error: 'expected the Entra ID tenant (directory) id' }).optional(),
    clientId: z.string().min(1, { error: 'expected the app registration (client) id' }).optional(),
    /** One of clientSecret (a secret reference) or certificateFile (PEM with the private key and certificate). */
    clientSecret: secretRef.optional(),
    certificateFile: z.string().min(1).optional(),
    certificatePassword: secretRef.optional(),
    /** Sovereign clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn; a test authority. */
    authorityHost: httpsOnly.default('https://login.microsoftonline.com'),
    /** Off for an authority Microsoft's instance discovery does not know (ADFS, a test authority). */
    instanceDiscovery: z.boolean().default(true),
    azureMigrate: azureMigrateSettings.optional(),
    logsIngestion: logsIngestionSettings.optional(),
    /** Rows per outbox batch for Logs Ingestion (the SDK cuts each batch further into 1 MB requests). */
    batchSize: z.number().int().min(1).max(50_000).default(2000),
    timeoutSec: z.number().int().min(5).max(600).default(60),
    /** Outbox retries: exponential backoff from baseDelaySec, capped at maxDelaySec, up to attempts tries. */
    retry: z
      .object({
        attempts: z.number().int().min(1).max(100_000).default(2000),
        baseDelaySec: z.number().min(0.05).max(3600).default(5),
        maxDelaySec: z.number().min(0.1).max(86_400).default(300),
      })
      .strict()
      .default({ attempts: 2000, baseDelaySec: 5, maxDelaySec: 300 }),
    /** Trust for ARM, Blob Storage, the ingestion endpoint and the authority (e.g. a private CA); the system store otherwise. */
    tls: tlsSettings,
  })
  .strict()
  .refine((s) => s.endpoint === undefined, {
    error:
      'sink.endpoint (a payload of our own design) was removed: no Azure service accepts it. Fix: replace it with sink.azureMigrate { subscriptionId, resourceGroup, importSite } (Azure Migrate import) and/or sink.logsIngestion { endpoint, ruleId, streams } (Azure Monitor); see docs/assessment.md, "Sending to Azure"',
    path: ['endpoint'],
  })
  .refine((s) => !s.enabled || (s.tenantId && s.clientId), {
    error: 'an enabled sink needs tenantId and clientId. Fix: add them, or set sink.enabled: false',
  })
  .refine((s) => !s.enabled || s.azureMigrate || s.logsIngestion, {
    error:
      'an enabled sink needs a destination. Fix: add sink.azureMigrate (Azure Migrate import) and/or sink.logsIngestion (Azure Monitor)',
  })
  .refine((s) => !s.tls.thumbprint, {
    error:
      'the sink verifies certificates against a CA; a pinned thumbprint is not supported here. Fix: use tls: { caFile: /path/to/ca.pem } (or nothing for the system store)',
    path: ['tls', 'thumbprint'],
  })
  .refine((s) => !s.enabled || Boolean(s.clientSecret) !== Boolean(s.certificateFile), {
    error: 'give exactly one of clientSecret ({ env: NAME } or { file: PATH }) or certificateFile (PEM with key and certificate)',
    path: ['clientSecret'],
  })
  .default({
    enabled: false,
    authorityHost: 'https://login.microsoftonline.com',
    instanceDiscovery: true,
    batchSize: 2000,
    timeoutSec: 60,
    retry: { attempts: 2000, baseDelaySec: 5, maxDelaySec: 300 },
    tls: {},
  });
export type SinkSettings = z.infer<typeof sinkSettings>;
export type AzureMigrateSettings = z.infer<typeof azureMigrateSettings>;
export type LogsIngestionSettings = z.infer<typeof logsIngestionSettings>;

/** ARM's token scope: the resource manager endpoint's /.default (management.azure.com or a sovereign cloud's). */
export const armScope = (a: AzureMigrateSettings) => `${a.armEndpoint}/.default`;
export const monitorScope = (l: LogsIngestionSettings) => `${l.audience}/.default`;
