import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Secret } from '../../common/secret-value.js';
import type { XmlEvents, XmlNode } from '../../common/xml/reader.js';
import { explained, vcenterError } from './errors.js';
import type { VimClient } from './soap/client.js';
import { isFault } from './soap/errors.js';
import type { MoRef } from './vim/caller.js';
import type { VimCaller } from './vim/caller.js';
import * as vim from './vim/session.js';

/** The service content of a vCenter Server: every reference the collector uses is there. */
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

/**
 * One long-lived vim25 session: Login once, keep it alive with CurrentTime, log in again once when
 * the server says NotAuthenticated, back off exponentially when logins keep failing, Logout on close.
 */
export class VimSession implements VimCaller {
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

  get endpoint(): string {
    return this.#client.endpoint;
  }

  async serviceContent(): Promise<ServiceContent> {
    if (this.#content) return this.#content;
    const sc = await explained(() => vim.retrieveServiceContent(this.#client));
    const ref = (name: keyof Omit<vim.ServiceContent, 'about'>): MoRef => {
      const r = sc[name];
      if (!r) {
        throw new UserError(`${this.#client.endpoint}: the service content has no ${name}; this endpoint is not a vCenter Server.`, {
          fix: 'Point url at vCenter (https://<vcenter>/sdk); an ESXi host alone is not supported.',
          code: 'VCENTER_NOT_VCENTER',
        });
      }
      return r;
    };
    this.#content = {
      rootFolder: ref('rootFolder'),
      propertyCollector: ref('propertyCollector'),
      viewManager: ref('viewManager'),
      sessionManager: ref('sessionManager'),
      perfManager: ref('perfManager'),
      about: sc.about,
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
      throw new UserError(
        `${this.#client.endpoint}: not logging in again for ${Math.ceil(wait / 1000)} s after ${this.#failures} failed attempt(s); last error: ${this.#lastError.message}`,
        {
          fix:
            (this.#lastError instanceof UserError ? this.#lastError.fix : undefined) ??
            'Fix the cause above; the collector retries with exponential back-off.',
          code: 'VCENTER_LOGIN_BACKOFF',
        },
      );
    }
    const content = await this.serviceContent();
    this.#client.clearSession();
    try {
      await vim.login(this.#client, content.sessionManager, this.#opts.username, this.#opts.password().reveal());
    } catch (err) {
      this.#failures++;
      const backoff = Math.min((this.#opts.backoffSec ?? 5) * 2 ** (this.#failures - 1), this.#opts.maxBackoffSec ?? 300);
      this.#retryAt = Date.now() + backoff * 1000;
      this.#lastError = isFault(err, 'InvalidLogin')
        ? new UserError(
            `${this.#client.endpoint}: vCenter refused the login for user "${this.#opts.username}" (InvalidLogin: wrong user name or password, or the account is locked).`,
            {
              fix: 'Check username and the password secret it references; the account needs only a read-only role on the vCenter root, propagated to children.',
              code: 'VCENTER_INVALID_LOGIN',
            },
          )
        : asError(vcenterError(err));
      this.#opts.log.warn(
        { endpoint: this.#client.endpoint, failures: this.#failures, retryInSec: backoff, err: this.#lastError.message },
        'vCenter login failed',
      );
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

  /** A streamed call in the session (a NotAuthenticated fault comes before any event, so a retry is clean). */
  async callStream(method: string, self: MoRef, body: string, events: XmlEvents): Promise<void> {
    return this.withSession((client) => client.callStream(method, self, body, events));
  }

  /**
   * Runs one request in the session with the same re-login-once rule; wire errors come out as
   * the administrator's errors (with the fix in config words).
   */
  async withSession<T>(request: (client: VimClient) => Promise<T>): Promise<T> {
    return explained(async () => {
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
    });
  }

  /** vCenter's clock (perf windows follow it, not ours); doubles as the keep-alive. */
  async currentTime(): Promise<number> {
    const t = await this.withSession((client) => vim.currentTime(client));
    if (t === null)
      throw new UserError(`${this.#client.endpoint}: CurrentTime returned no time.`, { fix: 'Check that url points at a vCenter Server.' });
    return t;
  }

  #startKeepAlive(): void {
    if (this.#timer) return;
    const every = (this.#opts.keepAliveSec ?? 600) * 1000;
    this.#timer = setInterval(() => {
      if (!this.#loggedIn) return;
      vim.currentTime(this.#client).catch((err) => {
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
      await vim.logout(this.#client, this.#content.sessionManager).catch((err) => {
        this.#opts.log.debug({ endpoint: this.#client.endpoint, err: (err as Error).message }, 'vCenter logout failed');
      });
    }
    this.#loggedIn = false;
    this.#client.clearSession();
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
