import type { Logger } from '../common/log.js';
import type { ApplianceService } from './service.js';

type Status = Awaited<ReturnType<ApplianceService['status']>>;

/** True when a person is watching: stdout is a terminal and no service manager (systemd sets INVOCATION_ID) runs us. */
export function isInteractive(): boolean {
  return process.stdout.isTTY === true && !process.env.INVOCATION_ID;
}

function ago(ts: number | null, now: number): string {
  if (ts === null) return '-';
  const s = Math.max(0, Math.round((now - ts) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

/** Renders the status as lines (pure, so it is testable without a terminal). */
export function renderStatus(st: Status, rates: { intake: number; rollup: number }, now = Date.now()): string[] {
  const lines = [`collector run  ${new Date(now).toISOString().slice(0, 19)}Z`];
  if (st.sources.length > 0) {
    lines.push(`${pad('SOURCE', 20)}${pad('STATE', 9)}${pad('MACHINES', 9)}${pad('LAST POLL', 11)}${pad('SAMPLES', 12)}ERROR`);
    for (const s of st.sources) {
      lines.push(
        `${pad(s.name, 20)}${pad(s.state, 9)}${pad(String(s.machines ?? '-'), 9)}${pad(ago(s.lastPollAt, now), 11)}${pad(String(s.samples), 12)}${s.lastError ?? ''}`,
      );
    }
  }
  const parts: string[] = [];
  if (st.producer)
    parts.push(`intake ${Math.round(rates.intake)} samples/s`, `buffer ${st.producer.bufferedSamples} (redis ${st.producer.redis})`);
  if (st.queue)
    parts.push(
      `queue ${st.queue.waiting} waiting, ${st.queue.active} active, ${st.queue.failed} failed, lag ${(st.queue.lagMs / 1000).toFixed(1)}s`,
    );
  if (st.worker) parts.push(`rollup ${Math.round(rates.rollup)} samples/s (${st.worker.jobs} batches)`);
  lines.push(parts.join(' · '));
  return lines;
}

/**
 * On a terminal: the status refreshed in place every second. Under a service manager: a JSON status
 * log line every minute, nothing else (the logs are the interface there).
 */
export class TerminalStatus {
  #timer: NodeJS.Timeout | null = null;
  #lines = 0;
  #last: { at: number; intake: number; rollup: number } | null = null;
  readonly #rates = { intake: 0, rollup: 0 };

  constructor(
    private readonly svc: ApplianceService,
    private readonly log: Logger,
    private readonly opts: { interactive?: boolean; intervalMs?: number } = {},
  ) {}

  start(): void {
    const interactive = this.opts.interactive ?? isInteractive();
    const every = this.opts.intervalMs ?? (interactive ? 1000 : 60_000);
    this.#timer = setInterval(() => void this.#tick(interactive), every);
    this.#timer.unref();
  }

  async #tick(interactive: boolean): Promise<void> {
    const st = await this.svc.status();
    const now = Date.now();
    const intake = st.producer?.deliveredSamples ?? 0;
    const rolled = st.worker?.samples ?? 0;
    if (this.#last) {
      const dt = Math.max(1, now - this.#last.at) / 1000;
      this.#rates.intake = (intake - this.#last.intake) / dt;
      this.#rates.rollup = (rolled - this.#last.rollup) / dt;
    }
    this.#last = { at: now, intake, rollup: rolled };
    if (!interactive) {
      this.log.info(
        { status: { sources: st.sources, queue: st.queue, producer: st.producer, worker: st.worker, rates: this.#rates } },
        'status',
      );
      return;
    }
    const lines = renderStatus(st, this.#rates, now);
    const width = process.stdout.columns || 120; // 0 when the terminal reports no size
    const out = (this.#lines > 0 ? `\x1b[${this.#lines}F\x1b[J` : '') + lines.map((l) => l.slice(0, width - 1)).join('\n') + '\n';
    this.#lines = lines.length;
    process.stdout.write(out);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
