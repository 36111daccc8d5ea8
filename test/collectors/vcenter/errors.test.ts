import { describe, expect, it } from 'vitest';
import { UserError } from '../../../common/errors.js';
import { vcenterError } from '../../../collectors/vcenter/errors.js';
import {
  BadResponseError,
  NotVimEndpointError,
  UnreachableError,
  VimFault,
  VimTimeoutError,
} from '../../../collectors/vcenter/soap/errors.js';

// Config keys of a vCenter source: the wire layer must not know them; the edge names them.
const CONFIG_WORDS = /timeoutSec|vmsPerQuery|perf\.concurrency|\burl\b|\btls\b/;

describe('vCenter errors: protocol facts on the wire, the fix at the collector edge', () => {
  const wire = [
    new VimTimeoutError('vc:443', 'QueryPerf', 5000),
    new UnreachableError('vc:443', 'Login', 'ECONNREFUSED'),
    new NotVimEndpointError('vc:443', 'RetrieveServiceContent', 'RetrieveServiceContent got HTTP 200 with text/html', 200),
    new BadResponseError('vc:443', 'QueryPerf', 'the document has a DOCTYPE', 200),
  ];

  it('wire errors carry endpoint, method and what happened, and no config key', () => {
    for (const e of wire) {
      expect(e).not.toBeInstanceOf(UserError);
      expect(e.endpoint).toBe('vc:443');
      expect(e.message).not.toMatch(CONFIG_WORDS);
    }
    expect(wire[0]).toMatchObject({ timeoutMs: 5000, method: 'QueryPerf' });
    expect(wire[2]).toMatchObject({ status: 200 });
  });

  it('the edge turns each into a UserError with a fix in config words, keeping the cause', () => {
    const [timeout, unreachable, notSdk, bad] = wire.map((e) => vcenterError(e) as UserError);
    expect(timeout?.message).toBe('vc:443 did not answer QueryPerf within timeoutSec=5 s.');
    expect(timeout?.fix).toMatch(/Raise the source's timeoutSec \(now 5\), lower perf\.vmsPerQuery \/ perf\.concurrency/);
    expect(timeout?.code).toBe('VCENTER_TIMEOUT');
    expect(unreachable?.message).toBe('cannot reach vc:443: ECONNREFUSED.');
    expect(unreachable?.fix).toMatch(/port in url.*firewall/);
    expect(notSdk?.fix).toMatch(/Set url to the vCenter SDK address, https:\/\/<vcenter>\/sdk/);
    expect(notSdk?.code).toBe('VCENTER_NOT_SDK');
    expect(bad?.fix).toMatch(/url points at a genuine vCenter/);
    for (const [i, e] of [timeout, unreachable, notSdk, bad].entries()) {
      expect(e).toBeInstanceOf(UserError);
      expect(e?.cause).toBe(wire[i]);
    }
  });

  it('faults and other errors pass through unchanged', () => {
    const fault = new VimFault('Login', 'InvalidLogin', 'Cannot complete login');
    expect(vcenterError(fault)).toBe(fault);
    const user = new UserError('x');
    expect(vcenterError(user)).toBe(user);
  });
});
