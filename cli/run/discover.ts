import { settlesWithin, withDeadline } from '../../common/deadline.js';
import { errorMessage, UserError } from '../../common/errors.js';
import { redactText } from '../../common/log.js';
import type { SourceConfig } from '../../config/load.js';
import { createCollector } from '../../appliance/collector-factory.js';
import type { Inventory, Machine, SourceSummary } from '../../model/index.js';
import { loadCommandContext, writeOutput, type CommonOptions } from '../command-context.js';
import { progress, selectSources, sourceEndpoint } from './sources.js';

/** How long a source's close (Logout) may take once its discovery is over. */
const CLOSE_WITHIN_MS = 10_000;

export async function runDiscover(opts: CommonOptions & { out: string; source?: string[] }): Promise<void> {
  const { config, log } = loadCommandContext(opts);
  const sources = selectSources(config.sources, opts.source);
  // Each source's discovery is bounded by service.discoveryDeadlineSec (every request by the source's timeoutSec):
  // a peer that trickles or never ends its answer fails its source, and the command still ends.
  const deadlineMs = config.service.discoveryDeadlineSec * 1000;
  const results = await Promise.all(sources.map((cfg) => discoverOne(cfg, log, deadlineMs)));
  const inventory: Inventory = {
    sources: results.map((r) => r.source),
    machines: results.flatMap((r) => r.machines),
  };
  await writeOutput(opts.out, `${JSON.stringify(inventory, null, 2)}\n`);
  for (const s of inventory.sources) {
    const line = s.errors.length
      ? `${s.name}: FAILED: ${s.errors.join('; ')}`
      : `${s.name}: ${s.machines} machine(s)${s.templatesSkipped ? `, ${s.templatesSkipped} template(s) skipped` : ''}`;
    process.stderr.write(`${redactText(line)}\n`);
  }
  // A source that read nothing failed; one with machines and some errors (a host down, a permission
  // missing) is partial and listed above. Any failed source makes the exit code non-zero.
  const failed = inventory.sources.filter((s) => s.errors.length > 0 && s.machines === 0).map((s) => s.name);
  if (failed.length > 0) {
    const all = failed.length === inventory.sources.length;
    throw new UserError(
      `discovery failed for ${failed.length} of ${inventory.sources.length} source(s): ${failed.join(', ')}${all ? '' : `; the inventory of the others was written to ${opts.out}`} (see the errors above).`,
      {
        fix: 'Fix the errors listed for each source; `collector config check` validates the file and its secrets.',
        code: 'DISCOVER_FAILED',
      },
    );
  }
}

async function discoverOne(
  cfg: SourceConfig,
  log: import('../../common/log.js').Logger,
  deadlineMs: number,
): Promise<{ source: SourceSummary; machines: Machine[] }> {
  const tick = progress(cfg.name, 'objects read');
  let collector: Awaited<ReturnType<typeof createCollector>> | undefined;
  try {
    const options = { log, onInventoryPage: tick }; // the vCenter collector reports inventory pages
    collector = await createCollector(cfg, options);
    const c = collector;
    // On the deadline the collector is closed, which aborts its requests; close() is bounded below too.
    return await withDeadline(c.discover(), deadlineMs, 'discovery', {
      setting: 'service.discoveryDeadlineSec',
      onTimeout: () => void c.close().catch(() => undefined),
    });
  } catch (err) {
    const fix = err instanceof UserError && err.fix ? ` Fix: ${err.fix}` : '';
    return {
      source: {
        name: cfg.name,
        kind: cfg.kind,
        endpoint: sourceEndpoint(cfg),
        about: {},
        machines: 0,
        templatesSkipped: 0,
        discoveredAt: new Date().toISOString(),
        errors: [redactText(`${errorMessage(err)}${fix}`)],
      },
      machines: [],
    };
  } finally {
    tick.done();
    if (collector) await settlesWithin(collector.close(), CLOSE_WITHIN_MS);
  }
}
