import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { CLI, ROOT, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { REDIS_BASE, tempDir, uniquePrefix, writeConfig } from './fixtures.js';

const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

describe('deployment files', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<
      string,
      { image?: string; build?: string; command?: string[]; ports?: string[]; volumes?: string[]; depends_on?: Record<string, unknown> }
    >;
  };

  it('compose has Redis, the appliance running lab up, and upstream vcsim as a second vCenter', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['appliance', 'redis', 'vcsim']);
    expect(compose.services.vcsim!.image).toMatch(/^vmware\/vcsim/);
    expect(compose.services.appliance!.build).toBe('.');
    expect(compose.services.appliance!.ports).toContain('44368:44368');
    expect(compose.services.appliance!.command!.slice(0, 2)).toEqual(['lab', 'up']);
    expect(Object.keys(compose.services.appliance!.depends_on!)).toEqual(['redis', 'vcsim']);
  });

  it('every option the compose command passes to lab up exists, and the extra sources file is a valid source list', async () => {
    const help = await runCli(['lab', 'up', '--help']);
    expect(help.code).toBe(0);
    for (const arg of compose.services.appliance!.command!.filter((a) => a.startsWith('--'))) expect(help.stdout).toContain(arg);
    const extra = parse(readFileSync(join(ROOT, 'deploy/compose/extra-sources.yaml'), 'utf8'));
    const cfg = parseConfig({ sources: extra });
    expect(cfg.sources.map((s) => s.name)).toEqual(['vcsim']);
    const mount = compose.services.appliance!.volumes!.find((v) => v.includes('extra-sources.yaml'))!;
    expect(mount.split(':')[0]).toBe('./deploy/compose/extra-sources.yaml');
  });

  it.skipIf(!composePlugin)('docker compose config accepts the file (skipped: the docker compose plugin is not installed here)', () => {
    const out = execFileSync('docker', ['compose', '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(out).toBe('');
  });

  it('the Dockerfile runs the built CLI as an unprivileged user and ships the data files the code reads at run time', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM node:20-/m);
    expect(text).toMatch(/^USER collector$/m);
    expect(text).toMatch(/^EXPOSE 44368$/m);
    for (const path of ['lab/estates', 'assessment/catalog', 'schemas', 'bin', 'dist']) expect(text).toContain(`/app/${path} `);
  });

  it('the Dockerfile installs as the set-up scripts do: npm install honouring the lock, never npm ci (this lock cannot pass it)', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const runs = text.split('\n').filter((l) => /^RUN /.test(l));
    expect(runs.some((l) => /npm install --no-audit --no-fund --ignore-scripts/.test(l))).toBe(true);
    const instructions = text.split('\n').filter((l) => !l.startsWith('#'));
    expect(instructions.filter((l) => /npm ci\b/.test(l))).toEqual([]);
    expect(text).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    // The certificate is made with node:crypto; nothing in the image calls openssl.
    expect(text).not.toMatch(/apt-get install[^\n]*\bopenssl\b/);
  });

  it('the HEALTHCHECK command passes against a running web app (self-signed certificate) and fails when nothing answers', async () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const m = /^HEALTHCHECK [^\n]*CMD (\[.*\])$/m.exec(text);
    expect(m, 'HEALTHCHECK ... CMD ["node", ...] in exec form').not.toBeNull();
    const cmd = JSON.parse(m?.[1] ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    // The image's install folder is this checkout; the port is an argument because the test cannot take 44368.
    const script = (cmd[1] ?? '').replace(/^\/opt\/assessment-collector\//, `${ROOT}/`);
    const check = (port: number) =>
      spawnSync(process.execPath, [script, ...cmd.slice(2), String(port)], { encoding: 'utf8', timeout: 10_000 });

    const tmp = tempDir('healthcheck');
    const prefix = uniquePrefix('health');
    const port = await freePort();
    const config = writeConfig(
      tmp.dir,
      `redis: { url: ${REDIS_BASE}/10, prefix: ${prefix} }\nweb: { port: ${port}, host: 127.0.0.1, dataDir: data }\nsources: []\n`,
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--no-collect', '--no-status', '--log-format', 'json'], {
      cwd: tmp.dir,
      env: { ...process.env, COLLECTOR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let exited = false;
    child.stderr?.on('data', (d) => (stderr += d));
    child.once('exit', () => (exited = true));
    try {
      let r = check(port);
      for (let i = 0; i < 60 && r.status !== 0 && !exited; i++) {
        await new Promise((res) => setTimeout(res, 500));
        r = check(port);
      }
      expect(r.status, `${r.stderr}${exited ? ` (collector run exited: ${stderr})` : ''}`).toBe(0);
      // What the Dockerfile used to run: fetch() refuses the self-signed certificate, so the container was never healthy.
      const old = spawnSync(
        process.execPath,
        ['-e', `fetch('https://127.0.0.1:${port}/healthz').then(()=>process.exit(0),()=>process.exit(1))`],
        { timeout: 10_000 },
      );
      expect(old.status).toBe(1);
    } finally {
      if (!exited) {
        child.kill('SIGTERM');
        await new Promise((res) => child.once('exit', res));
      }
      const redis = new Redis(`${REDIS_BASE}/10`, { maxRetriesPerRequest: 3 });
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      tmp.cleanup();
    }
    const down = check(port);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/ECONNREFUSED/);
  });

  it('the systemd unit runs collector run as the collector user with hardening', () => {
    const unit = readFileSync(join(ROOT, 'deploy/assessment-collector.service'), 'utf8');
    const keys = new Map(
      unit
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(keys.get('Type')).toMatch(/^(simple|notify)$/);
    expect(keys.get('User')).toBe('collector');
    expect(keys.get('EnvironmentFile')).toBe('-/etc/assessment-collector/environment');
    expect(keys.get('ExecStart')).toContain('collector.js run --config /etc/assessment-collector/config.yaml');
    for (const k of [
      'NoNewPrivileges',
      'ProtectSystem',
      'PrivateTmp',
      'ProtectHome',
      'RestrictAddressFamilies',
      'SystemCallFilter',
      'CapabilityBoundingSet',
    ])
      expect(keys.has(k), k).toBe(true);
  });

  it.skipIf(!systemdAnalyze)('systemd-analyze verify accepts the unit', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/assessment-collector.service')], { encoding: 'utf8' });
    // Complaints about the unit itself name its file; a missing /usr/bin/node on a build machine is not the unit's fault.
    const problems = `${r.stdout}${r.stderr}`
      .split('\n')
      .filter((l) => l.includes('assessment-collector.service') && !/Command \/usr\/bin\/node is not executable/.test(l));
    expect(problems).toEqual([]);
  });
});
