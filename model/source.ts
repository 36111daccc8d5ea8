// The contract every source implements, and the status the appliance reports per source.
import type { Machine } from './machine.js';
import type { SampleSink } from './sample.js';

/** vcenter and hyperv read hypervisors; linux (SSH) and windows (WinRM) read physical servers directly. */
export type SourceKind = 'vcenter' | 'hyperv' | 'linux' | 'windows';

export interface SourceSummary {
  name: string;
  kind: SourceKind;
  /** Where it was reached (URL or host:port), never with credentials. */
  endpoint: string;
  /** Identity of the far end, e.g. vCenter about.instanceUuid/version, Hyper-V host names. */
  about: Record<string, string>;
  machines: number;
  /** vCenter templates are not machines; they are counted and skipped. */
  templatesSkipped: number;
  discoveredAt: string;
  errors: string[];
}

export interface Inventory {
  sources: SourceSummary[];
  machines: Machine[];
}

export interface PollStats {
  machinesPolled: number;
  samples: number;
  /** Requests to the far end (QueryPerf calls, WS-Man round trips). */
  requests: number;
  errors: string[];
}

/**
 * The contract every source implements (Telegraf-style): the pipeline behind it does not care
 * which source a sample came from. A collector keeps one long-lived session and its own
 * high-water marks; poll() captures every sample since the last poll exactly once.
 */
export interface SourceCollector {
  readonly name: string;
  readonly kind: SourceKind;
  /** Default cadence: 20 s for vCenter, 30 s for Hyper-V. */
  readonly pollIntervalSec: number;
  discover(): Promise<{ source: SourceSummary; machines: Machine[] }>;
  poll(sink: SampleSink): Promise<PollStats>;
  close(): Promise<void>;
}
