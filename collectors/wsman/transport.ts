// Client transport: one keep-alive connection per host (an undici Client is exactly one socket),
// authenticated once per connection with NTLM inside Negotiate (or Basic over HTTPS), with
// SPNEGO message encryption over HTTP. NTLM state belongs to the socket, so a new socket means
// a new handshake; a 401 on an authenticated connection re-handshakes once (docs/winrm-wire.md §2.1, §3).
import type { TLSSocket } from 'node:tls';
import { Client, buildConnector, type Dispatcher } from 'undici';
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import { checkPinnedPeer, explainTlsFailure, tlsOptions, type TlsSettings } from '../../common/tls.js';
import { bytesExceeded, DEFAULT_LIMITS } from '../../common/xml/limits.js';
import { WsmanAuthError, WsmanLimitError, WsmanTimeoutError, WsmanTransportError, WsmanError } from './errors.js';
import { charsetOf, decodeSoap, decryptMessage, encryptMessage, ENCRYPTED_CONTENT_TYPE, isEncryptedContentType } from './encryption.js';
import { channelBindingHash } from './ntlm/cbt.js';
import { NtlmClientContext } from './ntlm/client.js';
import type { NtlmSession } from './ntlm/session.js';

export interface TransportOptions {
  host: string;
  port: number;
  scheme: 'http' | 'https';
  auth: 'ntlm' | 'basic';
  username: string;
  password: Secret;
  tls?: TlsSettings;
  /** Per request: the idle timers (headers, each body chunk) and the wall-clock deadline of the whole POST. */
  timeoutMs: number;
  /** A reply body larger than this is cut off while it streams in (default: common/xml's maxBytes). */
  maxReplyBytes?: number;
  log?: Logger;
}

export interface TransportResponse {
  status: number;
  /** The SOAP text (decrypted when the connection is sealed); '' when the body was empty. */
  body: string;
}

const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function headerList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function isStaleSocket(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

export class WsmanTransport {
  readonly endpoint: string;
  readonly #opts: TransportOptions;
  readonly #client: Client;
  /** Incremented for every new socket: NTLM authentication is valid only on the socket it ran on. */
  #socketGen = 0;
  #peerCert: Buffer | undefined;
  #session: NtlmSession | undefined;
  #sessionGen = -1;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.endpoint = `${opts.scheme}://${opts.host}:${opts.port}/wsman`;
    const https = opts.scheme === 'https';
    const base = buildConnector({
      ...(https ? tlsOptions(opts.tls) : {}),
      timeout: Math.min(opts.timeoutMs, 30_000),
      maxCachedSessions: 0,
    } as buildConnector.BuildOptions);
    this.#client = new Client(`${opts.scheme}://${opts.host}:${opts.port}`, {
      pipelining: 1,
      // Windows keeps idle connections 120 s (HTTP.sys); polls come every 30 s. Keep ours open as long.
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 600_000,
      keepAliveTimeoutThreshold: 1_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connect: (connectOpts, cb) => {
        base(connectOpts, (err, socket) => {
          if (err || !socket) return cb(err ?? new Error('connect failed'), null);
          if (https) {
            try {
              checkPinnedPeer(socket as TLSSocket, opts.tls ?? {}, `${opts.host}:${opts.port}`);
            } catch (e) {
              socket.destroy();
              return cb(e as Error, null);
            }
            this.#peerCert = (socket as TLSSocket).getPeerX509Certificate()?.raw;
          }
          this.#socketGen++;
          cb(null, socket);
        });
      },
    });
  }

  /** Sends one SOAP envelope and returns the (decrypted) reply. Requests on one host are serialised. */
  send(xml: string): Promise<TransportResponse> {
    const run = this.#queue.then(() => this.#exchangeRetryingStaleSocket(xml));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close().catch(() => this.#client.destroy());
  }

  get #account(): string {
    return this.#opts.username;
  }

  /**
   * A keep-alive socket the host closed while idle fails the next request with a reset, so the
   * request is sent once more on a new connection. Had the host processed it after all (a Pull),
   * the resend gets wsen:InvalidEnumerationContext and the caller restarts the enumeration.
   */
  async #exchangeRetryingStaleSocket(xml: string): Promise<TransportResponse> {
    try {
      return await this.#exchange(xml);
    } catch (e) {
      if (!(e instanceof WsmanTransportError) || !isStaleSocket(e.cause)) throw e;
      this.#session = undefined;
      this.#opts.log?.debug({ endpoint: this.endpoint }, 'WS-Man: connection closed by the host, reconnecting');
      return this.#exchange(xml);
    }
  }

  async #exchange(xml: string): Promise<TransportResponse> {
    if (this.#closed) throw new WsmanTransportError(this.endpoint, 'the client is closed', 'Create a new client.');
    const plaintext = Buffer.from(xml, 'utf8');
    if (this.#opts.auth === 'basic') {
      if (this.#opts.scheme !== 'https') {
        throw new WsmanTransportError(
          this.endpoint,
          'Basic authentication over plain HTTP would send the password in the clear',
          'Use HTTPS (port 5986), or NTLM.',
        );
      }
      const token = Buffer.from(`${this.#opts.username}:${this.#opts.password.reveal()}`, 'utf8').toString('base64');
      const r = await this.#post(plaintext, { authorization: `Basic ${token}`, 'content-type': SOAP_CONTENT_TYPE });
      if (r.status === 401) throw this.#authError(r, 'Basic');
      return this.#reply(r);
    }
    const sealed = this.#opts.scheme === 'http';
    for (let attempt = 0; ; attempt++) {
      if (!this.#session || this.#sessionGen !== this.#socketGen) {
        const r = await this.#handshake(sealed ? null : plaintext);
        if (!sealed) return this.#reply(r);
      }
      const session = this.#session;
      if (!session)
        throw new WsmanTransportError(
          this.endpoint,
          'no NTLM session after the handshake',
          'This is a bug of the client; please report it.',
        );
      const r = sealed
        ? await this.#post(encryptMessage(session, plaintext), { 'content-type': ENCRYPTED_CONTENT_TYPE })
        : await this.#post(plaintext, { 'content-type': SOAP_CONTENT_TYPE });
      if (r.status === 401) {
        // The host forgot this connection's authentication (or a new socket was opened): once more.
        this.#session = undefined;
        if (attempt === 0) {
          this.#opts.log?.debug({ endpoint: this.endpoint }, 'WS-Man: 401 on an authenticated connection, re-authenticating');
          continue;
        }
        throw this.#authError(r, 'NTLM');
      }
      return this.#reply(r);
    }
  }

  /**
   * NEGOTIATE -> 401 + CHALLENGE -> AUTHENTICATE. Over HTTP the third leg is empty (the host
   * answers 200); over HTTPS it carries the first request, as requests_ntlm does.
   */
  async #handshake(firstBody: Buffer | null): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      const ctx = new NtlmClientContext({ account: this.#account, password: this.#opts.password.reveal() });
      const r1 = await this.#post(Buffer.alloc(0), { authorization: `Negotiate ${ctx.negotiate().toString('base64')}` });
      const gen = this.#socketGen;
      const offers = headerList(r1.headers['www-authenticate']);
      const challenge = offers.map((h) => /^Negotiate\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h)?.[1]).find(Boolean);
      if (r1.status !== 401 || !challenge) {
        if (r1.status === 401) {
          throw new WsmanAuthError(
            this.endpoint,
            `the host does not offer NTLM through Negotiate (it offers: ${offers.map((o) => o.split(/\s/)[0]).join(', ') || 'nothing'})`,
            'Enable Negotiate authentication in the WinRM service (winrm set winrm/config/service/auth @{Negotiate="true"}), or use auth: basic over HTTPS.',
          );
        }
        throw new WsmanTransportError(
          this.endpoint,
          `unexpected HTTP ${r1.status} to the NTLM negotiate message`,
          'Check that this port is a WinRM listener.',
        );
      }
      let auth: Buffer;
      try {
        const cbt = this.#opts.scheme === 'https' && this.#peerCert ? channelBindingHash(this.#peerCert) : undefined;
        auth = ctx.authenticate(Buffer.from(challenge, 'base64'), cbt);
      } catch (e) {
        throw new WsmanTransportError(
          this.endpoint,
          `cannot complete NTLM: ${(e as Error).message}`,
          'Check that this is a Windows WinRM listener.',
          e,
        );
      }
      const headers: Record<string, string> = { authorization: `Negotiate ${auth.toString('base64')}` };
      if (firstBody) headers['content-type'] = SOAP_CONTENT_TYPE;
      const r3 = await this.#post(firstBody ?? Buffer.alloc(0), headers);
      if (this.#socketGen !== gen) {
        // The connection was replaced between the legs; NTLM must restart on the new socket.
        if (attempt < 2) continue;
        throw new WsmanTransportError(
          this.endpoint,
          'the connection keeps closing during NTLM authentication',
          'Check for a proxy or load balancer that does not keep connections alive.',
        );
      }
      if (r3.status === 401) throw this.#authError(r3, 'NTLM');
      if (firstBody === null && r3.status !== 200) {
        throw new WsmanTransportError(
          this.endpoint,
          `unexpected HTTP ${r3.status} after NTLM authentication`,
          'Check that this port is a WinRM listener.',
        );
      }
      this.#session = ctx.session;
      this.#sessionGen = gen;
      if (firstBody === null && !this.#session.canSeal) {
        throw new WsmanTransportError(this.endpoint, 'the host did not agree to NTLM message encryption', 'Use HTTPS (port 5986).');
      }
      return r3;
    }
  }

  #authError(r: RawResponse, scheme: string): WsmanAuthError {
    const offers = headerList(r.headers['www-authenticate']).map((o) => o.split(/\s/)[0]);
    return new WsmanAuthError(
      this.endpoint,
      `the host refused the credentials of ${this.#account} (HTTP 401, ${scheme}${offers.length ? `; it offers ${offers.join(', ')}` : ''})`,
    );
  }

  #reply(r: RawResponse): TransportResponse {
    const contentType = headerList(r.headers['content-type'])[0];
    let body = '';
    if (isEncryptedContentType(contentType)) {
      if (!this.#session)
        throw new WsmanTransportError(
          this.endpoint,
          'encrypted reply on a connection without NTLM session',
          'This is a protocol error of the host.',
        );
      try {
        const d = decryptMessage(this.#session, r.body);
        body = decodeSoap(d.plaintext, d.charset);
      } catch (e) {
        this.#session = undefined;
        throw new WsmanTransportError(
          this.endpoint,
          `cannot decrypt the reply: ${(e as Error).message}`,
          'Retry; if it persists, use HTTPS.',
          e,
        );
      }
    } else if (r.body.length) {
      if (this.#opts.scheme === 'http' && this.#opts.auth === 'ntlm' && r.status === 200) {
        throw new WsmanTransportError(
          this.endpoint,
          'the host answered without message encryption',
          'Refusing an unencrypted reply on an encrypted session; check for a proxy in between.',
        );
      }
      body = decodeSoap(r.body, charsetOf(contentType));
    }
    if (r.status !== 200 && !/<([\w-]+:)?Envelope[\s>]/.test(body)) {
      const hint =
        r.status === 500 && !body
          ? 'The host refused the request without a SOAP answer; over HTTP this is what Windows does with unencrypted messages (AllowUnencrypted=false). Use NTLM with encryption or HTTPS.'
          : 'Check that this port is a WinRM listener (POST /wsman).';
      throw new WsmanTransportError(this.endpoint, `HTTP ${r.status} without a SOAP reply`, hint);
    }
    return { status: r.status, body };
  }

  /**
   * One POST, bounded in time as a whole: undici's headersTimeout/bodyTimeout are idle timers a host trickling
   * a byte every few seconds never trips, so a timer aborts the request (and its socket) after timeoutMs.
   */
  async #post(body: Buffer, headers: Record<string, string>): Promise<RawResponse> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#opts.timeoutMs);
    let answered = false;
    try {
      const res = await this.#client.request({ path: '/wsman', method: 'POST', headers, body, signal: deadline.signal });
      answered = true;
      return { status: res.statusCode, headers: res.headers, body: await this.#readCapped(res) };
    } catch (e) {
      // A cap that fired before the deadline keeps its own error; anything else after the abort is the deadline.
      if (deadline.signal.aborted && !(e instanceof WsmanError)) {
        const what = answered ? 'no complete answer' : 'no answer';
        throw new WsmanTimeoutError(this.endpoint, `${what} within ${this.#opts.timeoutMs} ms (whole-request deadline)`, null, e);
      }
      throw await this.#networkError(e);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads a reply body chunk by chunk and stops at the cap: a flood costs at most the cap, not the process. */
  async #readCapped(res: Dispatcher.ResponseData): Promise<Buffer> {
    const max = this.#opts.maxReplyBytes ?? DEFAULT_LIMITS.maxBytes;
    const tooLarge = () => {
      const e = bytesExceeded(max, 'the reply');
      return new WsmanLimitError(this.endpoint, e.message, e.limit, e.value, e);
    };
    const declared = Number(headerList(res.headers['content-length'])[0] ?? Number.NaN);
    if (declared > max) {
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > max) {
        res.body.destroy();
        throw tooLarge();
      }
      chunks.push(buf);
    }
    return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size);
  }

  async #networkError(e: unknown): Promise<Error> {
    if (e instanceof WsmanError) return e;
    const { host, port } = this.#opts;
    const tlsErr = this.#opts.scheme === 'https' ? await explainTlsFailure(e, host, port) : null;
    if (tlsErr) return tlsErr;
    const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
    if ((err as { name?: string }).name === 'TlsTrustError') return err;
    const code = err.code ?? err.cause?.code ?? '';
    if (/TIMEOUT/i.test(code)) {
      return new WsmanTimeoutError(this.endpoint, `no answer within ${this.#opts.timeoutMs} ms (${code})`, null, e);
    }
    const listener =
      'Check that WinRM runs and listens on this port (Enable-PSRemoting / winrm quickconfig; winrm enumerate winrm/config/listener) and that the firewall allows it inbound.';
    if (code === 'ECONNREFUSED') return new WsmanTransportError(this.endpoint, `connection refused on port ${port}`, listener, e);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new WsmanTransportError(this.endpoint, `cannot resolve host name ${host}`, 'Check the host name and DNS.', e);
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
      return new WsmanTransportError(this.endpoint, `host unreachable (${code})`, 'Check the network path and firewall.', e);
    return new WsmanTransportError(this.endpoint, `connection failed: ${err.message}${code ? ` (${code})` : ''}`, listener, e);
  }
}
