// The HTTP side of the sink: one undici dispatcher that honours HTTPS_PROXY / NO_PROXY (appliances
// often sit behind a proxy) and the configured trust; token requests, ARM, Blob Storage and Logs
// Ingestion all go through it.
import type { Dispatcher } from 'undici';
import { proxyAwareDispatcher } from '../../common/proxy-dispatcher.js';
import { tlsOptions } from '../../common/tls.js';
import type { SinkSettings } from '../../config/schema/sink.js';

export function createDispatcher(settings: Pick<SinkSettings, 'tls' | 'timeoutSec'>, timeoutMs = settings.timeoutSec * 1000): Dispatcher {
  // The schema refuses a pinned thumbprint for the sink, so this is CA trust (or, knowingly, none).
  const tls = tlsOptions(settings.tls, 'sink.tls');
  return proxyAwareDispatcher({ tls, timeoutMs });
}
