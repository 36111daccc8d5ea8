import { buildAssessment, type Assessment } from '../../assessment/build.js';
import { loadCatalog } from '../../assessment/catalog.js';
import { resolveProperties } from '../../assessment/properties.js';
import type { CollectorConfig } from '../../config/load.js';
import type { InventoryStore } from '../../queue/inventory-store.js';
import { computePercentiles } from '../../rollup/percentile-report.js';
import type { Redis } from 'ioredis';

/**
 * The current assessment from the live inventory and the 10-minute points in Redis, built with the
 * assessment modules (pure) over the rollup's percentile reader. Cached for a minute: the page, the
 * JSON and the CSV downloaded right after it show the same numbers.
 */
export class AssessmentView {
  #cache: { at: number; configKey: string; value: Promise<Assessment> } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly inventory: InventoryStore,
    private readonly ttlMs = 60_000,
  ) {}

  current(config: CollectorConfig, now = Date.now()): Promise<Assessment> {
    const configKey = JSON.stringify(config.assessment);
    if (this.#cache && now - this.#cache.at < this.ttlMs && this.#cache.configKey === configKey) return this.#cache.value;
    const value = this.#build(config, now);
    this.#cache = { at: now, configKey, value };
    value.catch(() => (this.#cache = null));
    return value;
  }

  async #build(config: CollectorConfig, now: number): Promise<Assessment> {
    const properties = resolveProperties(config);
    const catalog = loadCatalog(properties.targetRegion, config.assessment.catalog ?? {});
    const machines = await this.inventory.machines();
    const percentiles =
      properties.sizingCriterion === 'performance-based' || machines.length > 0
        ? await computePercentiles(this.redis, this.prefix, machines, { asOf: now, history: properties.history })
        : null;
    return buildAssessment({ machines, percentiles, properties, catalog, generatedAt: now });
  }
}
