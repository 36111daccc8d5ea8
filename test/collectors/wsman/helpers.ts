// Test fixtures for the WS-Man stack: a self-signed certificate made with openssl, and a tiny
// backend with two fake classes (no Hyper-V knowledge; the Hyper-V classes are the simulator's).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { renderEmbeddedInstance, parseWmiResourceUri, type CimValue } from '../../../collectors/wsman/index.js';
import { WsmanServerFault, type RenderedItem, type WsmanBackend } from '../../../lab/wsman-server/index.js';

export interface TestCert {
  dir: string;
  cert: string;
  key: string;
  certFile: string;
  thumbprint: string;
  cleanup(): void;
}

export function makeCert(cn = 'hv01.lab.local'): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'wsman-cert-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile, 'utf8');
  return {
    dir,
    cert,
    key: readFileSync(keyFile, 'utf8'),
    certFile,
    thumbprint: new X509Certificate(cert).fingerprint256,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const TEST_NS = 'root/test';
const NS_URI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test';

/** Test_Thing rows with every value shape the wire has: nil, empty, arrays, datetime, interval, uint64, EPR, embedded CIM-XML. */
export function thing(i: number): Record<string, CimValue> {
  return {
    Name: `thing-${i}`,
    Caption: i % 2 ? 'Odd & <special>' : 'Even "quoted"',
    Big: (18446744073709551615n - BigInt(i)).toString(),
    Nothing: null,
    Empty: '',
    Tags: [`t${i}`, 'x\\y', 'z'],
    When: { datetime: `2024-03-01T09:12:${String(i % 60).padStart(2, '0')}.123Z` },
    Uptime: { interval: 'P0DT0H1M40S' },
    Ref: {
      address: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
      resourceUri: `${NS_URI}/Test_Thing`,
      selectors: { Name: `thing-${i}` },
    },
    Items: [
      renderEmbeddedInstance(
        { className: 'Test_KV', properties: { Name: 'OSName', Data: `Windows <${i}>`, Source: '2' } },
        { Source: 'uint16' },
      ),
    ],
  };
}

export interface BackendOptions {
  count: number;
  /** Accounts (lower case, as sent) that authenticate but may not read anything. */
  denied?: string[];
}

/** A minimal WQL subset for the tests: SELECT * | a, b FROM Class [WHERE Name = 'x']. */
export function testBackend(o: BackendOptions): WsmanBackend {
  const rows = Array.from({ length: o.count }, (_, i) => thing(i));
  const check = (user: string) => {
    if (o.denied?.includes(user.toLowerCase())) throw new WsmanServerFault('AccessDenied', 'Access is denied.');
  };
  return {
    enumerate(req) {
      check(req.user);
      const wmi = parseWmiResourceUri(req.resourceUri, req.selectors);
      if (!wmi || wmi.namespace !== TEST_NS) throw new WsmanServerFault('InvalidNamespace', 'Invalid namespace ');
      let cls = wmi.className;
      let props: string[] | null = null;
      let where: [string, string] | null = null;
      if (req.filter) {
        const m = /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*=\s*'([^']*)')?\s*$/i.exec(req.filter.text);
        if (!m) throw new WsmanServerFault('InvalidQuery', 'Invalid query ');
        const [, list = '', from = '', key, value = ''] = m;
        props = list.trim() === '*' ? null : list.split(',').map((s) => s.trim());
        cls = from;
        if (key) where = [key, value];
      }
      if (cls !== 'Test_Thing') throw new WsmanServerFault('InvalidClass', 'Invalid class ');
      return rows
        .filter((r) => !where || r[where[0]] === where[1])
        .map(
          (r): RenderedItem => ({
            className: 'Test_Thing',
            namespaceUri: NS_URI,
            fragment: props !== null,
            properties: props ? Object.fromEntries(props.map((p) => [p, r[p] ?? null])) : r,
          }),
        );
    },
    get(req) {
      check(req.user);
      const row = rows.find((r) => r.Name === req.selectors.Name);
      if (!row)
        throw new WsmanServerFault(
          'InvalidSelectors',
          'The WS-Management service cannot process the request because the request contained invalid selectors for the resource.',
        );
      return { className: 'Test_Thing', namespaceUri: NS_URI, fragment: false, properties: row };
    },
    invoke(req) {
      check(req.user);
      if (req.method !== 'Describe') throw new WsmanServerFault('ActionNotSupported', `no method ${req.method}`);
      const paths = Array.isArray(req.params.Path) ? req.params.Path : [req.params.Path];
      return {
        className: '',
        namespaceUri: NS_URI,
        fragment: false,
        properties: {
          SettingData: renderEmbeddedInstance({
            className: 'Test_Described',
            properties: { Path: paths[0] ?? null, Count: String(paths.length), Selector: req.selectors.Name ?? null },
          }),
          ReturnValue: '0',
        },
      };
    },
  };
}
