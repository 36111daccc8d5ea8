// The soap-package (node-soap 1.13) variant of one steady-state QueryPerf cycle, for the design
// note in docs/vcenter.md: the same requests as our collector (batches of 50 VMs, 4 in flight, the
// last 80 s), with node-soap building the envelopes and parsing the answers from a minimal WSDL.
// HTTP is undici in both variants, so the figures compare the SOAP layers only.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { envelope, el } from '../../collectors/vcenter/soap/xml.js';

const here = dirname(fileURLToPath(import.meta.url));
// The WSDL is not compiled: read it from the source tree (dist/bench/vcenter-soap -> bench/vcenter-soap).
const WSDL = join(here, '..', '..', '..', 'bench', 'vcenter-soap', 'vim-queryperf.wsdl');

export interface SoapVariantTarget {
  moref: string;
  nicIds: string[];
}

export async function soapQueryPerfCycle(
  sim: { url: string; username: string; password: string },
  targets: SoapVariantTarget[],
  counters: Array<{ id: number; scope: 'machine' | 'disk' | 'nic' }>,
  now: Date,
): Promise<{ values: number; cpuSec: number; requests: number }> {
  const soap = await import('soap');
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false }, connections: 5 });
  // Session set-up (not measured): one Login with a hand-built envelope, keeping the cookie.
  const login = await request(sim.url, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: 'urn:vim25/6.0' },
    body: envelope(
      'Login',
      { type: 'SessionManager', value: 'SessionManager' },
      el('userName', sim.username) + el('password', sim.password),
    ),
  });
  await login.body.text();
  const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
  const httpClient = {
    request(
      rurl: string,
      data: string,
      callback: (err: unknown, res?: unknown, body?: unknown) => void,
      exheaders: Record<string, string> = {},
    ) {
      request(rurl, {
        method: 'POST',
        dispatcher,
        headers: { ...exheaders, cookie, 'content-type': 'text/xml; charset=utf-8' },
        body: data,
      })
        .then(async (res) => {
          const body = await res.body.text();
          callback(null, { status: res.statusCode, headers: res.headers, data: body }, body);
        })
        .catch((err) => callback(err));
      return undefined as never;
    },
  };
  const client = await soap.createClientAsync(WSDL, { endpoint: sim.url, httpClient: httpClient as never });
  const start = new Date(now.getTime() - 80_000).toISOString();
  const end = now.toISOString();
  const spec = (t: SoapVariantTarget) => ({
    entity: { attributes: { type: 'VirtualMachine' }, $value: t.moref },
    startTime: start,
    endTime: end,
    maxSample: 5,
    metricId: [
      ...counters.filter((c) => c.scope !== 'nic').map((c) => ({ counterId: c.id, instance: c.scope === 'machine' ? '' : '*' })),
      ...t.nicIds.flatMap((nic) => counters.filter((c) => c.scope === 'nic').map((c) => ({ counterId: c.id, instance: nic }))),
    ],
    intervalId: 20,
  });
  const batches: SoapVariantTarget[][] = [];
  for (let i = 0; i < targets.length; i += 50) batches.push(targets.slice(i, i + 50));
  let values = 0;
  let next = 0;
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const [result] = await client.QueryPerfAsync({
        _this: { attributes: { type: 'PerformanceManager' }, $value: 'PerfMgr' },
        querySpec: batch.map(spec),
      });
      for (const em of asArray(result?.returnval)) {
        for (const series of asArray(em?.value)) {
          for (const v of asArray(series?.value)) if (Number(v) >= 0) values++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const d = process.cpuUsage(cpu);
  await dispatcher.close();
  return { values, cpuSec: (d.user + d.system) / 1e6, requests: batches.length };
}

/** node-soap's decoded objects: only the nested `value` arrays are read here. */
type SoapObject = { value?: unknown } | null | undefined;
function asArray(x: unknown): SoapObject[] {
  return (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]) as SoapObject[];
}
