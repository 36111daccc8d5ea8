// `collector upload` and `collector status`: the outbox seen from the command line.
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { connectRedis } from '../../queue/redis-connect.js';
import { assess, enqueueAssessment, readAssessmentFile, type AssessOptions } from '../../assessment/assess.js';
import { Outbox, startOutboxSender, type OutboxStatus } from '../../assessment/sink/outbox.js';
import { buildPlan } from '../../assessment/sink/enqueue.js';
import { SinkState } from '../../assessment/sink/state.js';
import { formatEnqueued, formatOutboxStatus as formatStatus, formatPlan } from '../../assessment/sink/status-format.js';

export interface UploadOptions {
  assessment?: string;
  send?: boolean;
  enqueue?: boolean;
  replayFailed?: boolean;
  dryRun?: boolean;
  timeout?: string;
  assessOptions: AssessOptions;
}

function requireSink(config: CollectorConfig): void {
  if (!config.sink.enabled) {
    throw new UserError('the Azure sink is not enabled in the config.', {
      fix: 'Add a sink section with enabled: true, tenantId, clientId, clientSecret ({ env: NAME }) or certificateFile, and azureMigrate and/or logsIngestion (docs/assessment.md, "Sending to Azure").',
      code: 'SINK_DISABLED',
    });
  }
}

export async function outboxStatus(config: CollectorConfig): Promise<OutboxStatus> {
  const redis = await connectRedis(config, { name: 'collector-status' });
  const outbox = new Outbox(redis, config.redis.prefix, config.sink);
  try {
    return await outbox.status();
  } finally {
    await outbox.close();
    redis.disconnect();
  }
}

export function formatOutboxStatus(st: OutboxStatus, config: CollectorConfig): string {
  return formatStatus(st, config.sink);
}

export async function runUpload(config: CollectorConfig, log: Logger, o: UploadOptions): Promise<number> {
  requireSink(config);
  const timeoutSec = Number(o.timeout ?? 600);
  if (!(timeoutSec > 0))
    throw new UserError(`--timeout: ${JSON.stringify(o.timeout)} is not a number of seconds.`, {
      fix: 'e.g. --timeout 600',
      code: 'BAD_OPTION',
    });
  const fromRedis = !o.assessment && !o.assessOptions.inventory;
  if (o.dryRun) {
    const a = o.assessment ? readAssessmentFile(o.assessment) : await assess(config, o.assessOptions, log);
    const redis = await connectRedis(config, { name: 'collector-upload' });
    try {
      const plan = await buildPlan(redis, config, a, fromRedis);
      const state = new SinkState(redis, config.redis.prefix);
      const imported = new Map<number, string | null>();
      for (const i of plan.imports) imported.set(i.file.part, await state.importedHash(i.site, i.file.part));
      process.stdout.write(formatPlan(plan, config.sink, (part) => imported.get(part) ?? null));
    } finally {
      redis.disconnect();
    }
    return 0;
  }
  if (o.enqueue !== false) {
    const a = o.assessment ? readAssessmentFile(o.assessment) : await assess(config, o.assessOptions, log);
    process.stderr.write(formatEnqueued(await enqueueAssessment(config, a, { withPoints: fromRedis })));
  }
  const redis = await connectRedis(config, { name: 'collector-upload', forWorker: true });
  const outbox = new Outbox(redis, config.redis.prefix, config.sink);
  try {
    if (o.replayFailed) process.stderr.write(`${await outbox.replayFailed()} failed batch(es) moved back to the outbox\n`);
    if (!o.send) return 0;
    const sender = startOutboxSender(redis, config.redis.prefix, config.sink, { log });
    const deadline = Date.now() + timeoutSec * 1000;
    let st = await outbox.status();
    try {
      while (st.counts.pending > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        st = await outbox.status();
      }
    } finally {
      await sender.close();
    }
    process.stderr.write(formatOutboxStatus(st, config));
    if (st.counts.pending > 0) {
      process.stderr.write(
        `stopped waiting after ${timeoutSec} s; ${st.counts.pending} batch(es) stay in the outbox and are sent by the appliance or the next collector upload --send\n`,
      );
      return 3;
    }
    return st.counts.failed > 0 ? 1 : 0;
  } finally {
    await outbox.close();
    redis.disconnect();
  }
}
