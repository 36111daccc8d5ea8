import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { ROOT, runCli } from '../helpers/cli.js';

const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

describe('deployment files', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { image?: string; build?: string; command?: string[]; ports?: string[]; volumes?: string[]; depends_on?: Record<string, unknown> }>;
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
    const out = execFileSync('docker', ['compose', '-f', join(ROOT, 'docker-compose.yml'), 'config', '--quiet'], { encoding: 'utf8', cwd: ROOT });
    expect(out).toBe('');
  });

  it('the Dockerfile runs the built CLI as an unprivileged user and ships the data files the code reads at run time', () => {
    const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM node:20-/m);
    expect(text).toMatch(/^USER collector$/m);
    expect(text).toMatch(/^EXPOSE 44368$/m);
    for (const path of ['lab/estates', 'assessment/catalog', 'schemas', 'bin', 'dist']) expect(text).toContain(`/app/${path} `);
  });

  it('the systemd unit runs collector run as the collector user with hardening', () => {
    const unit = readFileSync(join(ROOT, 'deploy/assessment-collector.service'), 'utf8');
    const keys = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(keys.get('Type')).toMatch(/^(simple|notify)$/);
    expect(keys.get('User')).toBe('collector');
    expect(keys.get('EnvironmentFile')).toBe('-/etc/assessment-collector/environment');
    expect(keys.get('ExecStart')).toContain('collector.js run --config /etc/assessment-collector/config.yaml');
    for (const k of ['NoNewPrivileges', 'ProtectSystem', 'PrivateTmp', 'ProtectHome', 'RestrictAddressFamilies', 'SystemCallFilter', 'CapabilityBoundingSet']) expect(keys.has(k), k).toBe(true);
  });

  it.skipIf(!systemdAnalyze)('systemd-analyze verify accepts the unit', () => {
    const r = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/assessment-collector.service')], { encoding: 'utf8' });
    // Complaints about the unit itself name its file; a missing /usr/bin/node on a build machine is not the unit's fault.
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('assessment-collector.service') && !/Command \/usr\/bin\/node is not executable/.test(l));
    expect(problems).toEqual([]);
  });
});
