import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import { isFault } from './soap/errors.js';
import type { VimClient } from './soap/client.js';
import { child, textOf, type XmlNode } from '../../common/xml/reader.js';
import { el, type MoRef } from './soap/xml.js';

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  perfManager: MoRef;
  /** about.*: instanceUuid, version, build, apiType, fullName, apiVersion ... */
  about: Record<string, string>;
}

export interface SessionOptions {
  username: string;
  /** Resolved at each login, so a rotated secret is picked up. */
  password: () => Secret;
  log: Logger;
  /** Seconds between keep-alive calls (vCenter drops idle sessions after 30 min by default). */
  keepAliveSec?: number;
  /** First back-off after a failed login; doubles up to maxBackoffSec. */
  backoffSec?: number;
  maxBackoffSec?: number;
}

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

export function toMoRef(node: XmlNode | null): MoRef | null {
  return node ? { type: node.refType ?? '', value: node.text } : null;
}

/**
 * One long-lived vim25 session: Login once, keep it alive with CurrentTime, log in again once when
 * the server says NotAuthenticated, back off exponentially when logins keep failing, Logout on close.
 */
export class VimSession {
  readonly #client: VimClient;
  readonly #opts: SessionOptions;
  #content: ServiceContent | null = null;
  #loggedIn = false;
  #login: Promise<void> | null = null;
  #failures = 0;
  #retryAt = 0;
  #lastError: Error | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Logins performed (tests check that polls reuse the session). */
  logins = 0;

  constructor(client: VimClient, opts: SessionOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  get client(): VimClient {
    return this.#client;
  }

  async serviceContent(): Promise<ServiceContent> {
    if (this.#content) return this.#content;
    const res = await this.#client.call('RetrieveServiceContent', SERVICE_INSTANCE);
    const rv = child(res, 'returnval');
    const ref = (name: string): MoRef => {
      const r = toMoRef(child(rv, name));
      if (!r) throw new UserError(`${this.#client.endpoint}: the service content has no ${name}; this endpoint is not a vCenter Server.`, { fix: 'Point url at vCenter (https://<vcenter>/sdk); an ESXi host alone is not supported.', code: 'VCENTER_NOT_VCENTER' });
      return r;
    };
    const about: Record<string, string> = {};
    for (const c of child(rv, 'about')?.children ?? []) if (!c.children) about[c.name] = c.text;
    this.#content = {
      rootFolder: ref('rootFolder'),
      propertyCollector: ref('propertyCollector'),
      viewManager: ref('viewManager'),
      sessionManager: ref('sessionManager'),
      perfManager: ref('perfManager'),
      about,
    };
    return this.#content;
  }

  /** Makes sure a session exists; concurrent callers share one Login. */
  async ensure(): Promise<void> {
    if (this.#loggedIn) return;
    this.#login ??= this.#doLogin().finally(() => (this.#login = null));
    await this.#login;
  }

  async #doLogin(): Promise<void> {
    const wait = this.#retryAt - Date.now();
    if (wait > 0 && this.#lastError) {
      throw new UserError(`${this.#client.endpoint}: not logging in again for ${Math.ceil(wait / 1000)} s after ${this.#failures} failed attempt(s); last error: ${this.#lastError.message}`, {
        fix: (this.#lastError as UserError).fix ?? 'Fix the cause above; the collector retries with exponential back-off.',
        code: 'VCENTER_LOGIN_BACKOFF',
      });
    }
    const content = await this.serviceContent();
    this.#client.clearSession();
    try {
      const password = this.#opts.password();
      await this.#client.call('Login', content.sessionManager, el('userName', this.#opts.username) + el('password', password.reveal()));
    } catch (err) {
      this.#failures++;
      const backoff = Math.min((this.#opts.backoffSec ?? 5) * 2 ** (this.#failures - 1), this.#opts.maxBackoffSec ?? 300);
      this.#retryAt = Date.now() + backoff * 1000;
      this.#lastError = isFault(err, 'InvalidLogin')
        ? new UserError(`${this.#client.endpoint}: vCenter refused the login for user "${this.#opts.username}" (InvalidLogin: wrong user name or password, or the account is locked).`, {
            fix: 'Check username and the password secret it references; the account needs only a read-only role on the vCenter root, propagated to children.',
            code: 'VCENTER_INVALID_LOGIN',
          })
        : (err as Error);
      this.#opts.log.warn({ endpoint: this.#client.endpoint, failures: this.#failures, retryInSec: backoff, err: this.#lastError.message }, 'vCenter login failed');
      throw this.#lastError;
    }
    this.#failures = 0;
    this.#lastError = null;
    this.#loggedIn = true;
    this.logins++;
    this.#opts.log.info({ endpoint: this.#client.endpoint, user: this.#opts.username }, 'vCenter session opened');
    this.#startKeepAlive();
  }

  /** Calls a method in the session; on NotAuthenticated logs in again once and retries once. */
  async call(method: string, self: MoRef, body = ''): Promise<XmlNode> {
    return this.withSession((client) => client.call(method, self, body));
  }

  /** Runs one request in the session with the same re-login-once rule (for streamed calls). */
  async withSession<T>(request: (client: VimClient) => Promise<T>): Promise<T> {
    await this.ensure();
    try {
      return await request(this.#client);
    } catch (err) {
      if (!isFault(err, 'NotAuthenticated')) throw err;
      this.#opts.log.warn({ endpoint: this.#client.endpoint, method: err.method }, 'vCenter session expired; logging in again');
      this.#loggedIn = false;
      await this.ensure();
      return request(this.#client);
    }
  }

  /** vCenter's clock (perf windows follow it, not ours); doubles as the keep-alive. */
  async currentTime(): Promise<number> {
    const res = await this.call('CurrentTime', SERVICE_INSTANCE);
    const t = Date.parse(textOf(res, 'returnval') ?? '');
    if (!Number.isFinite(t)) throw new UserError(`${this.#client.endpoint}: CurrentTime returned no time.`, { fix: 'Check that url points at a vCenter Server.' });
    return t;
  }

  #startKeepAlive(): void {
    if (this.#timer) return;
    const every = (this.#opts.keepAliveSec ?? 600) * 1000;
    this.#timer = setInterval(() => {
      if (!this.#loggedIn) return;
      this.#client.call('CurrentTime', SERVICE_INSTANCE).catch((err) => {
        if (isFault(err, 'NotAuthenticated')) this.#loggedIn = false; // the next call logs in again
        this.#opts.log.debug({ endpoint: this.#client.endpoint, err: (err as Error).message }, 'vCenter keep-alive failed');
      });
    }, every);
    this.#timer.unref();
  }

  async logout(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#loggedIn && this.#content) {
      await this.#client.call('Logout', this.#content.sessionManager).catch((err) => {
        this.#opts.log.debug({ endpoint: this.#client.endpoint, err: (err as Error).message }, 'vCenter logout failed');
      });
    }
    this.#loggedIn = false;
    this.#client.clearSession();
  }
}
