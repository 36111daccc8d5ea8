// Issue 10, findings 1 and 2 at the client level: each request has a wall-clock deadline (a peer trickling a
// byte every few hundred ms never trips an idle timer), and a cap names itself and the source's setting to raise.
// The same peers drive the whole service in hostile-peers.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { UserError } from '../../common/errors.js';
import { Secret } from '../../common/secret-value.js';
import { vcenterError } from '../../collectors/vcenter/errors.js';
import { VimClient } from '../../collectors/vcenter/soap/client.js';
import { BadResponseError, VimTimeoutError } from '../../collectors/vcenter/soap/errors.js';
import { withHypervAdvice } from '../../collectors/hyperv/wsman-advice.js';
import { WsmanClient, WsmanLimitError, WsmanTimeoutError, wmiResourceUri } from '../../collectors/wsman/index.js';
import { DEFAULT_LIMITS } from '../../common/xml/limits.js';
import { startHostileVim, type HostileVim } from './peers/vim25.js';
import { startHostileWinrm, type HostileWinrm } from './peers/winrm.js';

const MB = 1024 * 1024;
const SI = { type: 'ServiceInstance', value: 'ServiceInstance' };
const peers: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

async function vim(mode: Parameters<typeof startHostileVim>[0], opts: Parameters<typeof startHostileVim>[1] = {}): Promise<HostileVim> {
  const p = await startHostileVim(mode, opts);
  peers.push(p);
  return p;
}
async function winrm(mode: Parameters<typeof startHostileWinrm>[0]): Promise<HostileWinrm> {
  const p = await startHostileWinrm(mode);
  peers.push(p);
  return p;
}

function vimClient(p: HostileVim, timeoutMs: number, maxElements = DEFAULT_LIMITS.maxElements): VimClient {
  return new VimClient({ url: p.url, tls: { thumbprint: p.thumbprint }, timeoutMs, limits: { ...DEFAULT_LIMITS, maxElements } });
}

function wsmanClient(p: HostileWinrm, timeoutMs: number): WsmanClient {
  return new WsmanClient({
    host: '127.0.0.1',
    port: p.port,
    scheme: 'https',
    auth: 'basic',
    username: 'c',
    password: new Secret('pw'),
    tls: { thumbprint: p.thumbprint },
    timeoutMs,
  });
}

async function failure(work: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  const err = await work.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  return { err, ms: Date.now() - started };
}

describe('per-request wall-clock deadline', () => {
  it('vim25: a server trickling a byte every 300 ms fails at timeoutMs (the idle timers never fire)', async () => {
    const p = await vim('trickle', { trickleMs: 300 });
    const c = vimClient(p, 2000);
    const { err, ms } = await failure(c.call('RetrieveServiceContent', SI));
    await c.close();
    expect(err).toBeInstanceOf(VimTimeoutError);
    expect((err as VimTimeoutError).whole).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(1900);
    expect(ms).toBeLessThan(4000);
    const edge = vcenterError(err) as UserError;
    expect(edge.message).toBe(`127.0.0.1:${p.port} did not complete its answer to RetrieveServiceContent within timeoutSec=2 s.`);
    expect(edge.fix).toMatch(/Raise the source's timeoutSec \(now 2\)/);
  });

  it('vim25: a never-ending body fails at timeoutMs too', async () => {
    const p = await vim('endless');
    const c = vimClient(p, 2000);
    const { err, ms } = await failure(c.call('RetrieveServiceContent', SI));
    await c.close();
    expect(err).toBeInstanceOf(VimTimeoutError);
    expect(ms).toBeLessThan(4000);
    // Stopped sending once the client hung up: about 1.3 MB/s for 2 s.
    expect(p.meter.bytes).toBeLessThan(8 * MB);
  });

  it('WS-Man: a trickling host fails at timeoutMs with the source key at the Hyper-V edge', async () => {
    const p = await winrm('trickle');
    const c = wsmanClient(p, 2500);
    const { err, ms } = await failure(
      c.enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: 'SELECT * FROM Msvm_ComputerSystem' }),
    );
    await c.close();
    expect(err).toBeInstanceOf(WsmanTimeoutError);
    expect((err as Error).message).toMatch(/no complete answer within 2500 ms \(whole-request deadline\)$/);
    expect(ms).toBeLessThan(5000);
    expect((withHypervAdvice(err) as WsmanTimeoutError).fix).toMatch(/raise timeoutSec for this source/);
  });
});

describe('limits named with the setting to raise', () => {
  it('vim25: a flood of <a/> fails at maxElements: "the vCenter answer to RetrieveServiceContent exceeded 2,000,000 elements"', async () => {
    const p = await vim('flood', { maxBytes: 40 * MB });
    const c = vimClient(p, 30_000);
    const { err } = await failure(c.call('RetrieveServiceContent', SI));
    await c.close();
    expect(err).toBeInstanceOf(BadResponseError);
    expect((err as BadResponseError).limit).toEqual({ name: 'maxElements', value: 2_000_000 });
    const edge = vcenterError(err) as UserError;
    expect(edge.message).toBe(`127.0.0.1:${p.port}: the vCenter answer to RetrieveServiceContent exceeded 2,000,000 elements.`);
    expect(edge.fix).toMatch(
      /^raise the source's limits\.maxElements \(now 2,000,000\) or lower inventory\.pageSize if this vCenter is genuine; otherwise check that url points at vCenter/,
    );
    expect(edge.code).toBe('VCENTER_LIMIT');
    // The client hung up at the cap (8 MB of <a/>), the peer stopped shortly after.
    expect(p.meter.bytes).toBeLessThan(24 * MB);
  });

  it('vim25: a configured maxElements is the one named', async () => {
    const p = await vim('flood', { maxBytes: 4 * MB });
    const c = vimClient(p, 30_000, 100_000);
    const edge = vcenterError((await failure(c.call('RetrieveServiceContent', SI))).err) as UserError;
    await c.close();
    expect(edge.message).toMatch(/exceeded 100,000 elements\.$/);
    expect(edge.fix).toMatch(/limits\.maxElements \(now 100,000\)/);
  });

  it('vim25: one huge text node fails at the text cap; a byte cap names limits.maxResponseMB', async () => {
    const p = await vim('text', { maxBytes: 40 * MB });
    const c = vimClient(p, 30_000);
    const edge = vcenterError((await failure(c.call('RetrieveServiceContent', SI))).err) as UserError;
    await c.close();
    expect(edge.message).toMatch(/the vCenter answer to RetrieveServiceContent holds a text run longer than 16,777,216 characters\.$/);
    const bytes = vcenterError(
      new BadResponseError('vc:443', 'RetrievePropertiesEx', 'the response is larger than 64 MB', 200, {
        limit: 'maxBytes',
        value: 64 * MB,
      }),
    ) as UserError;
    expect(bytes.message).toBe('vc:443: the vCenter answer to RetrievePropertiesEx exceeded 64 MB.');
    expect(bytes.fix).toMatch(/^raise the source's limits\.maxResponseMB \(now 64\)/);
  });

  it('WS-Man: a flood of elements fails at maxElements, advice names limits.maxElements', async () => {
    const p = await winrm('flood');
    const c = wsmanClient(p, 30_000);
    const { err } = await failure(c.enumerateAll(wmiResourceUri('root/virtualization/v2'), { wql: 'SELECT * FROM Msvm_ComputerSystem' }));
    await c.close();
    expect(err).toBeInstanceOf(WsmanLimitError);
    expect((err as Error).message).toMatch(/the reply exceeded 2,000,000 elements$/);
    expect((withHypervAdvice(err) as WsmanLimitError).fix).toMatch(
      /^Raise the source's limits\.maxElements \(now 2,000,000\) if this host is genuine/,
    );
  });
});
