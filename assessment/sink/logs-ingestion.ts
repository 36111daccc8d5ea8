// Azure Monitor Logs Ingestion through @azure/monitor-ingestion: POST {endpoint}/dataCollectionRules/
// {ruleId}/streams/{stream}?api-version=2023-01-01, gzip JSON arrays. The SDK cuts a batch into
// requests of under 1,000,000 bytes of JSON (the service's limit is 1 MB) and retries 429/5xx with
// Retry-After a few times; this module adds what the SDK leaves out: a 413 halves the rows and tries
// again, a 401 fetches a fresh token once, and whatever still failed is handed back (only those
// rows), so the outbox retries them and not the requests Azure already accepted.
import type { HttpClient } from '@azure/core-rest-pipeline';
import { LogsIngestionClient } from '@azure/monitor-ingestion';
import { redactText } from '../../common/log.js';
import type { TokenSource } from './credential.js';
import { parseRetryAfter } from './retry-after.js';
import type { Row } from './rows.js';

export interface IngestOutcome {
  /** Rows Azure accepted (some may be repeats of an earlier, unacknowledged attempt: see RecordId). */
  accepted: number;
  /** Rows still to send; empty when everything was accepted. */
  remaining: Row[];
  /** Why the remaining rows failed, without secrets. */
  reason?: string;
  /** The status of the last failure; 4xx other than 401/408/413/429 will not succeed by retrying. */
  status?: number;
  retryAfterMs?: number;
  requests: number;
}

interface Failure {
  rows: Row[];
  status?: number;
  message: string;
  retryAfterMs?: number;
}

export class LogsIngestionSender {
  client: LogsIngestionClient;
  constructor(
    readonly endpoint: string,
    private readonly ruleId: string,
    private readonly tokens: TokenSource,
    private readonly opts: { httpClient: HttpClient; maxRetries?: number; retryDelayMs?: number },
  ) {
    this.client = this.#newClient();
  }

  // The SDK's bearer policy keeps its own copy of the token; a new client is the way to drop it.
  #newClient(): LogsIngestionClient {
    return new LogsIngestionClient(this.endpoint, this.tokens.asCredential(), {
      httpClient: this.opts.httpClient,
      retryOptions: { maxRetries: this.opts.maxRetries ?? 3, retryDelayInMs: this.opts.retryDelayMs ?? 1000, maxRetryDelayInMs: 30_000 },
    });
  }

  async send(stream: string, rows: Row[]): Promise<IngestOutcome> {
    let requests = 0;
    const attempt = async (batch: Row[]): Promise<Failure[]> => {
      const failures: Failure[] = [];
      try {
        requests += 1;
        await this.client.upload(this.ruleId, stream, batch, {
          maxConcurrency: 1,
          onError: (e) => failures.push(describe(e.failedLogs as Row[], e.cause)),
        });
      } catch (err) {
        if (failures.length === 0) failures.push(describe(batch, err));
      }
      return failures;
    };
    let failures = await attempt(rows);
    // One fresh token for the rows a 401 refused (expired or revoked), as the SDK does not refresh on 401.
    if (failures.some((f) => f.status === 401)) {
      this.tokens.invalidate();
      this.client = this.#newClient();
      const again = failures.filter((f) => f.status === 401).flatMap((f) => f.rows);
      failures = [...failures.filter((f) => f.status !== 401), ...(await attempt(again))];
    }
    // 413: the endpoint's limit is below what the SDK assumed; halve until the rows fit (a single row that does not fit fails).
    for (let round = 0; round < 12 && failures.some((f) => f.status === 413 && f.rows.length > 1); round++) {
      const next: Failure[] = [];
      for (const f of failures) {
        if (f.status !== 413 || f.rows.length <= 1) {
          next.push(f);
          continue;
        }
        const mid = Math.ceil(f.rows.length / 2);
        next.push(...(await attempt(f.rows.slice(0, mid))), ...(await attempt(f.rows.slice(mid))));
      }
      failures = next;
    }
    const remaining = failures.flatMap((f) => f.rows);
    const last = failures[failures.length - 1];
    return {
      accepted: rows.length - remaining.length,
      remaining,
      reason: last ? `${stream}: ${last.message}` : undefined,
      status: last?.status,
      retryAfterMs: failures.reduce<number | undefined>(
        (m, f) => (f.retryAfterMs === undefined ? m : Math.max(m ?? 0, f.retryAfterMs)),
        undefined,
      ),
      requests,
    };
  }
}

function describe(rows: Row[], err: unknown): Failure {
  const e = err as {
    statusCode?: number;
    code?: string;
    message?: string;
    response?: { headers?: { get(n: string): string | undefined } };
  };
  const status = e.statusCode;
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get('retry-after') ?? undefined);
  const text = redactText(
    String(e.message ?? err)
      .replace(/\s+/g, ' ')
      .slice(0, 300),
  );
  return {
    rows,
    status,
    retryAfterMs,
    message: status ? `HTTP ${status}${e.code ? ` ${e.code}` : ''}: ${text}` : `${e.code ?? 'error'}: ${text}`,
  };
}

/**
 * Whether a failure is worth retrying later (outage, throttling, token) or will never be accepted:
 * 400 (rows do not match the stream), 403 (no Monitoring Metrics Publisher role), 404 (rule or stream),
 * 413 left after halving (one row over the limit) are parked with the reason.
 */
export function retryableIngest(status: number | undefined): boolean {
  return status === undefined || status === 401 || status === 408 || status === 429 || status >= 500;
}
