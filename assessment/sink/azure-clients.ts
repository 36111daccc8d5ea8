// The sink's connections to Azure, built once from the config: one undici dispatcher (HTTPS_PROXY,
// NO_PROXY, sink.tls) shared by token requests, ARM, Blob Storage and Logs Ingestion; one token
// source per audience (ARM for the import, Azure Monitor for ingestion).
import type { Dispatcher } from 'undici';
import { armScope, monitorScope, type SinkSettings } from '../../config/schema/sink.js';
import { ArmClient } from './arm-client.js';
import { AzureMigrateImporter } from './azure-migrate-import.js';
import { uploadBlob } from './blob-upload.js';
import { TokenSource } from './credential.js';
import { createDispatcher } from './http.js';
import { undiciHttpClient } from './identity-http.js';
import { LogsIngestionSender } from './logs-ingestion.js';

export interface AzureClientOptions {
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Tests: shorter waits between job polls and SDK retries. */
  pollMs?: number;
  pollTimeoutMs?: number;
  ingestRetryDelayMs?: number;
  maxInlineWaitMs?: number;
}

export class AzureClients {
  readonly dispatcher: Dispatcher;
  readonly timeoutMs: number;
  readonly armTokens?: TokenSource;
  readonly monitorTokens?: TokenSource;
  readonly arm?: ArmClient;
  readonly importer?: AzureMigrateImporter;
  readonly ingest?: LogsIngestionSender;

  constructor(
    readonly settings: SinkSettings,
    o: AzureClientOptions = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? settings.timeoutSec * 1000;
    this.dispatcher = o.dispatcher ?? createDispatcher(settings, this.timeoutMs);
    const am = settings.azureMigrate;
    if (am) {
      this.armTokens = new TokenSource(settings, armScope(am), this.dispatcher);
      this.arm = new ArmClient({
        endpoint: am.armEndpoint,
        apiVersion: am.apiVersion,
        tokens: this.armTokens,
        dispatcher: this.dispatcher,
        timeoutMs: this.timeoutMs,
        clientId: settings.clientId,
        maxInlineWaitMs: o.maxInlineWaitMs,
      });
      this.importer = new AzureMigrateImporter(am, this.arm, {
        upload: (uri, data, contentType) => uploadBlob(uri, data, { dispatcher: this.dispatcher, timeoutMs: this.timeoutMs, contentType }),
        pollMs: o.pollMs,
        pollTimeoutMs: o.pollTimeoutMs,
      });
    }
    const li = settings.logsIngestion;
    if (li) {
      this.monitorTokens = new TokenSource(settings, monitorScope(li), this.dispatcher);
      this.ingest = new LogsIngestionSender(li.endpoint, li.ruleId, this.monitorTokens, {
        httpClient: undiciHttpClient(this.dispatcher, this.timeoutMs),
        retryDelayMs: o.ingestRetryDelayMs,
      });
    }
  }

  #closed = false;
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.dispatcher.close();
  }
}
