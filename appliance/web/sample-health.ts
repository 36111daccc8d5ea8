import { Gauge, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import { quarantineCounts, type QuarantineCount } from '../../queue/quarantine.js';
import type { ProducerStats } from '../../queue/sample-producer.js';
import { formatAge, formatBytes, h, table, type Html } from './html.js';

/** What the Health page and /metrics show of the sample path: refused samples (all processes) and this process's spool. */
export interface SampleHealthSources {
  config: () => { redis: { prefix: string } };
  /** Where the quarantine counts are read. */
  redis?: Redis;
  /** The collecting producer of this process (its spool), when it runs here. */
  producerStats?: () => ProducerStats | null;
}

async function refusals(s: SampleHealthSources): Promise<QuarantineCount[] | null> {
  if (!s.redis) return null;
  return quarantineCounts(s.redis, s.config().redis.prefix).catch(() => null);
}

/** Registers the sample-path gauges; the returned function refreshes them at scrape time. */
export function registerSampleMetrics(registry: Registry, s: SampleHealthSources): () => Promise<void> {
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const quarantined = g(
    'collector_samples_quarantined_total',
    'Samples refused by the sample contract and quarantined, per source and reason (all processes, from Redis)',
    ['source', 'reason'],
  );
  const spoolBytes = g('collector_spool_bytes', 'Bytes of the on-disk sample spool');
  const spoolMax = g('collector_spool_max_bytes', 'Bound of the sample spool (rollup.spoolMaxBytes)');
  const spoolSamples = g('collector_spool_samples', 'Samples waiting in the spool for Redis');
  const spoolAge = g('collector_spool_oldest_age_seconds', 'Age of the oldest spooled batch (0 when empty)');
  const spoolDropped = g('collector_spool_dropped_samples_total', 'Samples dropped because the spool (or the memory buffer) was full');
  const spooled = g('collector_spool_written_samples_total', 'Samples written to the spool since the process started');
  const replayed = g('collector_spool_replayed_samples_total', 'Spooled samples delivered to Redis since the process started');
  return async () => {
    quarantined.reset();
    for (const c of (await refusals(s)) ?? []) quarantined.set({ source: c.source, reason: c.reason }, c.samples);
    const p = s.producerStats?.();
    if (!p) return;
    spoolDropped.set(p.droppedSamples);
    if (!p.spool) return;
    spoolBytes.set(p.spool.bytes);
    spoolMax.set(p.spool.maxBytes);
    spoolSamples.set(p.spool.samples);
    spoolAge.set(p.spool.oldestAt === null ? 0 : Math.max(0, (Date.now() - p.spool.oldestAt) / 1000));
    spooled.set(p.spool.spooledSamples);
    replayed.set(p.spool.replayedSamples);
  };
}

/** The Health page's "Samples" section. */
export async function sampleHealthHtml(s: SampleHealthSources, now = Date.now()): Promise<Html> {
  const counts = await refusals(s);
  const rows = (counts ?? [])
    .sort((a, b) => b.samples - a.samples)
    .map((c) => [c.source, c.reason, h`<span class="num">${c.samples}</span>`]);
  const refused =
    counts === null
      ? h`<p>Refused samples: unknown (Redis unreachable).</p>`
      : rows.length === 0
        ? h`<p>No sample has been refused.</p>`
        : h`<p>Samples refused by the sample contract (the newest 10,000 are kept in Redis <code>${s.config().redis.prefix}:quarantine</code>):</p>${table(['Source', 'Reason', 'Samples'], rows, 'quarantine')}`;
  const p = s.producerStats?.();
  const sp = p?.spool;
  const spool = !p
    ? h``
    : !sp
      ? h`<p>No on-disk spool in this process (samples wait in memory while Redis is away; ${p.droppedSamples} dropped).</p>`
      : h`<p>Spool <code>${sp.dir}</code>: ${sp.samples} sample(s) waiting, ${formatBytes(sp.bytes)} of ${formatBytes(sp.maxBytes)}, oldest ${sp.oldestAt === null ? '—' : formatAge(sp.oldestAt, now)}; ${p.droppedSamples} dropped.</p>`;
  return h`<h2>Samples</h2>${refused}${spool}`;
}
