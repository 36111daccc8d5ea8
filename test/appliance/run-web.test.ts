import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedis } from '../../queue/redis.js';
import { redisSettings } from '../helpers/redis-settings.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/cli.js';
import { REDIS_BASE, tempDir, uniquePrefix, writeConfig } from './fixtures.js';
import { WebClient } from './http-client.js';

const tmp = tempDir('runweb');
const prefix = uniquePrefix('runweb');

afterAll(async () => {
  const r = createRedis(redisSettings(`${REDIS_BASE}/8`, prefix));
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  tmp.cleanup();
});

/** Starts `collector run` (built CLI) and collects its JSON log lines until `until` matches one. */
function startRun(args: string[], until: (line: Record<string, unknown>) => boolean) {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--no-status', '--log-format', 'json', '--log-level', 'info'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`collector run: no matching log line in 60 s:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)),
      60_000,
    );
    child.stderr!.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (until(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        } catch {
          /* not JSON */
        }
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`collector run exited with ${code}:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)),
    );
  });
  const stop = async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };
  return { ready, lines, stop };
}

describe('collector run with the web role', () => {
  it('serves the web app, probes and metrics on web.port, and stops cleanly on SIGTERM', async () => {
    const file = writeConfig(
      tmp.dir,
      `redis: { url: ${REDIS_BASE}/8, prefix: ${prefix} }\nweb: { port: 0, host: 127.0.0.1, dataDir: data }\nsources: []\n`,
    );
    const run = startRun(['--config', file], (l) => typeof l.url === 'string' && String(l.msg).startsWith('web app listening'));
    const line = await run.ready;
    const c = new WebClient(String(line.url), readFileSync(join(tmp.dir, 'data', 'web-cert.pem'), 'utf8'));
    try {
      expect((await c.get('/healthz')).status).toBe(200);
      const ready = await c.get('/readyz');
      expect(ready.status).toBe(200);
      const metrics = await c.get('/metrics');
      expect(metrics.text).toMatch(/collector_queue_jobs\{queue="samples",state="waiting"\} \d+/);
      // First start without an admin password: the setup page, and the code in the log and the data dir.
      expect((await c.get('/login')).headers.location).toBe('/setup');
      const code = readFileSync(join(tmp.dir, 'data', 'setup-code'), 'utf8').trim();
      expect(run.lines.some((l) => String(l.msg).includes(code))).toBe(true);
    } finally {
      await c.close();
    }
    expect(await run.stop()).toBe(0);
  }, 90_000);

  it('runs the Azure sink role when sink.enabled and shows its outbox backlog in /metrics', async () => {
    const sinkPrefix = `${prefix}-sink`;
    const r = createRedis(redisSettings(`${REDIS_BASE}/8`, sinkPrefix));
    const { Queue } = await import('bullmq');
    const { OUTBOX_QUEUE } = await import('../../assessment/sink/outbox.js');
    // One batch already waiting for the endpoint (nothing answers there, so it stays in the outbox).
    const q = new Queue(OUTBOX_QUEUE, { connection: r, prefix: sinkPrefix });
    await q.add(
      'ingest',
      {
        kind: 'ingest',
        stream: 'machines',
        streamName: 'Custom-CollectorMachines',
        asOf: '2026-11-01T00:00:00.000Z',
        rows: [{ RecordId: 'r1' }],
        total: 1,
        enqueuedAt: '2026-11-01T00:00:00.000Z',
      },
      { jobId: 'k1', delay: 3_600_000 },
    );
    const file = writeConfig(
      tmp.dir,
      `redis: { url: ${REDIS_BASE}/8, prefix: ${sinkPrefix} }
web: { port: 0, host: 127.0.0.1, dataDir: data3 }
sources: []
sink:
  enabled: true
  logsIngestion: { endpoint: "https://127.0.0.1:9", ruleId: dcr-00000000000000000000000000000000 }
  tenantId: t
  clientId: c
  clientSecret: { env: SINK_TEST_SECRET }
`,
    );
    process.env.SINK_TEST_SECRET = 'not-used';
    const run = startRun(['--config', file], (l) => typeof l.url === 'string' && String(l.msg).startsWith('web app listening'));
    const line = await run.ready;
    const c = new WebClient(String(line.url), readFileSync(join(tmp.dir, 'data3', 'web-cert.pem'), 'utf8'));
    try {
      expect((await c.get('/metrics')).text).toMatch(/^collector_upload_backlog 1$/m);
      // The sink role's outbox sender is connected as a worker of the outbox queue.
      expect((await q.getWorkers()).length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
    expect(await run.stop()).toBe(0);
    await q.obliterate({ force: true });
    await q.close();
    const keys = await r.keys(`${sinkPrefix}*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  }, 90_000);

  it('names the problem and the fix when web.port is taken', async () => {
    const net = await import('node:net');
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const file = writeConfig(
      tmp.dir,
      `redis: { url: ${REDIS_BASE}/8, prefix: ${prefix} }\nweb: { port: ${port}, host: 127.0.0.1, dataDir: data4 }\nsources: []\n`,
    );
    const { runCli } = await import('../helpers/cli.js');
    const r = await runCli(['run', '--config', file, '--no-status'], { timeoutMs: 60_000 });
    busy.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: the web app cannot listen on 127.0.0.1:${port} (the port is in use)`);
    expect(r.stderr).toContain('fix: Stop what uses the port, or choose another: web.port');
  }, 90_000);

  it('leaves the web app out with --no-web', async () => {
    const file = writeConfig(
      tmp.dir,
      `redis: { url: ${REDIS_BASE}/8, prefix: ${prefix} }\nweb: { port: 0, host: 127.0.0.1, dataDir: data2 }\nsources: []\n`,
    );
    const run = startRun(['--config', file, '--no-web'], (l) => String(l.msg).includes('rollup workers started'));
    await run.ready;
    await new Promise((r) => setTimeout(r, 1000));
    expect(run.lines.some((l) => String(l.msg).startsWith('web app listening'))).toBe(false);
    expect(await run.stop()).toBe(0);
  }, 90_000);
});
