// `collector software`, `collector dependencies` and `collector groups`: what the guest readers stored in Redis
// (software inventories, hourly dependency edges), exported for people and turned into migration groups.
import { UserError } from '../../common/errors.js';
import type { CollectorConfig } from '../../config/load.js';
import { connectRedis } from '../../queue/redis-connect.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { GROUP_NAME, GroupStore, type MigrationGroup } from '../../assessment/group-store.js';
import { parsePortList, suggestGroups, type GroupSuggestion } from '../../assessment/groups.js';
import { dependencyExport, softwareExport, toDependencyCsv, toSoftwareCsv } from '../../assessment/guest-exports.js';
import { parseTimeArg } from '../time-arg.js';
import type { Redis } from 'ioredis';

/** The range an export or a suggestion covers: --from/--to, by default the 30 days the dependency store keeps. */
export function rangeOf(o: { from?: string; to?: string }, now = Date.now()): { from: number; to: number } {
  const to = o.to === undefined ? now : parseTimeArg('--to', o.to);
  const from = o.from === undefined ? to - 30 * 24 * 3_600_000 : parseTimeArg('--from', o.from);
  if (from >= to)
    throw new UserError(`--from must be before --to (${new Date(from).toISOString()} >= ${new Date(to).toISOString()}).`, {
      fix: 'Give --from earlier than --to.',
      code: 'BAD_OPTION',
    });
  return { from, to };
}

function formatOf(value: string | undefined, allowed: string[]): string {
  const f = value ?? allowed[0];
  if (!f || !allowed.includes(f))
    throw new UserError(`--format: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}.`, {
      fix: `Use --format ${allowed.join(' or --format ')}.`,
      code: 'BAD_OPTION',
    });
  return f;
}

async function withRedis<T>(config: CollectorConfig, name: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = await connectRedis(config, { name });
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function machineNames(redis: Redis, prefix: string): Promise<Map<string, string>> {
  return new Map((await new InventoryStore(redis, prefix).machines()).map((m) => [m.id, m.name]));
}

/** `collector software`: the text of the export (JSON per schemas/software.schema.json, or CSV). */
export async function softwareExportText(config: CollectorConfig, o: { format?: string }): Promise<{ text: string; machines: number }> {
  const format = formatOf(o.format, ['json', 'csv']);
  return withRedis(config, 'collector-software', async (redis) => {
    const all = await new SoftwareStore(redis, config.redis.prefix).all();
    const names = await machineNames(redis, config.redis.prefix);
    const text = format === 'csv' ? toSoftwareCsv(all, names) : `${JSON.stringify(softwareExport(all, names), null, 2)}\n`;
    return { text, machines: all.length };
  });
}

/** `collector dependencies`: Azure Migrate's dependency export layout (CSV) or JSON (schemas/dependencies.schema.json). */
export async function dependencyExportText(
  config: CollectorConfig,
  o: { format?: string; from?: string; to?: string },
): Promise<{ text: string; edges: number }> {
  const format = formatOf(o.format, ['csv', 'json']);
  const range = rangeOf(o);
  return withRedis(config, 'collector-dependencies', async (redis) => {
    const edges = await new DependencyStore(redis, config.redis.prefix).edges(range.from, range.to);
    const names = await machineNames(redis, config.redis.prefix);
    const text = format === 'csv' ? toDependencyCsv(edges, names) : `${JSON.stringify(dependencyExport(edges, names, range), null, 2)}\n`;
    return { text, edges: edges.length };
  });
}

export interface SuggestOptions {
  from?: string;
  to?: string;
  minPolls?: string;
  ignorePorts?: string;
}

/** `collector groups suggest`: connected components of the dependency graph over the range. */
export async function suggest(
  config: CollectorConfig,
  o: SuggestOptions,
): Promise<GroupSuggestion & { names: Record<string, string>; options: { minPolls: number; ignorePorts: number[] } }> {
  const range = rangeOf(o);
  const minPolls = o.minPolls === undefined ? config.groups.minPolls : Number(o.minPolls);
  if (!Number.isInteger(minPolls) || minPolls < 1)
    throw new UserError(`--min-polls: ${JSON.stringify(o.minPolls)} is not a positive whole number.`, {
      fix: 'Give the number of 5-minute polls an edge needs, e.g. --min-polls 3.',
      code: 'BAD_OPTION',
    });
  let ignorePorts: number[] = config.groups.ignorePorts;
  if (o.ignorePorts !== undefined) {
    try {
      ignorePorts = parsePortList(o.ignorePorts);
    } catch {
      throw new UserError(`--ignore-ports: ${JSON.stringify(o.ignorePorts)} is not a list of ports.`, {
        fix: 'Give comma-separated TCP ports, e.g. --ignore-ports 53,123,88,389 (an empty string ignores none).',
        code: 'BAD_OPTION',
      });
    }
  }
  return withRedis(config, 'collector-groups', async (redis) => {
    const edges = await new DependencyStore(redis, config.redis.prefix).edges(range.from, range.to);
    const names = await machineNames(redis, config.redis.prefix);
    const s = suggestGroups(edges, { ignorePorts, minPolls }, names.size > 0 ? [...names.keys()] : undefined);
    const shown = new Set([...s.groups.flatMap((g) => g.machines), ...s.standalone]);
    return { ...s, names: Object.fromEntries([...shown].map((id) => [id, names.get(id) ?? id])), options: { minPolls, ignorePorts } };
  });
}

export function formatSuggestion(s: Awaited<ReturnType<typeof suggest>>): string {
  const name = (id: string) => s.names[id] ?? id;
  const lines = s.groups.map(
    (g) =>
      `${g.name}: ${g.machines.map(name).join(', ')}\n${g.links.map((l) => `  ${name(l.a)} <-> ${name(l.b)}  ports ${l.ports.join(',')}  ${l.polls} polls`).join('\n')}`,
  );
  if (s.standalone.length > 0) lines.push(`no dependency (own group): ${s.standalone.map(name).join(', ')}`);
  lines.push(
    `(minimum ${s.options.minPolls} polls; ignored: ${s.ignored.ignoredPort} edge(s) on shared-infrastructure ports, ${s.ignored.belowMinPolls} machine pair(s) below the minimum, ${s.ignored.undiscoveredPeer} edge(s) to or from undiscovered addresses)`,
  );
  return `${lines.join('\n')}\n`;
}

/** Machine names given on the command line become ids where the inventory knows them. */
export async function saveGroup(
  config: CollectorConfig,
  name: string,
  machines: string[],
): Promise<{ group: MigrationGroup; unknown: string[] }> {
  if (!GROUP_NAME.test(name))
    throw new UserError(`group name ${JSON.stringify(name)} is not allowed.`, {
      fix: 'Use letters, digits, ".", "_" and "-" (up to 64), starting with a letter or digit.',
      code: 'BAD_OPTION',
    });
  if (machines.length === 0)
    throw new UserError('a group needs machines.', { fix: 'Give --machines web01,app01,db01 (names or ids).', code: 'BAD_OPTION' });
  return withRedis(config, 'collector-groups', async (redis) => {
    const inventory = await new InventoryStore(redis, config.redis.prefix).machines();
    const unknown: string[] = [];
    const ids = machines.map((x) => {
      const byId = inventory.find((m) => m.id === x);
      if (byId) return byId.id;
      const byName = inventory.filter((m) => m.name === x);
      if (byName.length === 1 && byName[0]) return byName[0].id;
      unknown.push(x);
      return x;
    });
    return { group: await new GroupStore(redis, config.redis.prefix).save(name, ids), unknown };
  });
}

export async function listGroups(config: CollectorConfig): Promise<MigrationGroup[]> {
  return withRedis(config, 'collector-groups', (redis) => new GroupStore(redis, config.redis.prefix).list());
}

export async function getGroup(config: CollectorConfig, name: string): Promise<MigrationGroup | null> {
  return withRedis(config, 'collector-groups', (redis) => new GroupStore(redis, config.redis.prefix).get(name));
}

export async function removeGroup(config: CollectorConfig, name: string): Promise<boolean> {
  return withRedis(config, 'collector-groups', (redis) => new GroupStore(redis, config.redis.prefix).remove(name));
}
