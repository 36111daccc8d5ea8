// What the appliance reports per source: the terminal status, the web app and /metrics read these.
import type { SourceKind } from './source.js';

/** What the terminal status, the web app and /metrics show per source. */
export interface SourceStatus {
  name: string;
  kind: SourceKind | null;
  state: 'waiting' | 'running' | 'failing' | 'stopped';
  machines: number | null;
  lastDiscoveryAt: number | null;
  lastPollAt: number | null;
  /** End of the last poll (or discovery) that succeeded. */
  lastSuccessAt: number | null;
  lastPollMs: number | null;
  lastPollSamples: number;
  polls: number;
  /** Ticks that found the previous poll still running (no overlapping polls). */
  skippedPolls: number;
  samples: number;
  batches: number;
  /** Failed polls and discoveries. */
  errors: number;
  lastError: string | null;
}

/** The poll counters the web app and /metrics read per source. */
export interface PollCounters {
  lastPollAt: number | null;
  lastSuccessAt: number | null;
  polls: number;
  samples: number;
  errors: number;
  lastError: string | null;
}
