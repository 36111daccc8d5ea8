// `collector collect --once` on a linux source takes two readings one poll interval apart and says it waits.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstate } from '../../../lab/estate.js';
import { newClientKey, startLinuxLab, type LinuxLab } from '../../../lab/linux/index.js';
import { runCli } from '../../helpers/cli.js';

describe('collector collect --once on a linux source', () => {
  let lab: LinuxLab;
  const dir = mkdtempSync(join(tmpdir(), 'ac-once-'));
  const key = newClientKey();
  const estate = loadEstate('lab/estates/sample.yaml');

  beforeAll(async () => {
    lab = await startLinuxLab({ estate, users: [{ username: 'collector', publicKey: key.blob }] });
    writeFileSync(join(dir, 'known_hosts'), lab.knownHosts());
    writeFileSync(join(dir, 'id'), key.pem, { mode: 0o600 });
    writeFileSync(
      join(dir, 'c.yaml'),
      `redis: { url: redis://127.0.0.1:6379/12, prefix: test-linux-once }\nsources:\n  - name: lnx\n    kind: linux\n    hosts: [${lab.endpoints.map((e) => `"${e.address}"`).join(', ')}]\n    username: collector\n    privateKey: { file: ${join(dir, 'id')} }\n    hostKeys: { file: ${join(dir, 'known_hosts')} }\n`,
    );
  });
  afterAll(async () => {
    await lab?.close();
  });

  it('prints that it waits for the second reading, then writes one sample per series', async () => {
    const started = Date.now();
    const r = await runCli(['collect', '--once', '--config', join(dir, 'c.yaml'), '--out', join(dir, 's.ndjson')], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/lnx: first reading \(rates need two\): 0 sample\(s\)/);
    expect(r.stderr).toMatch(/lnx: waiting 30 s for the second reading/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(29_000);
    const lines = readFileSync(join(dir, 's.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { machine: string; metric: string; intervalSec: number });
    const perServer = (s: (typeof estate.servers)[number]) => 2 + 4 * s.disks.length + 2 * s.nics.length;
    expect(lines.length).toBe(lab.endpoints.reduce((n, e) => n + perServer(e.sim.server), 0));
    for (const l of lines) expect(l.intervalSec).toBe(30);
  }, 100_000);
});
