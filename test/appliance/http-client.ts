import { Agent, request } from 'undici';

/** A tiny cookie-keeping HTTPS client that verifies the server against the given CA (the app's own cert). */
export class WebClient {
  readonly cookies = new Map<string, string>();
  readonly agent: Agent;
  constructor(
    readonly base: string,
    ca: string,
  ) {
    this.agent = new Agent({ connect: { ca, rejectUnauthorized: true } });
  }

  async send(method: string, path: string, opts: { form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const res = await request(new URL(path, this.base), { method: method as 'GET', headers, body, dispatcher: this.agent });
    const setCookie = res.headers['set-cookie'];
    const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
    for (const c of list) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = decodeURIComponent(pair!.slice(i + 1));
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, setCookie: list };
  }
  get(path: string, headers?: Record<string, string>) {
    return this.send('GET', path, { headers });
  }
  post(path: string, form: Record<string, string>, headers?: Record<string, string>) {
    return this.send('POST', path, { form, headers });
  }

  /** Signs in through the real form (prelogin CSRF cookie + hidden field). */
  async login(password: string, user = 'admin') {
    const page = await this.get('/login');
    const csrf = csrfOf(page.text);
    return this.post('/login', { _csrf: csrf, user, password, next: '/discovery' });
  }
  async close() {
    await this.agent.close();
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no _csrf field in the page');
  return m[1]!;
}
