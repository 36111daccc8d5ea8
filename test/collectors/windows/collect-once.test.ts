// `collect --once` on sources whose rates need two raw readings (a Windows source and a Hyper-V source,
// in one run): each takes the first, says that it is waiting, takes the second one interval (30 s) later
// and writes the samples (Hyper-V used to write 0 samples without saying why). Real clock: waits 30 s.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { runCollect } from '../../../cli/run/collect.js';
import { createLogger } from '../../../common/log.js';
import { loadEstate } from '../../../lab/estate.js';
import { startHypervLab, type HypervLab } from '../../../lab/hyperv/index.js';
import { startWindowsLab, type WindowsLab } from '../../../lab/windows/index.js';
import { fixtureServers, SEED } from '../../lab/windows/fixtures.js';

let lab: WindowsLab;
let hv: HypervLab;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'win-once-'));
  lab = await startWindowsLab({
    servers: fixtureServers().slice(0, 2),
    seed: SEED,
    users: { collector: 'Once-Passw0rd!' },
    https: false,
    log: createLogger({ level: 'silent' }),
  });
  hv = await startHypervLab({
    estate: loadEstate('lab/estates/sample.yaml'),
    hosts: ['hv03'],
    users: { collector: 'Once-Passw0rd!' },
    https: false,
    log: createLogger({ level: 'silent' }),
  });
});

afterAll(async () => {
  await lab?.close();
  await hv?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('collect --once on Windows and Hyper-V sources', () => {
  it("takes two readings one interval apart, says it is waiting, and writes every server's samples", async () => {
    writeFileSync(join(dir, 'pw'), 'Once-Passw0rd!\n', { mode: 0o600 });
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      stringify({
        redis: { url: 'redis://127.0.0.1:6379/13', prefix: 'win-once' },
        sources: [
          {
            name: 'win',
            kind: 'windows',
            hosts: ['fs01.lab.local', 'legacy02'],
            transport: 'http',
            username: 'collector',
            password: { file: join(dir, 'pw') },
            hostMap: lab.hostMap(),
          },
          {
            name: 'hv',
            kind: 'hyperv',
            host: 'hv03',
            transport: 'http',
            username: 'collector',
            password: { file: join(dir, 'pw') },
            hostMap: hv.hostMap(),
          },
        ],
      }),
    );
    const out = join(dir, 'samples.ndjson');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const started = Date.now();
    try {
      await runCollect({ config: cfg, out, once: true, logLevel: 'silent' });
    } finally {
      spy.mockRestore();
    }
    // Both sources wait in parallel: one interval, not two.
    expect(Date.now() - started).toBeGreaterThanOrEqual(30_000);
    expect(Date.now() - started).toBeLessThan(55_000);
    const text = lines.join('');
    expect(text).toMatch(/win: first reading \(rates need two\): 0 sample\(s\) from 0 machine\(s\)/);
    expect(text).toMatch(/win: waiting 30 s for the second reading\.\.\./);
    expect(text).toMatch(/win: 22 sample\(s\) from 2 machine\(s\)/); // 14 (fs01: 2 disks, 2 NICs) + 8 (legacy02)
    expect(text).toMatch(/hv: first reading \(rates need two\): 0 sample\(s\)/);
    expect(text).toMatch(/hv: waiting 30 s for the second reading\.\.\./);
    expect(text).toMatch(/hv: [1-9]\d* sample\(s\) from [1-9]\d* machine\(s\)/);
    const samples = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { machine: string; intervalSec: number });
    expect(new Set(samples.filter((s) => s.machine.startsWith('physical:')).map((s) => s.machine)).size).toBe(2);
    expect(samples.some((s) => s.machine.startsWith('hyperv:'))).toBe(true);
    expect(samples.every((s) => s.intervalSec === 30)).toBe(true);
  }, 90_000);
});
