// npm run bench:hyperv — one collector process polls 300 simulated Hyper-V hosts with 5,000 VMs
// (Azure Migrate's per-appliance limit) and reports, per 30-s cycle: wall time, CPU seconds of THIS
// process (the collector; the simulator runs in a child process) and peak RSS. Goal: < 10 s wall,
// < 2 CPU-s, < 300 MB RSS. Options: --hosts N --vms N --cycles N --interval SEC --transport https|http
//   --concurrency N --peer-hosts N (pywinrm doing the same per-host perf reads, for a ratio; 0 skips).
//   It re-runs itself with the heap flags recommended for the service (HEAP_FLAGS below);
//   --no-heap-limits keeps Node's defaults, which let RSS grow to ~365 MB of mostly uncollected garbage.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createHypervCollector } from '../collectors/hyperv/index.js';
import { readPerf } from '../collectors/hyperv/host-reader.js';
import { PERF_QUERIES } from '../collectors/hyperv/perf.js';
import { WsmanClient } from '../collectors/wsman/index.js';
import { Secret } from '../common/secret-value.js';
import { createLogger } from '../common/log.js';
import { hypervSource } from '../config/schema/hyperv.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PASSWORD_ENV = 'BENCH_HYPERV_PASSWORD';
/** A small young generation and a bounded old generation: the collector's live data at 5,000 VMs is ~60 MB. */
export const HEAP_FLAGS = ['--max-semi-space-size=8', '--max-old-space-size=256'];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

interface LabInfo {
  certificateThumbprint: string;
  hostMap: Record<string, { address: string; httpsPort?: number; httpPort?: number }>;
}

/** Starts `collector lab hyperv` in a child process and waits for its JSON (name -> ports). */
async function startLab(estateFile: string, transport: string): Promise<{ child: ChildProcess; info: LabInfo }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'collector.js'), 'lab', 'hyperv', '--estate', estateFile, transport === 'https' ? '--no-http' : '--no-https'],
    {
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let text = '';
  const info = await new Promise<LabInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the lab did not start within 120 s')), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      try {
        const parsed = JSON.parse(text) as LabInfo;
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        /* not complete yet */
      }
    });
    child.once('exit', (code) => reject(new Error(`the lab exited (${code})`)));
  });
  return { child, info };
}

// The peer: Debian's pywinrm doing the same work (per host: a new NTLM session, the four perf WQL
// enumerations), timed in the same run; it prints its own CPU seconds.
const PYWINRM_PEER = `
import json, os, sys, time, uuid
from xml.sax.saxutils import escape
from winrm.protocol import Protocol
cfg = json.loads(sys.stdin.read())
env = '''<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header><a:To>%s</a:To><w:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*</w:ResourceURI><a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:%s</a:MessageID><w:Locale xml:lang="en-US" s:mustUnderstand="false"/><w:OperationTimeout>PT60.000S</w:OperationTimeout></s:Header><s:Body><n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements><w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</w:Filter></n:Enumerate></s:Body></s:Envelope>'''
t0 = time.time()
n = 0
for url in cfg['urls']:
    p = Protocol(endpoint=url, transport='ntlm', username=cfg['user'], password=os.environ['PEER_PASSWORD'], server_cert_validation='ignore', read_timeout_sec=70, operation_timeout_sec=60)
    for q in cfg['queries']:
        p.send_message(env % (url, str(uuid.uuid4()).upper(), escape(q)))
        n += 1
t = os.times()
print(json.dumps({'wallSec': time.time() - t0, 'cpuSec': t.user + t.system, 'requests': n}))
`;

async function peerComparison(info: LabInfo, names: string[], transport: string, password: string): Promise<void> {
  const urls = names.map((n) => {
    const e = info.hostMap[n]!;
    return transport === 'https' ? `https://127.0.0.1:${e.httpsPort}/wsman` : `http://127.0.0.1:${e.httpPort}/wsman`;
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const n of names) {
    const e = info.hostMap[n]!;
    const c = new WsmanClient({
      host: '127.0.0.1',
      port: (transport === 'https' ? e.httpsPort : e.httpPort)!,
      scheme: transport as 'https' | 'http',
      auth: 'ntlm',
      username: 'collector',
      password: new Secret(password),
      tls: { thumbprint: info.certificateThumbprint },
    });
    await readPerf(c);
    await c.close();
  }
  const cpu = process.cpuUsage(cpu0);
  const ours = { wallSec: (performance.now() - t0) / 1000, cpuSec: (cpu.user + cpu.system) / 1e6 };
  const dir = mkdtempSync(join(tmpdir(), 'bench-peer-'));
  const cnf = join(dir, 'openssl.cnf');
  writeFileSync(
    cnf,
    'openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n[provider_sect]\ndefault = default_sect\nlegacy = legacy_sect\n[default_sect]\nactivate = 1\n[legacy_sect]\nactivate = 1\n',
  );
  try {
    const peer = await new Promise<{ wallSec: number; cpuSec: number; requests: number }>((resolve, reject) => {
      // requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override pywinrm's server_cert_validation='ignore'.
      const env: NodeJS.ProcessEnv = { ...process.env, OPENSSL_CONF: cnf, PEER_PASSWORD: password };
      delete env.REQUESTS_CA_BUNDLE;
      delete env.CURL_CA_BUNDLE;
      const child = spawn('/usr/bin/python3', ['-c', PYWINRM_PEER], { env, stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`pywinrm peer exited ${code}`)),
      );
      child.stdin.end(JSON.stringify({ urls, user: 'collector', queries: Object.values(PERF_QUERIES) }));
    });
    console.log(
      `peer (${names.length} hosts x ${Object.keys(PERF_QUERIES).length} perf enumerations, new NTLM session each, ${transport}): ours ${ours.wallSec.toFixed(2)} s wall / ${ours.cpuSec.toFixed(2)} CPU-s; ` +
        `pywinrm ${peer.wallSec.toFixed(2)} s wall / ${peer.cpuSec.toFixed(2)} CPU-s; ratio ours/pywinrm: wall ${(ours.wallSec / peer.wallSec).toFixed(2)}, CPU ${(ours.cpuSec / peer.cpuSec).toFixed(2)}`,
    );
  } catch (err) {
    console.log(`peer comparison skipped: ${(err as Error).message} (needs Debian's python3-winrm)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const hosts = Number(arg('hosts', '300'));
  const vms = Number(arg('vms', '5000'));
  const cycles = Number(arg('cycles', '3'));
  const intervalSec = Number(arg('interval', '30'));
  const transport = arg('transport', 'https');
  const concurrency = Number(arg('concurrency', '16')); // the source's default
  const peerHosts = Number(arg('peer-hosts', '20'));
  process.env[PASSWORD_ENV] ??= 'Bench-Passw0rd!';
  process.env.LAB_HYPERV_PASSWORD = process.env[PASSWORD_ENV];

  const dir = mkdtempSync(join(tmpdir(), 'bench-hyperv-'));
  const names = Array.from({ length: hosts }, (_, i) => `hv${String(i + 1).padStart(3, '0')}`);
  const estateFile = join(dir, 'estate.yaml');
  writeFileSync(
    estateFile,
    stringify({
      seed: 11,
      hosts: names.map((name) => ({ name, platform: 'hyperv' })),
      generate: [
        {
          count: vms,
          prefix: 'vm',
          hosts: names,
          generation: 2,
          cpus: 2,
          disks: [{ sizeGB: 80, type: 'dynamic' }],
          nics: [{ network: 'External' }],
        },
      ],
    }),
  );
  const { child, info } = await startLab(estateFile, transport);
  const log = createLogger({ level: 'warn' });
  const cfg = hypervSource.parse({
    name: 'bench',
    kind: 'hyperv',
    host: names[0],
    hosts: names.slice(1),
    transport,
    username: 'collector',
    password: { env: PASSWORD_ENV },
    tls: { thumbprint: info.certificateThumbprint },
    hostMap: info.hostMap,
    concurrency,
    timeoutSec: 120,
  });
  const collector = createHypervCollector(cfg, { log });
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
  const mem = (): string => {
    const u = process.memoryUsage();
    return `rss ${Math.round(u.rss / 1048576)} MB (peak ${Math.round(peakRss / 1048576)}), heap used ${Math.round(u.heapUsed / 1048576)} MB, external ${Math.round(u.external / 1048576)} MB`;
  };
  const measure = async <T>(fn: () => Promise<T>): Promise<{ value: T; wallSec: number; cpuSec: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const value = await fn();
    const cpu = process.cpuUsage(cpu0);
    return { value, wallSec: (performance.now() - t0) / 1000, cpuSec: (cpu.user + cpu.system) / 1e6 };
  };
  try {
    const d = await measure(() => collector.discover());
    console.log(
      `inventory: ${d.value.machines.length} VMs on ${hosts} hosts in ${d.wallSec.toFixed(2)} s wall, ${d.cpuSec.toFixed(2)} CPU-s (${d.value.source.errors.length} host errors); ${mem()}`,
    );
    const prime = await measure(() => collector.poll(() => undefined));
    console.log(`priming poll: ${prime.wallSec.toFixed(2)} s wall, ${prime.cpuSec.toFixed(2)} CPU-s, ${prime.value.requests} requests`);
    const rows: Array<{ wallSec: number; cpuSec: number; samples: number; machines: number }> = [];
    for (let c = 0; c < cycles; c++) {
      // A real cadence: readings 30 s apart (use --interval 0 for back-to-back polls).
      if (intervalSec > 0)
        await new Promise((r) => setTimeout(r, Math.max(0, intervalSec * 1000 - (rows.at(-1)?.wallSec ?? prime.wallSec) * 1000)));
      let samples = 0;
      const m = await measure(() =>
        collector.poll((b) => {
          samples += b.length;
        }),
      );
      rows.push({ wallSec: m.wallSec, cpuSec: m.cpuSec, samples, machines: m.value.machinesPolled });
      console.log(
        `cycle ${c + 1}: ${m.wallSec.toFixed(2)} s wall, ${m.cpuSec.toFixed(2)} CPU-s, ${samples} samples for ${m.value.machinesPolled} VMs, ${m.value.requests} requests, ${m.value.errors.length} errors; ${mem()}`,
      );
    }
    const worst = (k: 'wallSec' | 'cpuSec'): number => Math.max(...rows.map((r) => r[k]));
    console.log(
      JSON.stringify({
        hosts,
        vms,
        transport,
        concurrency,
        cycleWallSecMax: Number(worst('wallSec').toFixed(2)),
        cycleCpuSecMax: Number(worst('cpuSec').toFixed(2)),
        peakRssMB: Math.round(peakRss / 1048576),
        goals: { wallSec: 10, cpuSec: 2, rssMB: 300 },
        met: worst('wallSec') < 10 && worst('cpuSec') < 2 && peakRss < 300 * 1048576,
      }),
    );
    if (peerHosts > 0) await peerComparison(info, names.slice(0, peerHosts), transport, process.env[PASSWORD_ENV]!);
  } finally {
    clearInterval(rssTimer);
    await collector.close();
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!process.argv.includes('--no-heap-limits') && !process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) {
  const child = spawn(process.execPath, [...HEAP_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  console.log(`node heap flags: ${process.execArgv.join(' ') || '(Node defaults)'}`);
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
