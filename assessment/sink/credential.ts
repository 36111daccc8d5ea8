// Microsoft Entra ID client credentials (@azure/identity): a client secret or a certificate, with the
// authority host, tenant and scope configurable so a sovereign cloud or a test authority works.
import { ClientCertificateCredential, ClientSecretCredential, type AccessToken, type TokenCredential } from '@azure/identity';
import { UserError } from '../../common/errors.js';
import { redactText } from '../../common/log.js';
import type { SinkSettings } from '../../config/schema/sink.js';
import { resolveSecret } from '../../config/secret-refs.js';
import type { Dispatcher } from 'undici';
import { undiciHttpClient, type TransportErrors } from './identity-http.js';

export class AuthError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthError';
  }
}

/** The credential; `dispatcher` is the sink's undici dispatcher, so tokens use the same proxy and trust as uploads. */
export function createCredential(settings: SinkSettings, dispatcher?: Dispatcher, errors?: TransportErrors): TokenCredential {
  if (!settings.tenantId || !settings.clientId) {
    throw new UserError('sink: tenantId and clientId are required to send to Azure.', {
      fix: 'Add sink.tenantId and sink.clientId (the app registration) to the config.',
      code: 'SINK_CONFIG',
    });
  }
  const options = {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: !settings.instanceDiscovery,
    ...(dispatcher ? { httpClient: undiciHttpClient(dispatcher, settings.timeoutSec * 1000, errors) } : {}),
  };
  if (settings.certificateFile) {
    const password = settings.certificatePassword
      ? resolveSecret(settings.certificatePassword, 'sink.certificatePassword').reveal()
      : undefined;
    return new ClientCertificateCredential(
      settings.tenantId,
      settings.clientId,
      { certificatePath: settings.certificateFile, certificatePassword: password },
      options,
    );
  }
  if (!settings.clientSecret) {
    throw new UserError('sink: neither clientSecret nor certificateFile is set.', {
      fix: 'Add sink.clientSecret: { env: NAME } or sink.certificateFile: /path/to/cert.pem.',
      code: 'SINK_CONFIG',
    });
  }
  const secret = resolveSecret(settings.clientSecret, 'sink.clientSecret');
  return new ClientSecretCredential(settings.tenantId, settings.clientId, secret.reveal(), options);
}

/**
 * Hands out bearer tokens for the configured scope. @azure/identity caches and renews them; when the
 * ingestion endpoint rejects one anyway (revoked, clock skew), invalidate() drops the credential so
 * the next token is fetched fresh from the authority.
 */
export class TokenSource {
  #credential: TokenCredential | undefined;
  #cached: AccessToken | undefined;
  readonly #errors: TransportErrors = { last: null };
  requests = 0;
  constructor(
    private readonly settings: SinkSettings,
    /** The token's audience: ARM (https://management.azure.com/.default) or Azure Monitor (https://monitor.azure.com/.default). */
    readonly scope: string,
    private readonly dispatcher?: Dispatcher,
    private readonly factory: (s: SinkSettings, d?: Dispatcher, e?: TransportErrors) => TokenCredential = createCredential,
  ) {}

  async token(): Promise<string> {
    return (await this.accessToken()).token;
  }

  async accessToken(): Promise<AccessToken> {
    const now = Date.now();
    if (this.#cached && this.#cached.expiresOnTimestamp - 60_000 > now) return this.#cached;
    this.#credential ??= this.factory(this.settings, this.dispatcher, this.#errors);
    this.#errors.last = null;
    this.requests += 1;
    let t: AccessToken | null;
    try {
      t = await this.#credential.getToken(this.scope);
    } catch (err) {
      const network = this.#errors.last ? ` (network: ${this.#errors.last})` : '';
      throw new AuthError(
        `could not get a token from ${this.settings.authorityHost} for tenant ${this.settings.tenantId}: ${redactText(firstLine(err))}${redactText(network)}`,
        { cause: err },
      );
    }
    if (!t) throw new AuthError(`the authority ${this.settings.authorityHost} returned no token`);
    this.#cached = t;
    return t;
  }

  /** This source as a TokenCredential for an Azure SDK client, so the SDK shares the cache and invalidate(). */
  asCredential(): TokenCredential {
    return { getToken: async () => this.accessToken() };
  }

  invalidate(): void {
    this.#cached = undefined;
    this.#credential = undefined;
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').slice(0, 2).join(' ').slice(0, 400);
}
