import { UserError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { HypervSourceConfig } from '../../config/schema/hyperv.js';
import type { SourceCollector } from '../model.js';

/** Placeholder until the Hyper-V collector lands (same session). */
export function createHypervCollector(cfg: HypervSourceConfig, _opts: { log: Logger }): SourceCollector {
  throw new UserError(`source ${cfg.name}: the Hyper-V collector is not yet available in this build.`, { fix: 'Use a newer build.' });
}
