import { describe, expect, it } from 'vitest';
import { httpsOnlyFor } from '../../../collectors/wsman/endpoint.js';
import { hypervSource } from '../../../config/schema/hyperv.js';
import { windowsSource } from '../../../config/schema/physical.js';

// Every WinRM source kind shares one fallback rule: TLS trust settings mean the peer must prove who it is, so no
// credential may go to an unauthenticated HTTP listener unless the admin explicitly allows it.
describe('WinRM HTTPS-only rule, shared by Hyper-V and Windows sources', () => {
  const base = { username: 'LAB\\c', password: { env: 'X' } };
  const windows = (extra: object) => windowsSource.parse({ name: 'w', kind: 'windows', hosts: ['fs01'], ...base, ...extra });
  const hyperv = (extra: object) => hypervSource.parse({ name: 'h', kind: 'hyperv', host: 'hv01', ...base, ...extra });

  it('a pinned thumbprint or CA file implies HTTPS only, for both kinds', () => {
    const tls = { thumbprint: 'AB:'.repeat(31) + 'AB' };
    expect(httpsOnlyFor(windows({ tls }))).toBe(true);
    expect(httpsOnlyFor(hyperv({ tls }))).toBe(true);
    expect(httpsOnlyFor(windows({ tls: { caFile: '/etc/ca.pem' } }))).toBe(true);
  });

  it('allowHttpFallback: true is the explicit way back; without TLS settings the fallback stays allowed', () => {
    const tls = { thumbprint: 'AB:'.repeat(31) + 'AB' };
    expect(httpsOnlyFor(windows({ tls, allowHttpFallback: true }))).toBe(false);
    expect(httpsOnlyFor(windows({}))).toBe(false);
    expect(httpsOnlyFor(windows({ httpsOnly: true }))).toBe(true);
  });

  it('httpsOnly together with allowHttpFallback is refused for a Windows source as for Hyper-V', () => {
    expect(() => windows({ httpsOnly: true, allowHttpFallback: true })).toThrow(/contradict/);
    expect(() => hyperv({ httpsOnly: true, allowHttpFallback: true })).toThrow(/contradict/);
  });
});
