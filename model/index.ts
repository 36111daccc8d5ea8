// The one contract every collector emits: machines (inventory) and samples (performance).
// Rollup, assessment and the appliance depend on this file, never on a particular collector.
// Change these shapes deliberately: the JSON Schemas in schemas/ and the README describe them.

export * from './metrics.js';
export * from './sample.js';
export * from './machine.js';
export * from './source.js';
export * from './source-status.js';
export * from './bios-uuid.js';
export * from './machine-merge.js';
export * from './guest.js';
