import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'collector-assess-cli-'));

describe('assessment commands explain bad input and exit 2', () => {
  it('an unreachable Redis, a disabled sink, a bad option and a missing file', async () => {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, `redis: { url: redis://127.0.0.1:${await closedPort()}/6, prefix: test-assess-cli }\n`);
    const status = await runCli(['status', '--config', cfg], { timeoutMs: 30_000 });
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/error: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/6 \(ECONNREFUSED\)\.\nfix: Start Redis/);
    expect(status.stderr.split('\n').length).toBeLessThan(5);

    const upload = await runCli(['upload', '--config', cfg]);
    expect(upload.code).toBe(2);
    expect(upload.stderr).toMatch(/the Azure sink is not enabled in the config\.\nfix: Add a sink section/);

    const pct = await runCli(['assess', '--config', cfg, '--percentile', '80']);
    expect(pct.code).toBe(2);
    expect(pct.stderr).toMatch(/--percentile: "80" is not a valid value\.\nfix: Use 50, 90, 95 or 99\./);

    const inv = await runCli(['assess', '--config', cfg, '--inventory', join(dir, 'missing.json')]);
    expect(inv.code).toBe(2);
    expect(inv.stderr).toMatch(/--inventory: cannot read .*missing\.json \(ENOENT\)/);

    const fmt = await runCli(['export', '--config', cfg, '--format', 'xlsx', '--out', join(dir, 'x')]);
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toMatch(/--format: "xlsx" is not an export format/);
  });
});
