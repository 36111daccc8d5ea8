// What the sink remembers in Redis beyond the outbox queue: per import site (and part, for estates
// split into several files) the content hash of the last file imported, so the same content is not
// imported again even after the outbox forgot the job; the last import job and its result; the last Logs Ingestion batch, and how far the 10-minute
// points have been queued.
import type { Redis } from 'ioredis';
import type { ImportResult } from './azure-migrate-import.js';

export interface IngestRecord {
  stream: string;
  rows: number;
  accepted: number;
  requests: number;
  at: string;
  ok: boolean;
  reason: string | null;
}

export class SinkState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  #site(site: string): string {
    return `${this.prefix}:azure:import-site:${site}`;
  }

  async importedHash(site: string, part = 1): Promise<string | null> {
    return this.redis.hget(this.#site(site), `contentHash:${part}`);
  }

  /** Remembered when a job finishes (completed or failed: the same content would fail the same way). */
  async recordImport(r: ImportResult): Promise<void> {
    await this.redis.hset(this.#site(r.site), `contentHash:${r.part}`, r.contentHash, 'result', JSON.stringify(r));
  }

  async lastImport(site: string): Promise<ImportResult | null> {
    const v = await this.redis.hget(this.#site(site), 'result');
    return v ? (JSON.parse(v) as ImportResult) : null;
  }

  async recordIngest(r: IngestRecord): Promise<void> {
    await this.redis.set(`${this.prefix}:azure:ingest-last`, JSON.stringify(r));
  }

  async lastIngest(): Promise<IngestRecord | null> {
    const v = await this.redis.get(`${this.prefix}:azure:ingest-last`);
    return v ? (JSON.parse(v) as IngestRecord) : null;
  }

  /** Points with window start before this (epoch ms) are already in the outbox. */
  async pointsWatermark(): Promise<number | null> {
    const v = await this.redis.get(`${this.prefix}:azure:points-watermark`);
    return v === null ? null : Number(v);
  }

  async setPointsWatermark(ms: number): Promise<void> {
    await this.redis.set(`${this.prefix}:azure:points-watermark`, String(ms));
  }
}
