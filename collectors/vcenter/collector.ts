import type { Logger } from '../../common/log.js';
import type { VcenterSourceConfig } from '../../config/load.js';
import type { Machine, PollStats, SampleSink, SourceCollector, SourceSummary } from '../model.js';

// Placeholder so the build stays green while the real collector lands.
export class VcenterCollector implements SourceCollector {
  readonly name: string;
  readonly kind = 'vcenter' as const;
  readonly pollIntervalSec: number;
  constructor(
    private readonly cfg: VcenterSourceConfig,
    private readonly opts: { log: Logger },
  ) {
    this.name = cfg.name;
    this.pollIntervalSec = cfg.pollIntervalSec;
  }
  async discover(): Promise<{ source: SourceSummary; machines: Machine[] }> {
    throw new Error('vCenter discovery is not implemented yet');
  }
  async poll(_sink: SampleSink): Promise<PollStats> {
    throw new Error('vCenter polling is not implemented yet');
  }
  async close(): Promise<void> {}
}
