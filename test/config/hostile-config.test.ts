import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../common/log.js';
import { loadEstate } from '../../lab/estate.js';
import { startVcenterLab, type VcenterLab } from '../../lab/vcenter/index.js';
import { ROOT, runCli } from '../helpers/cli.js';

// Finding 8: an alias bomb gave "unexpected error: ReferenceError" and a stack trace (exit 1), a caFile
// without a certificate was accepted, and discover exited 0 when some sources failed.
let dir: string;
let lab: VcenterLab;
let deadPort: number;
const PW = 'hostile-config-pw-1';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostile-config-'));
  lab = await startVcenterLab({
    estate: loadEstate(join(ROOT, 'lab/estates/sample.yaml')),
    users: [{ username: 'ro@vsphere.local', password: PW }],
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ level: 'silent', pretty: false }),
  });
  deadPort = await closedPort();
});
afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const vc = (name: string, url: string) => `
  - name: ${name}
    kind: vcenter
    url: ${url}
    username: ro@vsphere.local
    password: { env: HC_PW }
    timeoutSec: 5
    tls: { thumbprint: "${lab.thumbprint}" }`;

describe('hostile config files', () => {
  it('a YAML alias bomb is an error:/fix: with exit 2, not a stack trace', async () => {
    let text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i <= 9; i++)
      text += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]\n`;
    const r = await runCli(['config', 'check', '--config', file('bomb.yaml', `${text}sources: []\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*too many aliases/m);
    expect(r.stderr).toMatch(/^fix: /m);
    expect(r.stderr).not.toMatch(/ReferenceError|unexpected error|\n\s+at /);
  });

  it('a config over 4 MB is refused before it is parsed', async () => {
    const r = await runCli(['config', 'check', '--config', file('huge.yaml', `sources: []\n# ${'x'.repeat(5 * 1024 * 1024)}\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: .*over the 4 MB limit/m);
    expect(r.stderr).toMatch(/^fix: /m);
  });

  it('a caFile that holds no certificate is refused with error:/fix:', async () => {
    const ca = file('not-a-ca.pem', 'this is not a certificate\n');
    const cfg = file(
      'badca.yaml',
      `sources:
  - name: vc
    kind: vcenter
    url: https://127.0.0.1:${lab.port}/sdk
    username: ro@vsphere.local
    password: { env: HC_PW }
    tls: { caFile: ${ca} }
`,
    );
    const r = await runCli(['config', 'check', '--config', cfg], { env: { HC_PW: PW } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: sources\[0\]\.tls\.caFile: .* holds no PEM certificate/m);
    expect(r.stderr).toMatch(/^fix: /m);
    // The lab's real certificate is accepted.
    writeFileSync(ca, lab.certificate);
    expect((await runCli(['config', 'check', '--config', cfg], { env: { HC_PW: PW } })).code).toBe(0);
  });

  it('discover with 1 failing of 2 sources exits non-zero with a per-source summary; the good inventory is still written', async () => {
    const cfg = file(
      'two.yaml',
      `sources:${vc('good-vc', `https://127.0.0.1:${lab.port}/sdk`)}${vc('dead-vc', `https://127.0.0.1:${deadPort}/sdk`)}\n`,
    );
    const out = join(dir, 'inv.json');
    const r = await runCli(['discover', '--config', cfg, '--out', out], { env: { HC_PW: PW }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^good-vc: \d+ machine\(s\)/m);
    expect(r.stderr).toMatch(/^dead-vc: FAILED: /m);
    expect(r.stderr).toMatch(/^error: discovery failed for 1 of 2 source\(s\): dead-vc/m);
    const inv = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as { machines: unknown[] };
    expect(inv.machines.length).toBeGreaterThan(0);
  });

  it('collect --once with 1 failing of 2 sources exits non-zero and names it', async () => {
    const cfg = file(
      'two-collect.yaml',
      `sources:${vc('good-vc', `https://127.0.0.1:${lab.port}/sdk`)}${vc('dead-vc', `https://127.0.0.1:${deadPort}/sdk`)}\n`,
    );
    const r = await runCli(['collect', '--once', '--config', cfg, '--out', join(dir, 's.ndjson')], {
      env: { HC_PW: PW },
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error: collection failed for 1 of 2 source\(s\): dead-vc/m);
  });
});
