// Issue 10, finding 2 for the one-shot commands: `collector discover` and `collector collect --once` against a
// peer that sends headers and then one byte every 2 s must end, naming the deadline, and exit non-zero.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeConfig } from '../appliance/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { startHostileVim, type HostileVim } from './peers/vim25.js';

const tmp = tempDir('hostile-cli');
let peer: HostileVim;
let config = '';

beforeAll(async () => {
  peer = await startHostileVim('trickle', { trickleMs: 2000 });
  writeFileSync(join(tmp.dir, 'pw'), 'x\n', { mode: 0o600 });
  config = writeConfig(
    tmp.dir,
    `redis: { url: redis://127.0.0.1:6379/14 }
sources:
  - name: trickle
    kind: vcenter
    url: ${peer.url}
    username: u
    password: { file: ${join(tmp.dir, 'pw')} }
    tls: { thumbprint: "${peer.thumbprint}" }
    timeoutSec: 5
`,
  );
});

afterAll(async () => {
  await peer?.close();
  tmp.cleanup();
});

describe('one-shot commands against a trickling vCenter', () => {
  it('discover ends at the per-request deadline and exits non-zero', async () => {
    const started = Date.now();
    const r = await runCli(['discover', '--config', config, '--out', join(tmp.dir, 'inv.json')], { timeoutMs: 60_000 });
    const ms = Date.now() - started;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull(); // not killed by runCli's own timer
    expect(r.stderr).toMatch(/trickle: FAILED: .*did not complete its answer to RetrieveServiceContent within timeoutSec=5 s\./);
    expect(ms).toBeLessThan(20_000);
  });

  it('collect --once ends too', async () => {
    const started = Date.now();
    const r = await runCli(['collect', '--config', config, '--once', '--out', join(tmp.dir, 'samples.ndjson')], { timeoutMs: 60_000 });
    const ms = Date.now() - started;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(/trickle: FAILED: .*within timeoutSec=5 s\./);
    expect(ms).toBeLessThan(20_000);
  });
});
