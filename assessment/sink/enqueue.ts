// From an assessment to outbox jobs: plan what goes where (plan.ts), then queue it. Import files
// already imported to the site (same content hash) and batches already queued are skipped.
import type { Redis } from 'ioredis';
import type { CollectorConfig } from '../../config/load.js';
import { HISTORY_MS } from '../../rollup/window.js';
import type { Assessment } from '../build.js';
import { Outbox } from './outbox.js';
import { planUpload, pointWindow, readPointRows, type UploadPlan } from './plan.js';
import type { Row } from './rows.js';
import { SinkState } from './state.js';

export interface EnqueueSummary {
  imports: { file: string; servers: number; added: boolean; reason?: string }[];
  streams: { stream: string; rows: number; batches: number; added: number; already: number }[];
  warnings: string[];
}

/** The plan for an assessment; the points stream only when the points are in this Redis (not for file-based assessments). */
export async function buildPlan(redis: Redis, config: CollectorConfig, a: Assessment, withPoints: boolean): Promise<UploadPlan> {
  let points: { rows: Row[]; until: number } | null = null;
  if (withPoints && config.sink.logsIngestion) {
    const w = pointWindow(
      Date.parse(a.asOf),
      HISTORY_MS[a.properties.history],
      await new SinkState(redis, config.redis.prefix).pointsWatermark(),
    );
    points = { rows: await readPointRows(redis, config.redis.prefix, a, w.from, w.to), until: w.to };
  }
  return planUpload(a, config.sink, points);
}

export async function enqueuePlan(redis: Redis, config: CollectorConfig, plan: UploadPlan): Promise<EnqueueSummary> {
  const outbox = new Outbox(redis, config.redis.prefix, config.sink);
  const out: EnqueueSummary = { imports: [], streams: [], warnings: plan.warnings };
  try {
    for (const i of plan.imports) {
      const r = await outbox.enqueueImport(i.site, plan.asOf, i.file);
      out.imports.push({ file: i.file.fileName, servers: i.file.servers, ...r });
    }
    for (const s of plan.streams) {
      const r = await outbox.enqueueRows(s.stream, s.streamName, plan.asOf, s.batches);
      out.streams.push({ stream: s.streamName, rows: s.rows, batches: s.batches.length, ...r });
    }
    if (plan.pointsUntil !== null) await new SinkState(redis, config.redis.prefix).setPointsWatermark(plan.pointsUntil);
  } finally {
    await outbox.close();
  }
  return out;
}
