// `collector lab vcenter` as a user runs it (the built CLI): prints where it listens and how to trust
// and log in, serves until Ctrl+C, and explains what is missing when it cannot start.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../../helpers/cli.js';
import { RawVim } from './soap-helpers.js';

const clients: RawVim[] = [];
afterAll(async () => {
  for (const c of clients) await c.close();
});

describe('collector lab vcenter', () => {
  it('prints URL, thumbprint and login hint, serves logins, and stops cleanly on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'lab',
        'vcenter',
        '--estate',
        'lab/estates/sample.yaml',
        '--port',
        '0',
        '--user',
        'cli@vsphere.local',
        '--password-env',
        'E1_LAB_PW',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, E1_LAB_PW: 'cli-secret-1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner in time; stderr: ${err}`)), 30_000);
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('press Ctrl+C')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('close', () => reject(new Error(`exited early: ${err}`)));
      });
      const url = /at (https:\/\/127\.0\.0\.1:\d+\/sdk)/.exec(out)![1]!;
      expect(out).toMatch(/certificate SHA-256 thumbprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
      expect(out).toContain('$E1_LAB_PW');
      expect(out).not.toContain('cli-secret-1');
      const c = new RawVim(url);
      clients.push(c);
      expect((await c.login('cli@vsphere.local', 'cli-secret-1')).fault).toBeUndefined();
      expect((await c.call('CurrentTime', 'ServiceInstance', 'ServiceInstance')).fault).toBeUndefined();
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('lab vCenter stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('says which variable to set when the password is missing', async () => {
    const env = { ...process.env };
    delete env.LAB_VCENTER_PASSWORD;
    const r = await runCli(['lab', 'vcenter', '--estate', 'lab/estates/sample.yaml', '--port', '0'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LAB_VCENTER_PASSWORD');
    expect(r.stderr).toMatch(/fix: export LAB_VCENTER_PASSWORD=/);
  });

  it('names the estate vCenters when asked for one that is not there', async () => {
    const r = await runCli(['lab', 'vcenter', '--estate', 'lab/estates/sample.yaml', '--port', '0', '--vcenter', 'vc99'], {
      env: { ...process.env, LAB_VCENTER_PASSWORD: 'x' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('vc99');
    expect(r.stderr).toContain('vc01');
  });
});
