// Azure Migrate import (Microsoft.OffAzure importSites): make sure the site exists (GET; PUT when
// create: true), ask for an import URI (POST .../importUri { importType } -> { uri: SAS, jobArmId }),
// upload the file to the SAS, poll the job until it completes or fails. Each step's result is saved
// before the next one starts, so a restart resumes where it stopped: a second import job is never
// requested for a file whose job already exists.
import { blobLocation } from './blob-upload.js';
import { ArmError, type ArmClient } from './arm-client.js';
import type { AzureMigrateSettings } from '../../config/schema/sink.js';
import { redactText } from '../../common/log.js';

export interface ImportFile {
  fileName: string;
  /** 1-based part of a split estate (Azure Migrate takes at most 20,000 servers per file). */
  part: number;
  format: AzureMigrateSettings['format'];
  contentType: string;
  servers: number;
  /** The file's content hash (sha-256 hex): the same content is imported once per site. */
  contentHash: string;
  text: string;
}

/** What has been done for one file; persisted in the outbox job after every step. */
export interface ImportProgress {
  /** The SAS URI (a secret: never logged or shown; blobLocation() strips it). */
  uri?: string;
  jobArmId?: string;
  uploadedAt?: string;
}

export interface ImportJobView {
  status: string;
  done: boolean;
  failed: boolean;
  errors: string[];
  warnings: string[];
  imported: number | null;
}

export interface ImportResult extends ImportJobView {
  site: string;
  part: number;
  jobArmId: string;
  blob: string;
  contentHash: string;
  servers: number;
  finishedAt: string;
}

export function sitePath(a: AzureMigrateSettings): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.OffAzure/importSites/${a.importSite}`;
}

/** The job resource (Microsoft.OffAzure/ImportSites/jobs): status at the top or in properties, row errors where the service puts them. */
export function readJob(body: unknown): ImportJobView {
  const b = (body ?? {}) as Record<string, unknown>;
  const p = (b.properties ?? {}) as Record<string, unknown>;
  const status = String(b.status ?? p.status ?? p.jobResult ?? 'Unknown');
  const list = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.map((e) => {
          if (typeof e === 'string') return e;
          const o = e as Record<string, unknown>;
          const row = o.rowNumber ?? o.row ?? o.lineNumber;
          const code = o.errorCode ?? o.code;
          const msg = o.errorMessage ?? o.message ?? JSON.stringify(o);
          return `${row !== undefined ? `row ${row}: ` : ''}${code ? `${code}: ` : ''}${msg}`;
        })
      : [];
  const summary = (p.errorSummary ?? {}) as Record<string, unknown>;
  const errors = [...list(p.errors), ...list(summary.errors), ...list((b.error as { details?: unknown } | undefined)?.details)].map(
    redactText,
  );
  const warnings = [...list(p.warnings), ...list(summary.warnings)].map(redactText);
  const imported = typeof p.numberOfMachinesImported === 'number' ? p.numberOfMachinesImported : null;
  return {
    status,
    done: /^(completed|succeeded)/i.test(status) || /^(failed|canceled|cancelled)/i.test(status),
    failed: /^(failed|canceled|cancelled)/i.test(status),
    errors,
    warnings,
    imported,
  };
}

export interface ImporterOptions {
  upload: (uri: string, data: Buffer, contentType: string) => Promise<unknown>;
  pollMs?: number;
  /** How long one attempt polls the job; after that the outbox tries again later (polling only). */
  pollTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class AzureMigrateImporter {
  constructor(
    readonly settings: AzureMigrateSettings,
    private readonly arm: ArmClient,
    private readonly o: ImporterOptions,
  ) {}

  /** GET the site; when it is missing and create: true, PUT it in the resource group's region. */
  async ensureSite(): Promise<'exists' | 'created'> {
    const path = sitePath(this.settings);
    try {
      await this.arm.call('GET', path);
      return 'exists';
    } catch (err) {
      if (
        !(err instanceof ArmError) ||
        err.status !== 404 ||
        err.code === 'ResourceGroupNotFound' ||
        err.code === 'SubscriptionNotFound' ||
        !this.settings.create
      )
        throw err;
    }
    const rg = await this.arm.call<{ location?: string }>(
      'GET',
      `/subscriptions/${this.settings.subscriptionId}/resourceGroups/${this.settings.resourceGroup}`,
      undefined,
      { apiVersion: '2021-04-01' },
    );
    await this.arm.putAndWait(path, { location: rg.body?.location, properties: {} }, { pollMs: this.o.pollMs });
    return 'created';
  }

  async requestImportUri(): Promise<{ uri: string; jobArmId: string }> {
    const r = await this.arm.call<{ uri?: string; jobArmId?: string }>('POST', `${sitePath(this.settings)}/importUri`, {
      importType: this.settings.format,
    });
    if (!r.body?.uri || !r.body.jobArmId) {
      throw new ArmError(
        `POST ${this.settings.importSite}/importUri answered without uri and jobArmId. Fix: check sink.azureMigrate.apiVersion`,
        r.status,
        'UnexpectedResponse',
        false,
      );
    }
    return { uri: r.body.uri, jobArmId: r.body.jobArmId };
  }

  async job(jobArmId: string): Promise<ImportJobView> {
    return readJob((await this.arm.call('GET', jobArmId)).body);
  }

  /** Runs the steps not yet done; `save` persists progress after each, before the next begins. */
  async run(file: ImportFile, progress: ImportProgress, save: (p: ImportProgress) => Promise<void>): Promise<ImportResult> {
    let p = { ...progress };
    if (!p.jobArmId) {
      await this.ensureSite();
      const { uri, jobArmId } = await this.requestImportUri();
      p = { uri, jobArmId };
      await save(p);
    }
    const { uri, jobArmId } = p;
    if (!uri || !jobArmId) {
      // Saved together above: progress with one and not the other was damaged in the outbox.
      const what = `import of ${file.fileName}: the saved progress has no import URI or job id. Fix: enqueue the import again`;
      throw new ArmError(what, 0, 'InvalidProgress', false);
    }
    if (!p.uploadedAt) {
      await this.o.upload(uri, Buffer.from(file.text, 'utf8'), file.contentType);
      p = { ...p, uploadedAt: new Date().toISOString() };
      await save(p);
    }
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = Date.now() + (this.o.pollTimeoutMs ?? 15 * 60_000);
    for (;;) {
      const view = await this.job(jobArmId);
      if (view.done) {
        const finishedAt = new Date().toISOString();
        const { part, contentHash, servers } = file;
        return { ...view, site: this.settings.importSite, part, jobArmId, blob: blobLocation(uri), contentHash, servers, finishedAt };
      }
      if (Date.now() > deadline) {
        throw new ArmError(`import job ${jobArmId} still ${view.status}; polling again later`, 0, 'JobInProgress', true);
      }
      await sleep(this.o.pollMs ?? 5000);
    }
  }
}
