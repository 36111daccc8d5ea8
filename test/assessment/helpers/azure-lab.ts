// A local stand-in for Azure on 127.0.0.1, speaking the real wire formats: an Entra ID authority
// (OpenID metadata, instance discovery, OAuth2 client-credentials token endpoint that checks client
// secrets and certificate assertions) and an HTTP CONNECT proxy. ARM and Logs Ingestion are in
// arm-server.ts and dce-server.ts. Test-only.
import { createHash, createHmac, createPublicKey, constants, randomBytes, randomUUID, verify, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  serverKey: Buffer;
  serverCert: Buffer;
  /** PEM with the client's private key and certificate (what ClientCertificateCredential reads). */
  clientPemFile: string;
  clientCert: X509Certificate;
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'collector-azure-lab-'));
  const o = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=collector test CA');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  o(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  o(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'client.key',
    '-out',
    'client.crt',
    '-days',
    '2',
    '-subj',
    '/CN=collector-appliance',
  );
  const clientPem = readFileSync(join(dir, 'client.key'), 'utf8') + readFileSync(join(dir, 'client.crt'), 'utf8');
  writeFileSync(join(dir, 'client.pem'), clientPem, { mode: 0o600 });
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    serverKey: readFileSync(join(dir, 'server.key')),
    serverCert: readFileSync(join(dir, 'server.pem')),
    clientPemFile: join(dir, 'client.pem'),
    clientCert: new X509Certificate(readFileSync(join(dir, 'client.crt'))),
  };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
export const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export function trackSockets(server: net.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function closeServer(server: net.Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
}

// ---------------------------------------------------------------------------------------------
// The authority

export interface TokenServerOptions {
  tenant: string;
  clientId: string;
  clientSecret?: string;
  clientCert?: X509Certificate;
  /** expires_in of issued tokens. */
  expiresInSec?: number;
}

export class TokenServer {
  readonly signingKey = randomBytes(32);
  readonly requests: { path: string; grantType?: string; clientAuth?: 'secret' | 'assertion'; ok: boolean }[] = [];
  url = '';
  private server!: https.Server;
  private sockets!: Set<Socket>;
  constructor(
    private readonly pki: TestPki,
    readonly opts: TokenServerOptions,
  ) {}

  get issued(): number {
    return this.requests.filter((r) => r.grantType && r.ok).length;
  }

  async start(): Promise<this> {
    this.server = https.createServer({ key: this.pki.serverKey, cert: this.pki.serverCert }, (req, res) => {
      this.handle(req, res).catch((err) => json(res, 500, { error: 'server_error', error_description: String(err) }));
    });
    this.sockets = trackSockets(this.server);
    const port = await listen(this.server);
    this.url = `https://127.0.0.1:${port}`;
    return this;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const t = this.opts.tenant;
    if (req.method === 'GET' && url.pathname === `/${t}/v2.0/.well-known/openid-configuration`) {
      this.requests.push({ path: url.pathname, ok: true });
      return json(res, 200, {
        token_endpoint: `${this.url}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${this.url}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${this.url}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.url}/oidc/userinfo`,
        authorization_endpoint: `${this.url}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${this.url}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${this.url}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat'],
        tenant_region_scope: 'NA',
        cloud_instance_name: '127.0.0.1',
        cloud_graph_host_name: '127.0.0.1',
        msgraph_host: '127.0.0.1',
      });
    }
    if (req.method === 'GET' && url.pathname === '/common/discovery/instance') {
      this.requests.push({ path: url.pathname, ok: true });
      const host = new URL(this.url).host;
      return json(res, 200, {
        tenant_discovery_endpoint: `${this.url}/${t}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    if (req.method === 'POST' && url.pathname === `/${t}/oauth2/v2.0/token`) {
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      const rec: TokenServer['requests'][number] = { path: url.pathname, grantType: form.get('grant_type') ?? undefined, ok: false };
      this.requests.push(rec);
      if (form.get('grant_type') !== 'client_credentials')
        return json(res, 400, { error: 'unsupported_grant_type', error_description: 'AADSTS70003: only client_credentials here' });
      if (form.get('client_id') !== this.opts.clientId)
        return json(res, 400, {
          error: 'unauthorized_client',
          error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
        });
      const scope = form.get('scope') ?? '';
      const resource = scope
        .split(' ')
        .find((s) => s.endsWith('/.default'))
        ?.replace(/\/\.default$/, '');
      if (!resource)
        return json(res, 400, { error: 'invalid_scope', error_description: 'AADSTS1002012: The provided value for scope is not valid.' });
      if (form.has('client_secret')) {
        rec.clientAuth = 'secret';
        if (!this.opts.clientSecret || form.get('client_secret') !== this.opts.clientSecret) {
          return json(res, 401, {
            error: 'invalid_client',
            error_description:
              'AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.',
          });
        }
      } else if (form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        rec.clientAuth = 'assertion';
        const problem = this.checkAssertion(form.get('client_assertion') ?? '', `${this.url}/${t}/oauth2/v2.0/token`);
        if (problem)
          return json(res, 401, {
            error: 'invalid_client',
            error_description: `AADSTS700027: Client assertion failed signature validation: ${problem}`,
          });
      } else {
        return json(res, 401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000216: client_assertion or client_secret is required.',
        });
      }
      rec.ok = true;
      const expiresIn = this.opts.expiresInSec ?? 3599;
      return json(res, 200, {
        token_type: 'Bearer',
        expires_in: expiresIn,
        ext_expires_in: expiresIn,
        access_token: this.issue(resource, expiresIn),
      });
    }
    json(res, 404, { error: 'not_found', path: url.pathname });
  }

  private checkAssertion(jwt: string, audience: string): string | null {
    const [h, p, s] = jwt.split('.');
    if (!h || !p || !s || !this.opts.clientCert) return 'malformed assertion';
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg: string; x5t?: string; 'x5t#S256'?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: string; iss: string; sub: string; exp: number };
    const key = createPublicKey(this.opts.clientCert.publicKey.export({ type: 'spki', format: 'pem' }));
    const data = Buffer.from(`${h}.${p}`);
    const sig = Buffer.from(s, 'base64url');
    const ok =
      header.alg === 'PS256'
        ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)
        : header.alg === 'RS256' && verify('sha256', data, key, sig);
    if (!ok) return `bad ${header.alg} signature`;
    const der = this.opts.clientCert.raw;
    const thumbs = [b64url(createHash('sha1').update(der).digest()), b64url(createHash('sha256').update(der).digest())];
    if (!thumbs.includes(header.x5t ?? '') && !thumbs.includes(header['x5t#S256'] ?? '')) return 'unknown certificate thumbprint';
    if (claims.aud !== audience) return `audience ${claims.aud}`;
    if (claims.iss !== this.opts.clientId || claims.sub !== this.opts.clientId) return 'issuer/subject';
    if (claims.exp * 1000 < Date.now()) return 'expired';
    return null;
  }

  private issue(aud: string, expiresIn: number): string {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(
      JSON.stringify({
        aud,
        iss: `${this.url}/${this.opts.tenant}/v2.0`,
        tid: this.opts.tenant,
        appid: this.opts.clientId,
        iat: now,
        nbf: now,
        exp: now + expiresIn,
        jti: randomUUID(),
        iatMs: Date.now(),
      }),
    );
    const sig = b64url(createHmac('sha256', this.signingKey).update(`${header}.${body}`).digest());
    return `${header}.${body}.${sig}`;
  }

  /** Checks a bearer token as a resource server would: signature, audience, expiry; returns the claims or a problem. */
  verifyToken(
    token: string,
    audience: string,
    revokedBeforeMs: number,
  ): { ok: true; claims: Record<string, unknown> } | { ok: false; problem: string } {
    const [h, p, s] = token.split('.');
    if (!h || !p || !s) return { ok: false, problem: 'malformed token' };
    const expect = b64url(createHmac('sha256', this.signingKey).update(`${h}.${p}`).digest());
    if (expect !== s) return { ok: false, problem: 'invalid signature' };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud: string; exp: number; iatMs: number };
    if (claims.aud !== audience) return { ok: false, problem: `wrong audience ${claims.aud}` };
    if (claims.exp * 1000 <= Date.now()) return { ok: false, problem: 'The token is expired' };
    if (claims.iatMs <= revokedBeforeMs) return { ok: false, problem: 'The token is expired' };
    return { ok: true, claims };
  }

  async close(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }
}

// ---------------------------------------------------------------------------------------------
// An HTTP CONNECT proxy, as appliances find between them and Azure.

export class ConnectProxy {
  url = '';
  readonly tunnels: string[] = [];
  readonly forwarded: string[] = [];
  private server!: http.Server;
  private sockets!: Set<Socket>;

  async start(): Promise<this> {
    // Plain-HTTP requests in absolute form are forwarded (as a forward proxy does); the rest is CONNECT.
    this.server = http.createServer((req, res) => {
      if (!req.url?.startsWith('http://')) {
        res.writeHead(405);
        res.end();
        return;
      }
      const target = new URL(req.url);
      this.forwarded.push(target.host);
      const up = http.request(
        { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
      const [host, port] = (req.url ?? '').split(':');
      this.tunnels.push(req.url ?? '');
      const upstream = net.connect(Number(port), host!, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    this.sockets = trackSockets(this.server);
    const port = await listen(this.server);
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async close(): Promise<void> {
    await closeServer(this.server, this.sockets);
  }
}
