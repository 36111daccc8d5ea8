// The I/O edge of assessments: gathers inputs (Redis inventory + rollup percentiles, or files for
// offline use), builds the assessment, and hands batches to the outbox. Commands and the appliance
// call these; the modules they compose stay pure.
import type { Machine } from '../model/index.js';
import { UserError } from '../common/errors.js';
import { readJsonFile } from '../common/json-file.js';
import type { Logger } from '../common/log.js';
import type { CollectorConfig } from '../config/load.js';
import { InventoryStore } from '../queue/inventory-store.js';
import { computePercentiles } from '../rollup/percentile-report.js';
import { buildAssessment, type Assessment } from './build.js';
import { loadCatalog } from './catalog.js';
import type { PercentileReport } from './percentile-input.js';
import { resolveProperties, type PropertyOverrides } from './properties.js';
import { connectRedis } from '../queue/redis-connect.js';
import { schemaErrors } from './schemas.js';
import { buildPlan, enqueuePlan, type EnqueueSummary } from './sink/enqueue.js';
import { GroupStore, type MigrationGroup } from './group-store.js';
import type { Redis } from 'ioredis';

export interface AssessOptions extends PropertyOverrides {
  /** End of the performance history, epoch ms (default: now, or the percentile file's asOf). */
  asOf?: number;
  inventory?: string;
  percentiles?: string;
  vmSizes?: string;
  diskTiers?: string;
  /** Assess only the machines of this saved migration group (`collector groups save`), as Azure Migrate assesses a group. */
  group?: string;
}

function readInputFile(option: string, file: string): unknown {
  const writer =
    option === '--inventory'
      ? '`collector discover --out`'
      : option === '--percentiles'
        ? '`collector percentiles --out`'
        : '`collector assess --out`';
  return readJsonFile(file, {
    label: option,
    unreadableFix: `Check the path given to ${option}.`,
    invalidFix: `Give the file written by ${writer}.`,
  });
}

/** An inventory file: `collector discover` output ({ sources, machines }) or a plain array of machines. */
export function readInventoryFile(file: string): Machine[] {
  const raw = readInputFile('--inventory', file) as { machines?: unknown } | unknown[];
  const machines = Array.isArray(raw) ? raw : (raw as { machines?: unknown }).machines;
  if (
    !Array.isArray(machines) ||
    machines.some((m) => !m || typeof (m as Machine).id !== 'string' || !Array.isArray((m as Machine).disks))
  ) {
    throw new UserError(
      `--inventory: ${file} holds no machines (expected { "machines": [...] } as collector discover writes, or an array of machines).`,
      {
        fix: 'Write it with `collector discover --config FILE --out inventory.json`.',
        code: 'INPUT_INVALID',
      },
    );
  }
  return machines as Machine[];
}

export function readPercentilesFile(file: string): PercentileReport {
  const raw = readInputFile('--percentiles', file) as PercentileReport;
  if (!raw || !Array.isArray(raw.machines) || raw.asOf === undefined) {
    throw new UserError(`--percentiles: ${file} is not a percentile report (expected { "asOf", "history", "machines": [...] }).`, {
      fix: 'Write it with `collector percentiles --config FILE --history 1d --out percentiles.json`.',
      code: 'INPUT_INVALID',
    });
  }
  return raw;
}

/** Builds the assessment from files (offline) or from Redis (the inventory store and the rollup's points). */
export async function assess(config: CollectorConfig, o: AssessOptions, log: Logger, now = Date.now()): Promise<Assessment> {
  const properties = resolveProperties(config, o);
  const catalog = loadCatalog(properties.targetRegion, {
    vmSizes: o.vmSizes ?? config.assessment.catalog.vmSizes,
    diskTiers: o.diskTiers ?? config.assessment.catalog.diskTiers,
  });
  const asOf = o.asOf;
  if (o.inventory || o.percentiles) {
    if (!o.inventory)
      throw new UserError('--percentiles needs --inventory as well.', {
        fix: 'Give both files, or neither to read from Redis.',
        code: 'BAD_OPTION',
      });
    let machines = readInventoryFile(o.inventory);
    if (o.group) {
      const redis = await connectRedis(config, { name: 'collector-assess' });
      try {
        machines = inGroup(machines, await readGroup(redis, config.redis.prefix, o.group), log);
      } finally {
        redis.disconnect();
      }
    }
    const percentiles = o.percentiles ? readPercentilesFile(o.percentiles) : null;
    if (percentiles && percentiles.history !== properties.history) {
      log.warn(
        `the percentile report covers ${percentiles.history} but the assessment property history is ${properties.history}; the report's window is what was measured`,
      );
    }
    return buildAssessment({ machines, percentiles, properties, catalog, asOf: asOf ?? percentiles?.asOf ?? now, generatedAt: now });
  }
  const redis = await connectRedis(config, { name: 'collector-assess' });
  try {
    let machines = await new InventoryStore(redis, config.redis.prefix).machines();
    if (o.group) machines = inGroup(machines, await readGroup(redis, config.redis.prefix, o.group), log);
    if (machines.length === 0) {
      log.warn('the inventory in Redis is empty: run `collector run` (or `collector discover`) first; the assessment has no machines');
    }
    const percentiles = await computePercentiles(redis, config.redis.prefix, machines, { asOf: asOf ?? now, history: properties.history });
    return buildAssessment({ machines, percentiles, properties, catalog, asOf: percentiles.asOf, generatedAt: now });
  } finally {
    redis.disconnect();
  }
}

async function readGroup(redis: Redis, prefix: string, name: string): Promise<MigrationGroup> {
  const g = await new GroupStore(redis, prefix).get(name);
  if (!g)
    throw new UserError(`--group: there is no group named ${JSON.stringify(name)}.`, {
      fix: 'List the groups with `collector groups list`; save one with `collector groups save NAME --machines a,b`.',
      code: 'BAD_OPTION',
    });
  return g;
}

/** The machines of the group (matched by id, or by name for members saved by name); members not discovered are warned about. */
export function inGroup(machines: Machine[], g: MigrationGroup, log: Logger): Machine[] {
  const members = new Set(g.machines);
  const out = machines.filter((m) => members.has(m.id) || members.has(m.name));
  const found = new Set(out.flatMap((m) => [m.id, m.name]));
  const missing = g.machines.filter((x) => !found.has(x));
  if (missing.length > 0) log.warn(`group ${g.name}: ${missing.length} member(s) not in the inventory: ${missing.slice(0, 10).join(', ')}`);
  return out;
}

/** Reads an assessment JSON file and checks it against schemas/assessment.schema.json. */
export function readAssessmentFile(file: string): Assessment {
  const raw = readInputFile('--assessment', file);
  const errors = schemaErrors('assessment', raw);
  if (errors.length > 0) {
    throw new UserError(`--assessment: ${file} does not match schemas/assessment.schema.json: ${errors.slice(0, 3).join('; ')}.`, {
      fix: 'Write it with `collector assess --config FILE --out assessment.json` (same version of collector).',
      code: 'INPUT_INVALID',
    });
  }
  return raw as Assessment;
}

/** Puts the assessment's work for Azure in the outbox (import file, ingestion batches); work already there or already imported is not added twice. */
export async function enqueueAssessment(
  config: CollectorConfig,
  a: Assessment,
  opts: { withPoints?: boolean } = {},
): Promise<EnqueueSummary> {
  const redis = await connectRedis(config, { name: 'collector-outbox' });
  try {
    return await enqueuePlan(redis, config, await buildPlan(redis, config, a, opts.withPoints ?? false));
  } finally {
    redis.disconnect();
  }
}
