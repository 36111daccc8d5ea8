import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { Sample } from '../../../model/index.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { closedPort, schemaValidator } from './helpers/lab.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { startSim, type Sim } from './helpers/sim.js';

const validateInventory = schemaValidator('inventory');
const validateSample = schemaValidator('sample');

describe.skipIf(requirePeer(PEERS.govmomiSim))('collector discover / collect (built CLI) against the simulator', () => {
  let sim: Sim;
  let dir: string;
  let deadPort: number;
  const env = { VC_LAB_PASSWORD: '' };

  const source = (name: string, port: number, extra = '') => `
  - name: ${name}
    kind: vcenter
    url: https://127.0.0.1:${port}/sdk
    username: ${sim.username}
    password: { env: VC_LAB_PASSWORD }
    tls: { thumbprint: "${sim.thumbprint}" }
    timeoutSec: 10${extra}`;

  beforeAll(async () => {
    sim = await startSim({ datacenters: 2, clusters: 1, clusterHosts: 2, hosts: 1, vms: 2, poweredOff: 0.25, templates: 1 });
    env.VC_LAB_PASSWORD = sim.password;
    dir = mkdtempSync(join(tmpdir(), 'vc-cli-'));
    deadPort = await closedPort();
    writeFileSync(
      join(dir, 'good.yaml'),
      `sources:${source('lab-vc', sim.port, '\n    inventory: { pageSize: 10 }')}${source('gone-vc', deadPort)}\n`,
    );
    writeFileSync(join(dir, 'bad.yaml'), `sources:${source('gone-vc', deadPort)}\n`);
  });
  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discover writes every source and machine; a failing source is reported and the others still run', async () => {
    const out = join(dir, 'inventory.json');
    const r = await runCli(['discover', '--config', join(dir, 'good.yaml'), '--out', out], { env });
    // One of two sources failed: the inventory is written, the exit code says so (issue 10, finding 8).
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error: discovery failed for 1 of 2 source\(s\): gone-vc/);
    const inv = JSON.parse(readFileSync(out, 'utf8'));
    expect(validateInventory(inv), JSON.stringify(validateInventory.errors)).toBe(true);
    const good = inv.sources.find((s: { name: string }) => s.name === 'lab-vc');
    const gone = inv.sources.find((s: { name: string }) => s.name === 'gone-vc');
    expect(good.machines).toBe(sim.vms);
    expect(good.templatesSkipped).toBe(sim.templates);
    expect(good.errors).toEqual([]);
    expect(gone.errors.join(' ')).toMatch(new RegExp(`cannot reach 127.0.0.1:${deadPort}`));
    expect(inv.machines).toHaveLength(sim.vms);
    expect(r.stderr).toMatch(/gone-vc: FAILED/);
    expect(r.stdout + r.stderr + readFileSync(out, 'utf8')).not.toContain(sim.password);
  });

  it('discover exits non-zero when every source fails', async () => {
    const r = await runCli(['discover', '--config', join(dir, 'bad.yaml'), '--out', join(dir, 'bad.json')], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/discovery failed for (\d+) of \1 source/);
  });

  it('collect --once writes schema-valid samples; a second run with --state-dir repeats none', async () => {
    const cfg = join(dir, 'one.yaml');
    writeFileSync(cfg, `sources:${source('lab-vc', sim.port)}\n`);
    const state = join(dir, 'state');
    const first = join(dir, 's1.ndjson');
    const r1 = await runCli(['collect', '--config', cfg, '--once', '--state-dir', state, '--out', first], { env });
    expect(r1.code, r1.stderr).toBe(0);
    const lines1 = readFileSync(first, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines1.length).toBeGreaterThan(1000); // the backfilled hour
    for (const s of lines1) expect(validateSample(s), JSON.stringify(validateSample.errors)).toBe(true);

    await sim.control('/lab/clock?advance=60');
    const second = join(dir, 's2.ndjson');
    const r2 = await runCli(['collect', '--config', cfg, '--once', '--state-dir', state, '--out', second], { env });
    expect(r2.code, r2.stderr).toBe(0);
    const lines2 = readFileSync(second, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines2.length).toBeGreaterThan(0);
    const key = (s: Pick<Sample, 'machine' | 'metric' | 'instance' | 'ts'>) => `${s.machine}|${s.metric}|${s.instance}|${s.ts}`;
    const seen = new Set(lines1.map(key));
    for (const s of lines2) expect(seen.has(key(s))).toBe(false);
    const newest = Math.max(...lines1.map((s) => s.ts));
    expect(Math.min(...lines2.map((s) => s.ts))).toBeGreaterThan(newest - 20_000 * 4);
  });

  it('collect without --once polls on its cadence until SIGINT, then closes the session and exits 0', async () => {
    const cfg = join(dir, 'loop.yaml');
    writeFileSync(cfg, `sources:${source('lab-vc', sim.port)}\n`);
    const out = join(dir, 'loop.ndjson');
    const child = spawn(process.execPath, [CLI, 'collect', '--config', cfg, '--out', out], {
      env: { ...process.env, ...env, COLLECTOR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const firstPoll = new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (/lab-vc: \d+ sample/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await firstPoll;
    await sim.control('/lab/stats?reset=1');
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(killer);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/stopped; \d+ sample\(s\) written/);
    expect((await sim.control('/lab/stats')).calls.Logout).toBe(1);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(1000);
    for (const l of lines.slice(0, 50)) expect(validateSample(JSON.parse(l))).toBe(true);
  });
});
