// Independent peers against our WS-Man server: Debian's pywinrm (NTLM + SPNEGO message encryption
// over HTTP, NTLM + CBT over HTTPS) and Dell's wsl (wslenum over Basic, HTTPS and HTTP).
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wmiResourceUri } from '../../../collectors/wsman/index.js';
import { startWsmanServer, type WsmanServerHandle } from '../../../lab/wsman-server/index.js';
import { PEERS, requirePeer } from '../../helpers/peers.js';
import { makeCert, testBackend, TEST_NS, type TestCert } from './helpers.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const USERS = { 'HV01\\collector': 'Pa$$w0rd!', wsl: 'wsl-pass-123' };
const COUNT = 23;
const NAMES = Array.from({ length: COUNT }, (_, i) => `thing-${i}`);

let cert: TestCert;
let server: WsmanServerHandle;
let plainServer: WsmanServerHandle;
let work: string;
let opensslConf: string;

beforeAll(async () => {
  cert = makeCert();
  work = mkdtempSync(join(tmpdir(), 'wsman-peers-'));
  // ntlm-auth needs MD4, which OpenSSL 3 has only in the legacy provider (docs/winrm-wire.md §2.4).
  opensslConf = join(work, 'openssl.cnf');
  writeFileSync(
    opensslConf,
    'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n',
  );
  const backend = testBackend({ count: COUNT });
  server = await startWsmanServer({
    backend,
    users: USERS,
    computerName: 'HV01',
    maxBatchItems: 4,
    http: { port: 0 },
    https: { port: 0, cert: cert.cert, key: cert.key, basic: true, ntlm: true },
  });
  // The AllowUnencrypted=true variant, for wsl over plain HTTP with Basic (WSNOSSL=1).
  plainServer = await startWsmanServer({ backend, users: USERS, maxBatchItems: 4, http: { port: 0, allowUnencrypted: true, basic: true } });
});

afterAll(async () => {
  await server?.close();
  await plainServer?.close();
  cert?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function pywinrm(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const script = join(import.meta.dirname, 'pywinrm_enumerate.py');
  const { stdout } = await run(PYTHON, [script, JSON.stringify(args)], {
    env: { ...process.env, OPENSSL_CONF: opensslConf },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe.skipIf(requirePeer(PEERS.pywinrm))('pywinrm (python3-winrm) against the server', () => {
  it('completes NTLM with message encryption over HTTP and enumerates every item through Pulls', async () => {
    const before = server.stats();
    const r = await pywinrm({
      endpoint: `http://127.0.0.1:${server.httpPort}/wsman`,
      username: 'HV01\\collector',
      password: USERS['HV01\\collector'],
      resource_uri: wmiResourceUri(TEST_NS),
      wql: 'SELECT Name FROM Test_Thing',
      max_elements: 4,
      encryption: 'always',
    });
    expect(r.names).toEqual(NAMES);
    expect(r.pulls).toBe(Math.ceil(COUNT / 4) - 1);
    const after = server.stats();
    expect(after.authentications - before.authentications).toBe(1);
    expect(after.plaintextRefused).toBe(before.plaintextRefused);
  });

  it('completes NTLM with channel binding over HTTPS', async () => {
    const bound = server.stats().channelBound;
    const r = await pywinrm({
      endpoint: `https://127.0.0.1:${server.httpsPort}/wsman`,
      username: 'HV01\\collector',
      password: USERS['HV01\\collector'],
      resource_uri: wmiResourceUri(TEST_NS),
      wql: "SELECT * FROM Test_Thing WHERE Name = 'thing-9'",
      max_elements: 100,
      encryption: 'auto',
      ca_trust_path: cert.certFile,
    });
    expect(r.names).toEqual(['thing-9']);
    // requests_ntlm sent MsvAvChannelBindings and it matched our certificate's tls-server-end-point hash.
    expect(server.stats().channelBound - bound).toBe(1);
  });

  it('gets InvalidCredentialsError for a wrong password', async () => {
    const r = await pywinrm({
      endpoint: `http://127.0.0.1:${server.httpPort}/wsman`,
      username: 'HV01\\collector',
      password: 'not-it',
      resource_uri: wmiResourceUri(TEST_NS),
      wql: 'SELECT Name FROM Test_Thing',
      max_elements: 4,
      encryption: 'always',
    });
    expect(r.error).toBe('InvalidCredentialsError');
  });

  it('reads a fault (invalid namespace) with its WSManFault code through the encrypted channel', async () => {
    const r = await pywinrm({
      endpoint: `http://127.0.0.1:${server.httpPort}/wsman`,
      username: 'HV01\\collector',
      password: USERS['HV01\\collector'],
      resource_uri: wmiResourceUri('root/virtualization/v2'),
      wql: 'SELECT * FROM Msvm_ComputerSystem',
      max_elements: 4,
      encryption: 'always',
    });
    expect(r.error).toBe('WinRMError');
    expect(r.wsmanfault_code).toBe('2147749902');
  });

  it('is refused with HTTP 500 when it sends plaintext over HTTP (AllowUnencrypted=false)', async () => {
    const before = server.stats().plaintextRefused;
    const r = await pywinrm({
      endpoint: `http://127.0.0.1:${server.httpPort}/wsman`,
      username: 'HV01\\collector',
      password: USERS['HV01\\collector'],
      resource_uri: wmiResourceUri(TEST_NS),
      wql: 'SELECT Name FROM Test_Thing',
      max_elements: 4,
      encryption: 'never',
    });
    expect(r.error).toBe('WinRMTransportError');
    expect(r.code).toBe(500);
    expect(server.stats().plaintextRefused - before).toBe(1);
  });
});

describe.skipIf(requirePeer(PEERS.wslenum))('wslenum (Debian wsl) over Basic', () => {
  /** wsl needs uuidgen (Debian uuid-runtime); if it is absent, a two-line stand-in provides it. */
  function pathWithUuidgen(): string {
    const dirs = (process.env.PATH ?? '').split(':');
    if (dirs.some((d) => existsSync(join(d, 'uuidgen')))) return process.env.PATH ?? '';
    const bin = join(work, 'bin');
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'uuidgen'), '#!/bin/sh\ncat /proc/sys/kernel/random/uuid\n');
    chmodSync(join(bin, 'uuidgen'), 0o755);
    return `${bin}:${process.env.PATH ?? ''}`;
  }

  async function wslenum(endpoint: string, noSsl: boolean, out: string, wql: string): Promise<{ names: string[]; responses: number }> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: pathWithUuidgen(),
      HOME: work,
      WSAUTOMATED: '1',
      KEEPHISTORY: '0',
      OUTPREFIX: out,
      WSENDPOINT: endpoint,
      WSUSER: 'wsl',
      WSPASS: USERS.wsl,
      OUTLEVEL: '0',
    };
    if (noSsl) env.WSNOSSL = '1';
    await run(
      'wslenum',
      [wmiResourceUri(TEST_NS), '-dialect', 'http://schemas.microsoft.com/wbem/wsman/1/WQL', '-filter', wql, '-opti', '5'],
      { env, cwd: out, timeout: 60_000 },
    );
    const responses = readdirSync(out)
      .filter((f) => /^response-\d+\.xml$/.test(f))
      .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
    const names = responses.flatMap((f) =>
      [...readFileSync(join(out, f), 'utf8').matchAll(/<(?:\w+:)?Name>([^<]*)<\/(?:\w+:)?Name>/g)].map((m) => m[1] ?? ''),
    );
    return { names, responses: responses.length };
  }

  it('enumerates over HTTPS (5986-style, --insecure) with Enumerate + Pulls until the context disappears', async () => {
    const out = mkdtempSync(join(work, 'wsl-https-'));
    const r = await wslenum(`127.0.0.1:${server.httpsPort}`, false, out, 'SELECT * FROM Test_Thing');
    expect(r.names).toEqual(NAMES);
    expect(r.responses).toBe(Math.ceil(COUNT / 4)); // MaxElements 5 capped at MaxBatchItems 4
  });

  it('enumerates over HTTP with WSNOSSL=1 against an AllowUnencrypted listener', async () => {
    const out = mkdtempSync(join(work, 'wsl-http-'));
    const r = await wslenum(`127.0.0.1:${plainServer.httpPort}`, true, out, 'SELECT Name FROM Test_Thing');
    expect(r.names).toEqual(NAMES);
  });
});
