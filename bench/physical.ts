// bench:physical — 1,000 physical servers (half Linux over SSH, half Windows over WinRM) read by the collectors at the
// 30-s cadence, both halves in this one process, as the appliance runs them. The simulators run in child processes,
// so this process's CPU and RSS are the collectors' own. Goal (issue 11): under 10 % of one core and under 500 MB
// RSS for the 1,000, with 0 samples lost.
//   npm run build && npm run bench:physical -- [--servers 1000] [--minutes 10]
import { benchPhysicalLinux } from './physical-linux.js';
import { benchPhysicalWindows } from './physical-windows.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : def;
}

const servers = arg('servers', 1000);
const minutes = arg('minutes', 10);
const half = Math.floor(servers / 2);
const t0 = Date.now();
process.stderr.write(`bench:physical: ${half} Linux + ${servers - half} Windows servers, 30-s cadence, ${minutes} min\n`);
const [linux, windows] = await Promise.all([
  benchPhysicalLinux({ servers: half, durationSec: minutes * 60, progress: (l) => process.stderr.write(`linux   ${l}\n`) }),
  benchPhysicalWindows({ servers: servers - half, durationSec: minutes * 60 }),
]);
// Both halves measure this whole process (they share it), so each CPU figure is the combined load over its window.
const cpu = Math.max(linux.clientCpuPctOfCore, windows.cpuPercentOfOneCore);
const rss = Math.max(linux.peakRssMB, windows.peakRssMB);
const expected = linux.samplesExpected + windows.samplesExpected;
const received = linux.samplesReceived + windows.samplesReceived;
const summary = {
  servers,
  minutes: Math.round((Date.now() - t0) / 600) / 100,
  clientCpuPercentOfOneCore: cpu,
  peakRssMB: rss,
  connectionsHeld: linux.connectionsHeld + windows.connectionsHeld,
  samplesExpected: expected,
  samplesReceived: received,
  lost: Math.max(0, expected - received),
  firstInventory: {
    linux: { sec: linux.firstInventory.ms / 1000, cpuSec: linux.firstInventory.cpuMs / 1000, machines: linux.firstInventory.machines },
    windows: { sec: windows.firstInventory.wallSec, cpuSec: windows.firstInventory.cpuSec, machines: windows.firstInventory.machines },
  },
  goal: cpu < 10 && rss < 500 && received >= expected ? 'met' : 'not met',
  errors: [...linux.errors, ...windows.errors].slice(0, 10),
};
process.stdout.write(`${JSON.stringify({ summary, linux, windows }, null, 2)}\n`);
