import { describe, expect, it } from 'vitest';
import { hostAddress } from '../../../collectors/hyperv/session.js';
import { parseConfig } from '../../../config/load.js';
import type { HypervSourceConfig } from '../../../config/schema/hyperv.js';

function source(extra: Record<string, unknown>): HypervSourceConfig {
  const cfg = parseConfig({
    sources: [{ name: 'hv', kind: 'hyperv', host: 'HVCLU01', username: 'collector', password: { env: 'X' }, ...extra }],
  });
  return cfg.sources[0] as HypervSourceConfig;
}

describe('Hyper-V source config', () => {
  it('resolves hosts through hostMap (case-insensitive, shorthand or both ports), else DNS with the default ports', () => {
    const s = source({ hostMap: { hv01: '127.0.0.1:40001', HV02: { address: '127.0.0.1', httpsPort: 40002, httpPort: 40003 } } });
    expect(hostAddress(s, 'HV01')).toEqual({ address: '127.0.0.1', httpsPort: 40001, httpPort: 5985 });
    expect(hostAddress(s, 'hv02')).toEqual({ address: '127.0.0.1', httpsPort: 40002, httpPort: 40003 });
    expect(hostAddress(s, 'hv03.contoso.local')).toEqual({ address: 'hv03.contoso.local', httpsPort: 5986, httpPort: 5985 });
    const http = source({ transport: 'http', port: 15985, hostMap: { hv01: '10.0.0.1:40001' } });
    expect(hostAddress(http, 'hv01')).toEqual({ address: '10.0.0.1', httpsPort: 5986, httpPort: 40001 });
    expect(hostAddress(http, 'other')).toEqual({ address: 'other', httpsPort: 5986, httpPort: 15985 });
  });

  it('refuses Basic over HTTP and a malformed hostMap entry, naming the key and the fix', () => {
    expect(() => source({ transport: 'http', auth: 'basic' })).toThrow(/sources\[0\]\.auth[\s\S]*Basic authentication over plain HTTP/);
    expect(() => source({ hostMap: { hv01: '127.0.0.1:port' } })).toThrow(
      /sources\[0\]\.hostMap\.hv01: expected "address" or "address:port"/,
    );
    expect(() => source({ hostMap: { hv01: { address: '127.0.0.1', httpsPort: 70000 } } })).toThrow(/hostMap/);
  });
});
