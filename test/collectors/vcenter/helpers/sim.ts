// The simulator launcher lives with the simulator (lab/govmomi), shared with bench/vcenter.ts.
export { SIM_BIN, simAvailable, startSim, type Sim, type SimInfo, type SimShape } from '../../../../lab/govmomi/launch.js';
