// Throughput of the lab vCenter at scale (default 50,000 VMs): is the simulator fast enough not to be
// the bottleneck of the collector's benchmarks? The lab runs as its own process (the real CLI), so
// its CPU and peak memory are read from /proc apart from this client's.
//   node dist/bench/lab-vcenter.js [--vms 50000] [--page 1000] [--perf-calls 100] [--vms-per-query 50]
// Prints figures only; nothing here asserts a speed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { stringify } from 'yaml';
import { VM_PATHS } from '../collectors/vcenter/inventory.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const VMS = arg('vms', 50_000);
const PAGE = arg('page', 1000);
const PERF_CALLS = arg('perf-calls', 100);
const PER_QUERY = arg('vms-per-query', 50);
const CONCURRENCY = 4;
const TICKS = 100; // USER_HZ on Linux

function procCpuSec(pid: number): number {
  const f = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
function procPeakMB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-vcenter-bench-'));
  const hosts = Array.from({ length: Math.max(4, Math.ceil(VMS / 250)) }, (_, i) => ({
    name: `esx${String(i).padStart(3, '0')}.bench.local`,
    platform: 'vmware',
    cluster: `Cluster-${i % 8}`,
  }));
  const estateFile = join(dir, 'estate.yaml');
  writeFileSync(
    estateFile,
    stringify({
      seed: 11,
      hosts,
      generate: [
        {
          count: VMS,
          prefix: 'bench',
          hosts: hosts.map((h) => h.name),
          disks: [{ sizeGB: 60 }, { sizeGB: 200 }],
          nics: [{ network: 'VM Network' }],
        },
      ],
    }),
  );

  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'collector.js'), 'lab', 'vcenter', '--estate', estateFile, '--port', '0', '--password-env', 'BENCH_LAB_PW'],
    {
      env: { ...process.env, BENCH_LAB_PW: 'bench' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: CONCURRENCY });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /at (https:\S+\/sdk)/.exec(out);
        if (m?.[1] && out.includes('Ctrl+C')) resolve(m[1]);
      });
      child.on('close', (code) => reject(new Error(`lab exited ${code}`)));
    });
    const pid = child.pid!;
    console.log(
      `lab vCenter with ${VMS} VMs on ${hosts.length} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s, peak RSS so far ${procPeakMB(pid)} MB`,
    );

    let cookie = '';
    let bytes = 0;
    const call = async (method: string, type: string, value: string, inner: string): Promise<string> => {
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/7.0.3.0', ...(cookie ? { cookie } : {}) },
        body: `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><${method} xmlns="urn:vim25"><_this type="${type}">${value}</_this>${inner}</${method}></soapenv:Body></soapenv:Envelope>`,
      });
      const text = await res.body.text();
      bytes += text.length;
      const sc = res.headers['set-cookie'];
      if (sc) cookie = String(sc).split(';')[0] ?? '';
      if (res.statusCode !== 200) throw new Error(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 400)}`);
      return text;
    };
    await call('Login', 'SessionManager', 'SessionManager', '<userName>administrator@vsphere.local</userName><password>bench</password>');

    // Inventory: every VM with the collector's property paths, through a ContainerView, paged.
    const viewXml = await call(
      'CreateContainerView',
      'ViewManager',
      'ViewManager',
      '<container type="Folder">group-d1</container><type>VirtualMachine</type><recursive>true</recursive>',
    );
    const view = /<returnval type="ContainerView">([^<]+)</.exec(viewXml)![1];
    const spec =
      `<specSet><propSet><type>VirtualMachine</type>${VM_PATHS.map((p) => `<pathSet>${p}</pathSet>`).join('')}</propSet>` +
      `<objectSet><obj type="ContainerView">${view}</obj><skip>true</skip><selectSet xsi:type="TraversalSpec"><name>v</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet>` +
      `<options><maxObjects>${PAGE}</maxObjects></options>`;
    const cpu = procCpuSec(pid);
    bytes = 0;
    const t = performance.now();
    let text = await call('RetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', spec);
    let pages = 1;
    let objects = (text.match(/<objects>/g) ?? []).length;
    for (let token = /<token>([^<]+)</.exec(text)?.[1]; token; token = /<token>([^<]+)</.exec(text)?.[1]) {
      text = await call('ContinueRetrievePropertiesEx', 'PropertyCollector', 'propertyCollector', `<token>${token}</token>`);
      pages++;
      objects += (text.match(/<objects>/g) ?? []).length;
    }
    const wall = (performance.now() - t) / 1000;
    const serverCpu = procCpuSec(pid) - cpu;
    console.log(
      `inventory: ${objects} VMs in ${pages} pages of ${PAGE} in ${wall.toFixed(2)} s wall (${(pages / wall).toFixed(1)} pages/s, ${Math.round(objects / wall)} VMs/s, ${(bytes / 1e6).toFixed(0)} MB); ` +
        `lab CPU ${serverCpu.toFixed(2)} s (${((serverCpu / pages) * 1000).toFixed(0)} ms per page)`,
    );

    // Perf: QueryPerf batches of PER_QUERY VMs, the 8 counters, the whole realtime hour.
    const counters = [
      [2, ''],
      [24, ''],
      [173, '*'],
      [174, '*'],
      [171, '*'],
      [172, '*'],
      [148, '*'],
      [149, '*'],
    ] as const;
    const metricIds = counters.map(([k, i]) => `<metricId><counterId>${k}</counterId><instance>${i}</instance></metricId>`).join('');
    // Two shapes: a backfill (the whole realtime hour for PERF_CALLS batches) and a steady-state cycle
    // over every VM of the estate (the last minute: 3 samples, as a 20-s poll with look-back asks).
    const phase = async (label: string, calls: number, sinceMs: number, maxSample: number) => {
      const start = new Date(Date.now() - sinceMs).toISOString();
      const batch = (n: number) =>
        Array.from(
          { length: PER_QUERY },
          (_, j) =>
            `<querySpec><entity type="VirtualMachine">vm-${1000 + ((n * PER_QUERY + j) % VMS)}</entity><startTime>${start}</startTime><maxSample>${maxSample}</maxSample>${metricIds}<intervalId>20</intervalId></querySpec>`,
        ).join('');
      const cpuBefore = procCpuSec(pid);
      const clientBefore = process.cpuUsage();
      bytes = 0;
      let values = 0;
      let next = 0;
      const began = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < calls) {
            const out = await call('QueryPerf', 'PerformanceManager', 'PerfMgr', batch(next++));
            values += (out.match(/<value>/g) ?? []).length;
          }
        }),
      );
      const secs = (performance.now() - began) / 1000;
      const labCpu = procCpuSec(pid) - cpuBefore;
      const used = process.cpuUsage(clientBefore);
      const clientCpu = (used.user + used.system) / 1e6;
      console.log(
        `perf ${label}: ${calls} QueryPerf x ${PER_QUERY} VMs (${values} values, ${(bytes / 1e6).toFixed(0)} MB) in ${secs.toFixed(2)} s wall with ${CONCURRENCY} in flight ` +
          `(${(calls / secs).toFixed(1)} calls/s, ${Math.round(values / secs)} values/s); lab CPU ${labCpu.toFixed(2)} s (${((labCpu / calls) * 1000).toFixed(1)} ms per call), bench client CPU ${clientCpu.toFixed(2)} s`,
      );
    };
    await phase('backfill (1 h, 180 samples)', PERF_CALLS, 3600_000, 180);
    await phase(`steady cycle over all ${VMS} VMs (last minute)`, Math.ceil(VMS / PER_QUERY), 60_000, 3);
    console.log(`lab peak RSS ${procPeakMB(pid)} MB`);
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('close', r));
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
