import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerSampleMetrics } from './sample-health.js';
import { queueStatuses, sourceStatuses, type StatusSources } from './status.js';

/**
 * Prometheus metrics, computed at scrape time from the same status the health page shows (so the
 * two never disagree). Counters from the collectors are exposed as *_total gauges because the service
 * owns the counting; they only go up while the process lives.
 */
export function createMetrics(s: StatusSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'collector_' });
  const src = (name: string, help: string) => new Gauge({ name, help, labelNames: ['source', 'kind'], registers: [registry] });
  const polls = src('collector_source_polls_total', 'Performance polls completed per source');
  const samples = src('collector_source_samples_total', 'Samples collected per source');
  const errors = src('collector_source_errors_total', 'Poll and inventory errors per source');
  const lastSuccess = src('collector_source_last_success_timestamp_seconds', 'Unix time of the last successful poll');
  const lag = src('collector_source_poll_lag_seconds', 'Seconds the source is behind its poll cadence');
  const machines = src('collector_source_machines', 'Machines in the latest inventory');
  const up = src('collector_source_up', '1 when the last poll of the source succeeded');
  const qJobs = new Gauge({
    name: 'collector_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
  });
  const qLag = new Gauge({
    name: 'collector_queue_lag_seconds',
    help: 'Age of the oldest waiting job',
    labelNames: ['queue'],
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'collector_upload_backlog',
    help: 'Items waiting to be sent to Azure (-1: no sink configured)',
    registers: [registry],
  });
  const refreshSamples = registerSampleMetrics(registry, s);

  const refresh = async () => {
    for (const g of [polls, samples, errors, lastSuccess, lag, machines, up, qJobs, qLag]) g.reset();
    for (const st of await sourceStatuses(s)) {
      const l = { source: st.name, kind: st.kind };
      polls.set(l, st.polls);
      samples.set(l, st.samples);
      errors.set(l, st.errors);
      if (st.lastSuccessAt !== null) lastSuccess.set(l, st.lastSuccessAt / 1000);
      if (st.pollLagSec !== null) lag.set(l, st.pollLagSec);
      if (st.machines !== null) machines.set(l, st.machines);
      up.set(l, st.lastSuccessAt !== null && (st.lastPollAt === null || st.lastPollAt <= st.lastSuccessAt) ? 1 : 0);
    }
    for (const q of await queueStatuses(s.queues())) {
      for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed'] as const) qJobs.set({ queue: q.name, state }, q[state]);
      if (q.lagSec !== null) qLag.set({ queue: q.name }, q.lagSec);
    }
    backlog.set((await s.uploadBacklog?.()) ?? -1);
    await refreshSamples();
  };
  return Object.assign(registry, { refresh });
}

export type MetricsRegistry = Registry & { refresh: () => Promise<void> };
