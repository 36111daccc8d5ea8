// Import boundaries (docs/architecture.md explains the layers). `npm run lint:deps` checks them; CI fails on any error.
// Layers, bottom up: common -> model -> config -> protocol (soap, vim, wsman) -> collectors / queue -> rollup ->
// assessment -> lab -> appliance (composition) -> cli, bench.
const PROTOCOL = '^collectors/(vcenter/(soap|vim)|wsman|ssh)/';
const only = (name, from, allowed, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: '^(model|common|config|collectors|queue|rollup|assessment|lab|appliance|cli|bench)/', pathNot: allowed },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles hide layering mistakes.', from: {}, to: { circular: true } },
    only('common-is-the-floor', '^common/', '^common/', 'common/ depends on no other folder of ours.'),
    only('model-imports-only-common', '^model/', '^(model|common)/', 'The shared contract depends on nothing but common/.'),
    only('config-below-collectors', '^config/', '^(config|common|model)/', 'Configuration knows the contract, not the stages.'),
    only(
      'protocol-knows-no-domain',
      PROTOCOL,
      `^(common/|${PROTOCOL.slice(1)})`,
      'Wire code (SOAP, vim, WS-Man, NTLM) imports only common/.',
    ),
    {
      name: 'collectors-do-not-import-each-other',
      severity: 'error',
      comment:
        'A source kind is self-contained; shared wire code lives in collectors/wsman/ or collectors/ssh/, the rest in common/ or model/.',
      from: { path: '^collectors/([^/]+)/' },
      to: { path: '^collectors/', pathNot: ['^collectors/$1/', '^collectors/(wsman|ssh)/'] },
    },
    only(
      'collectors-below-the-pipeline',
      '^collectors/',
      '^(collectors|common|model|config)/',
      'Collectors emit the contract; they never know the queue.',
    ),
    only('queue-below-rollup', '^queue/', '^(queue|common|model|config)/', 'The queue carries samples; it knows no consumer.'),
    only('rollup-below-assessment', '^rollup/', '^(rollup|queue|common|model|config)/', 'Rollup reads the queue and the store.'),
    only('assessment-below-composition', '^assessment/', '^(assessment|rollup|queue|common|model|config)/', 'Assessment reads rollups.'),
    only('lab-is-a-peer', '^lab/', `^(lab|common|model|${PROTOCOL.slice(1)})`, 'The lab simulates the far end: it shares only wire code.'),
    only(
      'composition-not-imported',
      '^appliance/',
      '^(appliance|assessment|rollup|queue|collectors|common|model|config)/',
      'appliance/ is the composition; only cli/ and bench/ import it.',
    ),
    only(
      'cli-above-all-but-bench',
      '^cli/',
      '^(cli|appliance|lab|assessment|rollup|queue|collectors|common|model|config)/',
      'Nothing imports bench/.',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
