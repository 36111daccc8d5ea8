// The sink as text for a person: the outbox (`collector status`), what an upload queued, and what a
// dry run would send where. Nothing secret is printed: no SAS (blob locations only), no tokens.
import { redactText } from '../../common/log.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import { blobLocation } from './blob-upload.js';
import type { EnqueueSummary } from './enqueue.js';
import type { OutboxStatus } from './outbox.js';
import type { UploadPlan } from './plan.js';

export function destinations(s: SinkSettings): string {
  if (!s.enabled) return 'sink not enabled';
  const d: string[] = [];
  if (s.azureMigrate) d.push(`Azure Migrate import site ${s.azureMigrate.importSite} (resource group ${s.azureMigrate.resourceGroup})`);
  if (s.logsIngestion) d.push(`Logs Ingestion ${s.logsIngestion.endpoint} rule ${s.logsIngestion.ruleId}`);
  return d.join('; ');
}

export function formatOutboxStatus(st: OutboxStatus, sink: SinkSettings): string {
  const c = st.counts;
  const lines = [
    `Azure outbox (${destinations(sink)}):`,
    `  pending   ${c.pending} job(s)  (waiting ${c.waiting}, retrying later ${c.delayed}, sending ${c.active})`,
    `  failed    ${c.failed} job(s)  (parked; fix the cause, then collector upload --no-enqueue --replay-failed --send)`,
    `  sent      ${c.completed} job(s)`,
  ];
  const li = st.lastImport;
  if (sink.azureMigrate) {
    lines.push(
      li
        ? `Last import job: ${li.jobArmId.split('/').pop()} ${li.status} at ${li.finishedAt}: ${li.servers} server(s) in ${li.blob}${li.imported !== null ? `, ${li.imported} imported` : ''}, content ${li.contentHash.slice(0, 12)}`
        : 'Last import job: none yet',
    );
    if (li) {
      for (const e of li.errors.slice(0, 20)) lines.push(`  error: ${e}`);
      if (li.errors.length > 20) lines.push(`  ... ${li.errors.length - 20} more error(s)`);
      for (const w of li.warnings.slice(0, 5)) lines.push(`  warning: ${w}`);
    }
  }
  const lg = st.lastIngest;
  if (sink.logsIngestion) {
    lines.push(
      lg
        ? `Last ingestion batch: ${lg.stream} ${lg.accepted}/${lg.rows} row(s) accepted in ${lg.requests} request(s) at ${lg.at}${lg.ok ? '' : `: ${lg.reason}`}`
        : 'Last ingestion batch: none yet',
    );
  }
  const show = (title: string, list: OutboxStatus['failed']) => {
    if (list.length === 0) return;
    lines.push(`${title}:`);
    for (const e of list) {
      const when = e.nextAttemptAt ? `, next attempt ${e.nextAttemptAt}` : '';
      lines.push(`  ${e.what} (assessment of ${e.asOf}), ${e.attempts} attempt(s)${when}${e.reason ? `: ${e.reason}` : ''}`);
    }
  };
  show('Failed', st.failed);
  show('Retrying', st.delayed);
  show('Waiting', st.waiting);
  return `${redactText(lines.join('\n'))}\n`;
}

export function formatEnqueued(s: EnqueueSummary): string {
  const lines: string[] = [];
  for (const i of s.imports)
    lines.push(`import ${i.file} (${i.servers} server(s)): ${i.added ? 'added to the outbox' : `not added, ${i.reason}`}`);
  for (const t of s.streams)
    lines.push(`${t.stream}: ${t.rows} row(s) in ${t.batches} batch(es): ${t.added} added to the outbox, ${t.already} already there`);
  for (const w of s.warnings) lines.push(`warning: ${w}`);
  return lines.length ? `${lines.join('\n')}\n` : 'nothing to send: no destination configured\n';
}

/** --dry-run: what would be sent where, with the requests each would take. */
export function formatPlan(plan: UploadPlan, sink: SinkSettings, importedHash: (part: number) => string | null): string {
  const lines = [
    `Assessment of ${plan.asOf}; token from ${sink.authorityHost} for tenant ${sink.tenantId ?? '?'}, client ${sink.clientId ?? '?'}`,
  ];
  const am = sink.azureMigrate;
  for (const i of plan.imports) {
    if (!am) throw new Error('upload plan: Azure Migrate imports without sink.azureMigrate (planUpload adds them only with it)');
    const same = importedHash(i.file.part) === i.file.contentHash;
    lines.push(
      `Azure Migrate: ${i.file.fileName}, ${i.file.servers} server(s), ${Buffer.byteLength(i.file.text)} bytes, sha-256 ${i.file.contentHash.slice(0, 16)}${same ? ' (already imported to this site: would not be sent again)' : ''}`,
      `  GET  ${i.target}?api-version=${am.apiVersion}${am.create ? '  (PUT when missing)' : ''}`,
      `  POST ${i.target}/importUri?api-version=${am.apiVersion}  { "importType": "${am.format}" }`,
      `  PUT  <blob SAS URI from the answer>  (block blob, ${i.file.contentType})`,
      `  GET  <jobArmId from the answer>?api-version=${am.apiVersion} until Completed or Failed`,
    );
  }
  const li = sink.logsIngestion;
  for (const s of plan.streams) {
    if (!li) throw new Error('upload plan: Logs Ingestion streams without sink.logsIngestion (planUpload adds them only with it)');
    const url = `${li.endpoint}/dataCollectionRules/${li.ruleId}/streams/${s.streamName}?api-version=2023-01-01`;
    lines.push(`Logs Ingestion: ${s.rows} row(s) in ${s.batches.length} batch(es) to POST ${url}`);
  }
  if (!am && !li) lines.push('No destination configured (sink.azureMigrate, sink.logsIngestion).');
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  lines.push('(dry run: nothing was queued or sent)');
  return `${redactText(lines.join('\n'))}\n`;
}

export { blobLocation };

/** The status text for a process that holds a Redis connection already (the web app's Health page). */
export async function sinkStatusText(redis: import('ioredis').Redis, prefix: string, sink: SinkSettings): Promise<string> {
  const { Outbox } = await import('./outbox.js');
  const outbox = new Outbox(redis, prefix, sink);
  try {
    return formatOutboxStatus(await outbox.status(10), sink);
  } finally {
    await outbox.close();
  }
}
