// The durable outbox on BullMQ: every piece of work for Azure is a job whose id is derived from its
// content (an import file per site and content hash; a Logs Ingestion batch per stream and row hash),
// so queuing the same work twice is a no-op. Jobs are retried with capped exponential backoff; a
// Retry-After moves the job to delayed until then; what Azure will never accept is parked as failed
// with the reason, visible in `collector status` and replayable. A job saves its progress (import
// URI and job id, upload done; rows still to send) in its data, so a restart resumes there.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/log.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import { contentHash } from '../payload.js';
import { ArmError } from './arm-client.js';
import { AzureClients } from './azure-clients.js';
import type { ImportFile, ImportProgress, ImportResult } from './azure-migrate-import.js';
import { BlobUploadError } from './blob-upload.js';
import { retryableIngest } from './logs-ingestion.js';
import type { Row, StreamKind } from './rows.js';
import { SinkState, type IngestRecord } from './state.js';

export const OUTBOX_QUEUE = 'assessment-outbox';

export interface ImportJobData {
  kind: 'import';
  site: string;
  asOf: string;
  file: ImportFile;
  progress: ImportProgress;
  enqueuedAt: string;
}

export interface IngestJobData {
  kind: 'ingest';
  stream: StreamKind;
  streamName: string;
  asOf: string;
  /** Rows not yet accepted (fewer after a partial success). */
  rows: Row[];
  total: number;
  enqueuedAt: string;
}

export type OutboxJobData = ImportJobData | IngestJobData;

export interface OutboxResult {
  kind: OutboxJobData['kind'];
  records: number;
  status?: string;
}

export function importJobId(site: string, hash: string): string {
  return `import-${site}-${hash.slice(0, 40)}`;
}

export function ingestJobId(stream: StreamKind, rows: Row[]): string {
  return `ingest-${stream}-${contentHash(rows).slice(0, 40)}`;
}

/** Capped exponential backoff with jitter (half to full delay), so many appliances do not retry in step. */
export function backoffDelay(attemptsMade: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export function jobOptions(settings: SinkSettings): JobsOptions {
  return {
    attempts: settings.retry.attempts,
    backoff: { type: 'outbox' },
    // Completed batches are kept a week (status, and a re-upload of the same batch stays a no-op).
    removeOnComplete: { age: 7 * 86_400, count: 100_000 },
    removeOnFail: false,
  };
}

export class Outbox {
  readonly queue: Queue<OutboxJobData, OutboxResult>;
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly settings: SinkSettings,
  ) {
    this.queue = new Queue(OUTBOX_QUEUE, { connection, prefix });
  }

  /** Queues an import file unless this content was already imported to the site or is queued. */
  async enqueueImport(site: string, asOf: string, file: ImportFile): Promise<{ added: boolean; reason?: string }> {
    const state = new SinkState(this.connection, this.prefix);
    if ((await state.importedHash(site, file.part)) === file.contentHash)
      return { added: false, reason: 'this content was already imported to the site' };
    const id = importJobId(site, file.contentHash);
    if (await this.queue.getJob(id)) return { added: false, reason: 'this content is already in the outbox' };
    const data: ImportJobData = { kind: 'import', site, asOf, file, progress: {}, enqueuedAt: new Date().toISOString() };
    await this.queue.add('import', data, { ...jobOptions(this.settings), jobId: id });
    return { added: true };
  }

  /** Queues row batches for a stream; a batch already in the outbox (pending or sent) is not added again. */
  async enqueueRows(stream: StreamKind, streamName: string, asOf: string, batches: Row[][]): Promise<{ added: number; already: number }> {
    let added = 0;
    for (const rows of batches) {
      const id = ingestJobId(stream, rows);
      if (await this.queue.getJob(id)) continue;
      const data: IngestJobData = {
        kind: 'ingest',
        stream,
        streamName,
        asOf,
        rows,
        total: rows.length,
        enqueuedAt: new Date().toISOString(),
      };
      await this.queue.add('ingest', data, { ...jobOptions(this.settings), jobId: id });
      added += 1;
    }
    return { added, already: batches.length - added };
  }

  async status(limit = 50): Promise<OutboxStatus> {
    const state = new SinkState(this.connection, this.prefix);
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'completed', 'prioritized');
    const describe = (j: Job<OutboxJobData, OutboxResult>): OutboxEntry => ({
      key: j.id ?? '?', // jobs read back from the queue always have an id
      what:
        j.data.kind === 'import'
          ? `import ${j.data.file.fileName} to site ${j.data.site}${j.data.progress.jobArmId ? ` (job ${j.data.progress.jobArmId.split('/').pop()}${j.data.progress.uploadedAt ? ', uploaded' : ''})` : ''}`
          : j.data.kind === 'ingest'
            ? `${j.data.streamName}: ${j.data.rows.length} of ${j.data.total} row(s) to send`
            : 'a batch for the removed sink.endpoint',
      asOf: j.data.asOf ?? '?',
      records: j.data.kind === 'import' ? j.data.file.servers : j.data.kind === 'ingest' ? j.data.rows.length : 0,
      attempts: j.attemptsMade,
      reason: j.failedReason || null,
      nextAttemptAt: null as string | null,
    });
    const [failed, delayed, waiting] = await Promise.all([
      this.queue.getJobs(['failed'], 0, limit - 1),
      this.queue.getJobs(['delayed'], 0, limit - 1),
      this.queue.getJobs(['waiting', 'active', 'prioritized'], 0, limit - 1),
    ]);
    // BullMQ scores delayed jobs by due time x 0x1000 (plus a counter): that is the next attempt.
    const delayedEntries = delayed.filter(Boolean).map(describe);
    for (const e of delayedEntries) {
      const score = await this.connection.zscore(`${this.prefix}:${OUTBOX_QUEUE}:delayed`, e.key);
      if (score !== null) e.nextAttemptAt = new Date(Math.floor(Number(score) / 0x1000)).toISOString();
    }
    return {
      counts: {
        pending: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0),
        waiting: counts.waiting ?? 0,
        delayed: counts.delayed ?? 0,
        active: counts.active ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
      },
      failed: failed.filter(Boolean).map(describe),
      delayed: delayedEntries,
      waiting: waiting.filter(Boolean).map(describe),
      lastImport: this.settings.azureMigrate ? await state.lastImport(this.settings.azureMigrate.importSite) : null,
      lastIngest: await state.lastIngest(),
    };
  }

  /** Moves every parked (failed) batch back to waiting, e.g. after the endpoint or the config was fixed. */
  async replayFailed(): Promise<number> {
    const failed = await this.queue.getJobs(['failed']);
    let n = 0;
    for (const j of failed) {
      if (!j) continue;
      await j.retry('failed', { resetAttemptsMade: true });
      n += 1;
    }
    return n;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface OutboxEntry {
  key: string;
  what: string;
  asOf: string;
  records: number;
  attempts: number;
  reason: string | null;
  nextAttemptAt: string | null;
}

export interface OutboxStatus {
  counts: { pending: number; waiting: number; delayed: number; active: number; failed: number; completed: number };
  failed: OutboxEntry[];
  delayed: OutboxEntry[];
  waiting: OutboxEntry[];
  lastImport: ImportResult | null;
  lastIngest: IngestRecord | null;
}

/** What one attempt decided: done, retry (maybe not before a time), or park. */
class Park extends UnrecoverableError {}

async function processImport(job: Job<ImportJobData, OutboxResult>, clients: AzureClients, state: SinkState): Promise<OutboxResult> {
  if (!clients.importer) throw new Park('sink.azureMigrate is no longer configured; remove this job or configure it again');
  const d = job.data;
  let result: ImportResult;
  try {
    result = await clients.importer.run(d.file, d.progress, async (progress) => {
      d.progress = progress;
      await job.updateData(d);
    });
  } catch (err) {
    // An expired or refused SAS: the next attempt asks for a new import URI (the old job never got a file).
    if (err instanceof BlobUploadError && err.status === 403) {
      d.progress = {};
      await job.updateData(d);
    }
    throw err;
  }
  await state.recordImport(result);
  if (result.failed) {
    throw new Park(
      `Azure Migrate import job ${result.jobArmId.split('/').pop()} ${result.status}: ${result.errors.slice(0, 5).join('; ') || 'no error details'}${result.errors.length > 5 ? ` (+${result.errors.length - 5} more)` : ''}`,
    );
  }
  return { kind: 'import', records: result.imported ?? result.servers, status: result.status };
}

async function processIngest(
  job: Job<IngestJobData, OutboxResult>,
  clients: AzureClients,
  state: SinkState,
): Promise<OutboxResult & { retryAfterMs?: number }> {
  if (!clients.ingest) throw new Park('sink.logsIngestion is no longer configured; remove this job or configure it again');
  const d = job.data;
  const r = await clients.ingest.send(d.streamName, d.rows);
  const ok = r.remaining.length === 0;
  await state.recordIngest({
    stream: d.streamName,
    rows: d.rows.length,
    accepted: r.accepted,
    requests: r.requests,
    at: new Date().toISOString(),
    ok,
    reason: r.reason ?? null,
  });
  if (ok) return { kind: 'ingest', records: d.total };
  // Keep only the rows Azure did not accept, so the retry does not send the others again.
  if (r.accepted > 0) {
    d.rows = r.remaining;
    await job.updateData(d);
  }
  if (!retryableIngest(r.status)) throw new Park(`Logs Ingestion refused ${r.remaining.length} row(s): ${r.reason}`);
  const e = new Error(r.reason ?? 'ingestion failed') as Error & { retryAfterMs?: number };
  e.retryAfterMs = r.retryAfterMs;
  throw e;
}

/** The worker that drains the outbox; the appliance runs one, `collector upload --send` runs one until empty. */
export function startOutboxSender(
  connection: Redis,
  prefix: string,
  settings: SinkSettings,
  opts: { log: Logger; clients?: AzureClients; timeoutMs?: number },
): { worker: Worker<OutboxJobData, OutboxResult>; clients: AzureClients; close: () => Promise<void> } {
  const clients = opts.clients ?? new AzureClients(settings, { timeoutMs: opts.timeoutMs });
  const state = new SinkState(connection, prefix);
  const log = opts.log;
  const worker = new Worker<OutboxJobData, OutboxResult>(
    OUTBOX_QUEUE,
    async (job, token) => {
      const where = { key: job.id?.slice(0, 40), attempt: job.attemptsMade + 1 };
      try {
        // Left over from before the upgrade: the invented endpoint is gone, so there is nowhere to send it.
        if (job.data.kind !== 'import' && job.data.kind !== 'ingest')
          throw new Park(
            'a batch for the removed sink.endpoint: nothing to send; the next assessment goes to sink.azureMigrate / sink.logsIngestion',
          );
        const r =
          job.data.kind === 'import'
            ? await processImport(job as Job<ImportJobData, OutboxResult>, clients, state)
            : await processIngest(job as Job<IngestJobData, OutboxResult>, clients, state);
        log.info({ ...where, records: r.records, status: r.status }, `${job.data.kind} done`);
        return r;
      } catch (err) {
        if (err instanceof Park) {
          log.error(where, `parked as failed (fix, then collector upload --no-enqueue --replay-failed --send): ${err.message}`);
          throw err;
        }
        if (err instanceof ArmError && !err.retryable) {
          log.error(where, `parked as failed (fix, then collector upload --no-enqueue --replay-failed --send): ${err.message}`);
          throw new UnrecoverableError(err.message);
        }
        if (err instanceof BlobUploadError && !err.retryable && err.status !== 403) {
          log.error(where, `parked as failed: ${err.message}`);
          throw new UnrecoverableError(err.message);
        }
        const message = (err as Error).message ?? String(err);
        const retryAfterMs = (err as { retryAfterMs?: number }).retryAfterMs;
        if (retryAfterMs !== undefined && token) {
          // Retry-After: wait as long as Azure asked, without using up an attempt.
          log.warn({ ...where, retryAfterMs }, `Azure asked to wait: ${message}`);
          await job.moveToDelayed(Date.now() + retryAfterMs, token);
          throw new DelayedError();
        }
        log.warn(where, `will be retried: ${message}`);
        throw err;
      }
    },
    {
      connection,
      prefix,
      concurrency: 1,
      lockDuration: Math.max(60_000, (opts.timeoutMs ?? settings.timeoutSec * 1000) * 3),
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          backoffDelay(attemptsMade, settings.retry.baseDelaySec * 1000, settings.retry.maxDelaySec * 1000),
      },
    },
  );
  worker.on('error', (err) => log.error({ err: err.message }, 'outbox worker error'));
  let closing: Promise<void> | undefined;
  return {
    worker,
    clients,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        await clients.close();
      })()),
  };
}
