// `collector upload` and `collector status`: the outbox seen from the command line.
import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { CollectorConfig } from '../../config/load.js';
import { connectRedis } from '../../queue/redis-connect.js';
import { assess, enqueueAssessment, readAssessmentFile, type AssessOptions } from '../../assessment/assess.js';
import { Outbox, startOutboxSender, type OutboxStatus } from '../../assessment/sink/outbox.js';

export interface UploadOptions {
  assessment?: string;
  send?: boolean;
  enqueue?: boolean;
  replayFailed?: boolean;
  timeout?: string;
  assessOptions: AssessOptions;
}

function requireSink(config: CollectorConfig): void {
  if (!config.sink.enabled) {
    throw new UserError('the Azure sink is not enabled in the config.', {
      fix: 'Add a sink section with enabled: true, endpoint, tenantId, clientId and clientSecret ({ env: NAME }) or certificateFile (docs/assessment.md, "Sending to Azure").',
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
  const c = st.counts;
  const lines = [
    `Azure outbox (${config.sink.enabled ? config.sink.endpoint : 'sink not enabled'}):`,
    `  pending   ${c.pending} batch(es)  (waiting ${c.waiting}, retrying later ${c.delayed}, sending ${c.active})`,
    `  failed    ${c.failed} batch(es)  (parked; fix the cause, then collector upload --no-enqueue --replay-failed --send)`,
    `  sent      ${c.completed} batch(es)`,
  ];
  const show = (title: string, list: OutboxStatus['failed']) => {
    if (list.length === 0) return;
    lines.push(`${title}:`);
    for (const e of list) {
      const when = e.nextAttemptAt ? `, next attempt ${e.nextAttemptAt}` : '';
      lines.push(`  ${e.key.slice(0, 12)}  batch ${e.batch} of ${e.asOf}, ${e.records} record(s), ${e.attempts} attempt(s)${when}${e.reason ? `: ${e.reason}` : ''}`);
    }
  };
  show('Failed', st.failed);
  show('Retrying', st.delayed);
  show('Waiting', st.waiting);
  return `${lines.join('\n')}\n`;
}

export async function runUpload(config: CollectorConfig, log: Logger, o: UploadOptions): Promise<number> {
  requireSink(config);
  const timeoutSec = Number(o.timeout ?? 600);
  if (!(timeoutSec > 0)) throw new UserError(`--timeout: ${JSON.stringify(o.timeout)} is not a number of seconds.`, { fix: 'e.g. --timeout 600', code: 'BAD_OPTION' });
  if (o.enqueue !== false) {
    const a = o.assessment ? readAssessmentFile(o.assessment) : await assess(config, o.assessOptions, log);
    const r = await enqueueAssessment(config, a);
    process.stderr.write(`${r.records} record(s) in ${r.batches} batch(es): ${r.added} added to the outbox, ${r.already} already there\n`);
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
      process.stderr.write(`stopped waiting after ${timeoutSec} s; ${st.counts.pending} batch(es) stay in the outbox and are sent by the appliance or the next collector upload --send\n`);
      return 3;
    }
    return st.counts.failed > 0 ? 1 : 0;
  } finally {
    await outbox.close();
    redis.disconnect();
  }
}
