// The versioned ingestion payload (schemas/payload.schema.json): an assessment cut into batches of
// records, each with an idempotency key = SHA-256 of its canonical JSON, so a batch that is built or
// sent twice is recognised by the receiver (and by the outbox, which uses the key as the job id).
import { createHash } from 'node:crypto';
import type { Assessment, AssessmentRecord } from './build.js';

export const PAYLOAD_SCHEMA_VERSION = '1.0';

export interface Payload {
  schemaVersion: string;
  kind: 'assessment-batch';
  idempotencyKey: string;
  batch: { index: number; count: number };
  assessment: { schemaVersion: string; asOf: string; properties: Assessment['properties']; catalog: Assessment['catalog'] };
  records: AssessmentRecord[];
}

/** JSON with object keys sorted, so equal content always hashes equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Cuts an assessment into payloads of at most batchSize records (generatedAt is left out: same records, same keys). */
export function toPayloads(a: Assessment, batchSize: number): Payload[] {
  if (!(batchSize >= 1)) throw new Error(`batchSize must be at least 1 (got ${batchSize})`);
  const header = { schemaVersion: a.schemaVersion, asOf: a.asOf, properties: a.properties, catalog: a.catalog };
  const count = Math.ceil(a.machines.length / batchSize);
  const out: Payload[] = [];
  for (let i = 0; i < count; i++) {
    const body = {
      schemaVersion: PAYLOAD_SCHEMA_VERSION,
      kind: 'assessment-batch' as const,
      batch: { index: i, count },
      assessment: header,
      records: a.machines.slice(i * batchSize, (i + 1) * batchSize),
    };
    out.push({ ...body, idempotencyKey: contentHash(body) });
  }
  return out;
}
