// `collector software`, `collector dependencies`, `collector groups` and `collector assess --group` against Redis,
// with software and edges written through the guest stores (as the pollers write them).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaErrors } from '../../assessment/schemas.js';
import type { ConnectionSnapshot, TcpSocket } from '../../model/guest.js';
import { InventoryStore } from '../../queue/inventory-store.js';
import { createRedis } from '../../queue/redis.js';
import { SoftwareStore } from '../../queue/software-store.js';
import { DependencyStore } from '../../rollup/dependency-store.js';
import { runCli } from '../helpers/cli.js';
import { redisSettings } from '../helpers/redis-settings.js';
import { machine } from './helpers/machines.js';

const REDIS_URL = 'redis://127.0.0.1:6379/12';
const prefix = `test-guest-cli-${randomUUID().slice(0, 8)}`;
const dir = mkdtempSync(join(tmpdir(), 'guest-cli-'));
const config = join(dir, 'collector.yaml');
const T0 = Date.UTC(2026, 11, 1, 10);
const POLL = 300_000;

const IPS: Record<string, string> = { web01: '10.1.0.1', app01: '10.1.0.2', db01: '10.1.0.3', dc01: '10.1.0.9', lone01: '10.1.0.7' };
const idOf = (name: string) => `vmware:vc01:${name}`;
const proc = (name: string, pid = 100) => ({ pid, name, path: null, args: null });
const listen = (port: number, name: string): TcpSocket => ({
  state: 'listen',
  localIp: '0.0.0.0',
  localPort: port,
  remoteIp: '0.0.0.0',
  remotePort: 0,
  process: proc(name),
});
const conn = (from: string, to: string, port: number, name: string, ephemeral: number): TcpSocket => ({
  state: 'established',
  localIp: IPS[from] as string,
  localPort: ephemeral,
  remoteIp: IPS[to] as string,
  remotePort: port,
  process: proc(name),
});

function snapshots(ts: number): ConnectionSnapshot[] {
  const dns = (m: string) => conn(m, 'dc01', 53, 'resolver', 50_000);
  return [
    { machine: idOf('web01'), ts, notes: [], sockets: [listen(443, 'nginx'), conn('web01', 'app01', 8080, 'nginx', 40_001), dns('web01')] },
    { machine: idOf('app01'), ts, notes: [], sockets: [listen(8080, 'java'), conn('app01', 'db01', 5432, 'java', 40_002), dns('app01')] },
    { machine: idOf('db01'), ts, notes: [], sockets: [listen(5432, 'postgres'), dns('db01')] },
    { machine: idOf('dc01'), ts, notes: [], sockets: [listen(53, 'named')] },
    {
      machine: idOf('lone01'),
      ts,
      notes: [],
      sockets: [dns('lone01'), { ...conn('lone01', 'web01', 443, '=curl', 40_003), remoteIp: '198.51.100.4' }],
    },
  ];
}

beforeAll(async () => {
  writeFileSync(config, `redis: { url: ${REDIS_URL}, prefix: ${prefix} }\n`);
  const redis = createRedis(redisSettings(REDIS_URL, prefix));
  try {
    const machines = Object.entries(IPS).map(([name, ip]) => machine({ name, ipAddresses: [ip] }));
    await new InventoryStore(redis, prefix).save(
      {
        name: 'vc01',
        kind: 'vcenter',
        endpoint: 'vc01.lab:443',
        about: {},
        machines: machines.length,
        templatesSkipped: 0,
        discoveredAt: new Date(T0).toISOString(),
        errors: [],
      },
      machines,
    );
    const software = new SoftwareStore(redis, prefix);
    await software.save({
      machine: idOf('web01'),
      collectedAt: new Date(T0).toISOString(),
      os: 'linux',
      applications: [
        { name: 'nginx', version: '1.18.0', publisher: 'Ubuntu Developers', source: 'dpkg' },
        { name: '=HYPERLINK("http://x")', version: '1', publisher: null, source: 'dpkg' },
      ],
      features: [],
      sqlInstances: [],
      notes: ['rpm: not installed'],
    });
    const deps = new DependencyStore(redis, prefix);
    const byIp = new Map(Object.entries(IPS).map(([name, ip]) => [ip, idOf(name)]));
    // Three 5-minute polls in one hour, one in the next.
    for (const ts of [T0, T0 + POLL, T0 + 2 * POLL, T0 + 3_600_000]) {
      for (const s of snapshots(ts)) await deps.record(s, { machineOfIp: (ip) => byIp.get(ip) ?? null });
    }
  } finally {
    redis.disconnect();
  }
});

afterAll(async () => {
  const r = createRedis(redisSettings(REDIS_URL, prefix));
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length > 0) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli([...args, '--config', config], { timeoutMs: 60_000 });

describe('guest exports and groups from the command line', () => {
  it('collector software: JSON valid against its schema, CSV with neutralised cells', async () => {
    const json = await cli('software', '--out', join(dir, 'software.json'));
    expect(json.stderr).toContain('1 machine(s)');
    expect(json.code).toBe(0);
    const doc = JSON.parse(readFileSync(join(dir, 'software.json'), 'utf8'));
    expect(schemaErrors('software', doc)).toEqual([]);
    expect(doc.machines[0]).toMatchObject({ machine: idOf('web01'), machineName: 'web01', notes: ['rpm: not installed'] });
    const csv = await cli('software', '--format', 'csv');
    expect(csv.code).toBe(0);
    expect(parse(csv.stdout)).toEqual([
      ['machine', 'name', 'version', 'publisher', 'source'],
      ['web01', 'nginx', '1.18.0', 'Ubuntu Developers', 'dpkg'],
      ['web01', `'=HYPERLINK("http://x")`, '1', '', 'dpkg'],
    ]);
  });

  it('collector dependencies: the Azure Migrate CSV layout over --from/--to, and JSON valid against its schema', async () => {
    const r = await cli(
      'dependencies',
      '--from',
      new Date(T0).toISOString(),
      '--to',
      String(T0 + 3_600_000),
      '--out',
      join(dir, 'deps.csv'),
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(readFileSync(join(dir, 'deps.csv'), 'utf8')) as string[][];
    expect(rows[0]?.[0]).toBe('Time slot');
    expect(rows[0]).toHaveLength(10);
    const hour = rows.slice(1);
    expect(hour.every((x) => x[0] === '2026-12-01T10:00:00.000Z')).toBe(true);
    expect(hour).toContainEqual(['2026-12-01T10:00:00.000Z', 'web01', '10.1.0.1', '', 'nginx', 'app01', '10.1.0.2', '', 'java', '8080']);
    expect(hour).toContainEqual(['2026-12-01T10:00:00.000Z', 'app01', '10.1.0.2', '', 'java', 'db01', '10.1.0.3', '', 'postgres', '5432']);
    expect(hour).toContainEqual(['2026-12-01T10:00:00.000Z', 'lone01', '10.1.0.7', '', "'=curl", '', '198.51.100.4', '', '', '443']);
    const json = await cli('dependencies', '--from', String(T0), '--to', String(T0 + 2 * 3_600_000), '--format', 'json');
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(schemaErrors('dependencies', doc)).toEqual([]);
    const webApp = doc.edges.filter(
      (e: { sourceServerName: string; destinationPort: number }) => e.sourceServerName === 'web01' && e.destinationPort === 8080,
    );
    expect(webApp.map((e: { polls: number }) => e.polls)).toEqual([3, 1]);
  });

  it('collector groups suggest: web, app and db in one group; DNS ignored by default, joins everything when not ignored', async () => {
    const range = ['--from', String(T0), '--to', String(T0 + 2 * 3_600_000)];
    const text = await cli('groups', 'suggest', ...range);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('suggested-1: app01, db01, web01');
    const json = JSON.parse((await cli('groups', 'suggest', ...range, '--format', 'json')).stdout);
    expect(json.groups.map((g: { machines: string[] }) => g.machines)).toEqual([[idOf('app01'), idOf('db01'), idOf('web01')]]);
    expect(json.standalone).toEqual([idOf('dc01'), idOf('lone01')]);
    const noIgnore = JSON.parse((await cli('groups', 'suggest', ...range, '--format', 'json', '--ignore-ports', '')).stdout);
    expect(noIgnore.groups.map((g: { machines: string[] }) => g.machines.length)).toEqual([5]);
    // 4 polls in all: a minimum of 5 joins nothing.
    const strict = JSON.parse((await cli('groups', 'suggest', ...range, '--format', 'json', '--min-polls', '5')).stdout);
    expect(strict.groups).toEqual([]);
    // --save keeps the suggestions as named groups.
    expect((await cli('groups', 'suggest', ...range, '--save')).code).toBe(0);
    const listed = JSON.parse((await cli('groups', 'list', '--format', 'json')).stdout);
    expect(listed).toEqual([expect.objectContaining({ name: 'suggested-1', machines: [idOf('app01'), idOf('db01'), idOf('web01')] })]);
    expect((await cli('groups', 'remove', 'suggested-1')).code).toBe(0);
    const bad = await cli('groups', 'suggest', '--min-polls', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--min-polls');
  });

  it('groups save/list/remove and assess --group assesses only the group', async () => {
    const saved = await cli('groups', 'save', 'orders', '--machines', 'web01,app01,db01,ghost');
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain('not in the inventory (kept as given): ghost');
    const list = JSON.parse((await cli('groups', 'list', '--format', 'json')).stdout);
    expect(list).toEqual([
      expect.objectContaining({ name: 'orders', machines: [idOf('app01'), idOf('db01'), 'ghost', idOf('web01')].sort() }),
    ]);
    const a = await cli('assess', '--group', 'orders');
    expect(a.code, a.stderr).toBe(0);
    expect(
      JSON.parse(a.stdout)
        .machines.map((m: { name: string }) => m.name)
        .sort(),
    ).toEqual(['app01', 'db01', 'web01']);
    const edit = await cli('groups', 'save', 'orders', '--machines', 'web01');
    expect(edit.code).toBe(0);
    expect(JSON.parse((await cli('assess', '--group', 'orders')).stdout).machines).toHaveLength(1);
    expect((await cli('groups', 'remove', 'orders')).code).toBe(0);
    const gone = await cli('assess', '--group', 'orders');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no group named "orders"');
    expect((await cli('groups', 'remove', 'orders')).code).toBe(2);
  });
});
