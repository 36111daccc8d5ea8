import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Pure tests: no sockets, no child processes, no Redis, no peers (temp files are fine). They run in
 * seconds (`npm run test:unit`). A file that starts a server, spawns the CLI or touches Redis belongs
 * to the integration project, which is also where a new file lands until it is listed here.
 */
export const UNIT_TESTS = [
  'test/appliance/units.test.ts',
  'test/appliance/stores.test.ts',
  'test/assessment/catalog.test.ts',
  'test/assessment/config.test.ts',
  'test/assessment/exports.test.ts',
  'test/assessment/groups.test.ts',
  'test/assessment/guest-exports.test.ts',
  'test/assessment/readiness-sizing.test.ts',
  'test/config/readme-examples.test.ts',
  'test/queue/pipeline-config.test.ts',
  'test/rollup/window.test.ts',
  'test/collectors/hyperv/config.test.ts',
  'test/collectors/hyperv/estate-schema.test.ts',
  'test/collectors/hyperv/inventory.test.ts',
  'test/collectors/hyperv/perf.test.ts',
  'test/collectors/vcenter/ledger.test.ts',
  'test/collectors/vcenter/soap.test.ts',
  'test/collectors/wsman/ntlm-vectors.test.ts',
  'test/collectors/wsman/wire.test.ts',
  'test/lab/hyperv/counters.test.ts',
  'test/lab/hyperv/wql.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: integration tests start real servers, so keep the parallelism honest.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    // `vitest run` runs both; `--project unit` / `--project integration` run one (npm run test:unit / test:integration).
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...UNIT_TESTS] } },
    ],
  },
});
