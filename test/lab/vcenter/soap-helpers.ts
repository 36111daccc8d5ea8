// A deliberately small raw vim25 client for the lab vCenter tests: builds envelopes by hand, keeps the
// session cookie, and returns the parsed response (or fault) so tests can look at the wire itself.
import { spawn } from 'node:child_process';
import { Agent, request } from 'undici';
import { parseXml, child, children, kids, type XmlNode } from '../../../common/xml/reader.js';

export interface SoapResult {
  status: number;
  text: string;
  /** The <XxxResponse> element, or undefined on a fault. */
  response?: XmlNode;
  fault?: { name: string; message: string; detail?: XmlNode };
  setCookie?: string;
}

export class RawVim {
  readonly agent = new Agent({ connect: { rejectUnauthorized: false } });
  cookie: string | undefined;
  constructor(readonly url: string) {}

  async call(method: string, thisType: string, thisValue: string, inner = ''): Promise<SoapResult> {
    const envelope =
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soapenv:Body>' +
      `<${method} xmlns="urn:vim25"><_this type="${thisType}">${thisValue}</_this>${inner}</${method}></soapenv:Body></soapenv:Envelope>`;
    return this.post(envelope);
  }

  async post(body: string): Promise<SoapResult> {
    const res = await request(this.url, {
      method: 'POST',
      dispatcher: this.agent,
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: 'urn:vim25/7.0.3.0',
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body,
    });
    const text = await res.body.text();
    const setCookie = res.headers['set-cookie'] as string | undefined;
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const out: SoapResult = { status: res.statusCode, text, setCookie };
    const doc = parseXml(text);
    const first = kids(child(doc, 'Body'))[0];
    if (!first) throw new Error(`not a SOAP envelope with a Body: ${text.slice(0, 200)}`);
    if (first.name === 'Fault') {
      const detail = kids(child(first, 'detail'))[0];
      out.fault = { name: detail?.type ?? child(first, 'faultcode')!.text, message: child(first, 'faultstring')!.text, detail };
    } else out.response = first;
    return out;
  }

  login(user: string, password: string): Promise<SoapResult> {
    return this.call('Login', 'SessionManager', 'SessionManager', `<userName>${user}</userName><password>${password}</password>`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export const returnvals = (r: SoapResult): XmlNode[] => (r.response ? children(r.response, 'returnval') : []);

/** A PropertyFilterSpec over a ContainerView of `type`, as govmomi and pyVmomi build it. */
export function viewSpec(view: string, type: string, paths: string[], maxObjects?: number): string {
  return (
    '<specSet><propSet><type>' +
    type +
    '</type>' +
    paths.map((p) => `<pathSet>${p}</pathSet>`).join('') +
    '</propSet>' +
    `<objectSet><obj type="ContainerView">${view}</obj><skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><name>traverseEntities</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>' +
    '</objectSet></specSet>' +
    (maxObjects ? `<options><maxObjects>${maxObjects}</maxObjects></options>` : '<options></options>')
  );
}

/** ObjectContent -> { moref, props: path -> element }. */
export function objectsOf(node: XmlNode | undefined, tag = 'objects'): Array<{ moref: string; type: string; props: Map<string, XmlNode> }> {
  if (!node) return [];
  return children(node, tag).map((o) => ({
    moref: child(o, 'obj')!.text,
    type: child(o, 'obj')!.refType ?? '',
    props: new Map(children(o, 'propSet').map((p) => [child(p, 'name')!.text, child(p, 'val')!])),
  }));
}

/** Runs /usr/bin/python3 with a script; resolves with stdout, rejects with stderr on a non-zero exit. */
export function runPython(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python3 ${args[0]} exited ${code}: ${err.slice(-3000)}`));
    });
  });
}
