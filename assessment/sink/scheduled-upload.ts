// The sink as a long-running part of the appliance: every `everyMs` the current assessment (from the
// inventory store and the rollup's points) is queued in the outbox, and the outbox sender delivers it.
// Queuing the same batches again is a no-op (content-hash job ids).
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { createRedis } from '../../queue/redis.js';
import { assess, enqueueAssessment } from '../assess.js';
import { startOutboxSender } from './outbox.js';
import type { EnqueueSummary } from './enqueue.js';

export interface AzureSinkService {
  /** Builds and queues an assessment now (also what the timer does). */
  assessNow(): Promise<EnqueueSummary>;
  close(): Promise<void>;
}

export function startAzureSink(
  config: CollectorConfig,
  log: Logger,
  opts: { everyMs?: number; firstDelayMs?: number } = {},
): AzureSinkService {
  if (!config.sink.enabled) throw new Error('startAzureSink: sink.enabled is false');
  const redis = createRedis(config.redis, { name: 'collector-sink', forWorker: true });
  redis.on('error', () => {}); // ioredis reconnects; the worker logs its own errors once
  const sender = startOutboxSender(redis, config.redis.prefix, config.sink, { log });
  const everyMs = opts.everyMs ?? (config.sink.azureMigrate?.intervalHours ?? 24) * 3600_000;
  let running: Promise<unknown> = Promise.resolve();
  const assessNow = async () => {
    const a = await assess(config, {}, log);
    const r = await enqueueAssessment(config, a, { withPoints: true });
    log.info({ imports: r.imports, streams: r.streams }, 'assessment queued for Azure');
    return r;
  };
  const tick = () => {
    running = assessNow().catch((err) =>
      log.error({ err: errorMessage(err) }, 'could not queue the assessment for Azure; next try at the next interval'),
    );
  };
  const first = setTimeout(tick, opts.firstDelayMs ?? 60_000);
  const timer = setInterval(tick, everyMs);
  first.unref();
  timer.unref();
  return {
    assessNow,
    close: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
      await sender.close();
      redis.disconnect();
    },
  };
}
