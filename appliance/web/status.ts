import type { Queue } from 'bullmq';
import type { SourceKind } from '../../model/index.js';
import type { CollectorConfig } from '../../config/load.js';
import type { InventoryStore } from '../../queue/inventory-store.js';
import type { PollCounters } from '../../model/index.js';
import type { SampleHealthSources } from './sample-health.js';

export type { PollCounters };

/** What the health page, /readyz and /metrics show for one source. */
export interface SourceStatus extends PollCounters {
  name: string;
  kind: SourceKind;
  enabled: boolean;
  machines: number | null;
  discoveredAt: string | null;
  /** How far behind its cadence the source is (seconds since the last successful poll minus the interval). */
  pollLagSec: number | null;
}

export interface QueueStatus {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Age of the oldest waiting job: how far the workers lag behind. */
  lagSec: number | null;
}

export interface StatusSources extends SampleHealthSources {
  config: () => CollectorConfig;
  inventory: InventoryStore;
  queues: () => Queue[];
  pollCounters?: (source: string) => Promise<PollCounters | null> | PollCounters | null;
  /** Work waiting to be sent to Azure (import files, ingestion batches in the outbox), when a sink is configured. */
  uploadBacklog?: () => Promise<number | null>;
}

/** Joins config, inventory summaries and live poll counters into one view per source. */
export async function sourceStatuses(s: StatusSources, now = Date.now()): Promise<SourceStatus[]> {
  const summaries = new Map((await s.inventory.sources()).map((x) => [x.name, x]));
  const out: SourceStatus[] = [];
  for (const src of s.config().sources) {
    const sum = summaries.get(src.name);
    const c = (await s.pollCounters?.(src.name)) ?? null;
    const inventoryErrors = sum?.errors ?? [];
    const lastSuccessAt = c?.lastSuccessAt ?? null;
    out.push({
      name: src.name,
      kind: src.kind,
      enabled: src.enabled,
      machines: sum?.machines ?? null,
      discoveredAt: sum?.discoveredAt ?? null,
      lastPollAt: c?.lastPollAt ?? null,
      lastSuccessAt,
      polls: c?.polls ?? 0,
      samples: c?.samples ?? 0,
      errors: (c?.errors ?? 0) + inventoryErrors.length,
      lastError: c?.lastError ?? inventoryErrors[0] ?? null,
      pollLagSec: lastSuccessAt === null ? null : Math.max(0, Math.round((now - lastSuccessAt) / 1000 - src.pollIntervalSec)),
    });
  }
  return out;
}

export async function queueStatuses(queues: Queue[], now = Date.now()): Promise<QueueStatus[]> {
  const out: QueueStatus[] = [];
  for (const q of queues) {
    const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    const [oldest] = await q.getJobs(['waiting'], 0, 0, true);
    out.push({
      name: q.name,
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
      lagSec: oldest ? Math.max(0, Math.round((now - oldest.timestamp) / 1000)) : 0,
    });
  }
  return out;
}
