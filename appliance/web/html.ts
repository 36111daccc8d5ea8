// Server-rendered pages: plain template strings, every interpolated value escaped with h() or
// passed through raw() when it is markup built here. No client framework, no CDN.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Markup that is already safe (built by these helpers). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}
export const raw = (text: string): Html => new Html(text);

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

type Part = Html | string | number | null | undefined | boolean | Part[];
function render(v: Part): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (Array.isArray(v)) return v.map(render).join('');
  if (v instanceof Html) return v.text;
  return escapeHtml(v);
}

/** Tagged template: h`<p>${userText}</p>` escapes userText; nested h`` results and arrays pass through. */
export function h(strings: TemplateStringsArray, ...values: Part[]): Html {
  // A tagged template always has one more string than values.
  let out = strings[0] ?? '';
  for (const [i, v] of values.entries()) out += render(v) + (strings[i + 1] ?? '');
  return new Html(out);
}

export interface PageOptions {
  title: string;
  /** Top navigation is shown only when logged in. */
  nav?: string | null;
  csrf?: string;
  flash?: { kind: 'ok' | 'error'; text: string } | null;
}

const NAV: Array<[string, string, string]> = [
  ['discovery', '/discovery', 'Discovery'],
  ['sources', '/sources', 'Sources'],
  ['assessment', '/assessment', 'Assessment'],
  ['dependencies', '/dependencies', 'Dependencies'],
  ['health', '/health', 'Health'],
  ['queues', '/queues', 'Queues'],
];

export function page(opts: PageOptions, body: Html): string {
  const nav =
    opts.nav === undefined || opts.nav === null
      ? ''
      : h`<nav>${NAV.map(([key, href, label]) => h`<a href="${href}"${raw(key === opts.nav ? ' class="current"' : '')}>${label}</a>`)}
          <form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${opts.csrf ?? ''}"><button type="submit">Sign out</button></form></nav>`
          .text;
  const flash = opts.flash ? h`<p class="flash ${opts.flash.kind}" role="status">${opts.flash.text}</p>`.text : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · assessment-collector</title><link rel="stylesheet" href="/static/app.css"></head>
<body><header><span class="brand">assessment-collector</span>${nav}</header>
<main><h1>${escapeHtml(opts.title)}</h1>${flash}${body.text}</main></body></html>`;
}

export function csrfField(token: string): Html {
  return h`<input type="hidden" name="_csrf" value="${token}">`;
}

export function table(headers: string[], rows: Part[][], cls = ''): Html {
  return h`<table class="${cls}"><thead><tr>${headers.map((x) => h`<th>${x}</th>`)}</tr></thead>
<tbody>${rows.length ? rows.map((r) => h`<tr>${r.map((c) => h`<td>${c}</td>`)}</tr>`) : h`<tr><td colspan="${headers.length}" class="empty">Nothing yet.</td></tr>`}</tbody></table>`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatAge(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

export const STYLESHEET = `
#dependency-map{position:relative;height:560px;background:#fff;border:1px solid var(--line);border-radius:6px}
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d7dce2;--bg:#f6f7f9;--accent:#0b5cad;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;align-items:center;gap:24px;background:#12263f;color:#fff;padding:0 20px;height:48px}
header .brand{font-weight:600}nav{display:flex;gap:4px;align-items:center;flex:1}
nav a{color:#cfe0f5;text-decoration:none;padding:6px 10px;border-radius:4px}nav a.current,nav a:hover{background:#23446b;color:#fff}
nav .logout{margin-left:auto}nav .logout button{background:none;border:1px solid #58779c;color:#cfe0f5}
main{max-width:1200px;margin:0 auto;padding:16px 20px 48px}h1{font-size:22px;margin:8px 0 16px}h2{font-size:17px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f4;font-weight:600}td.empty{color:var(--muted);text-align:center}table.facts th{width:220px}
a{color:var(--accent)}.muted{color:var(--muted)}.num{text-align:right;font-variant-numeric:tabular-nums}
form.inline{display:inline}button,.button{font:inherit;padding:6px 12px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--accent)}button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
label{display:block;margin:10px 0 2px;font-weight:600}label.check{font-weight:400}input[type=text],input[type=password],input[type=url],input[type=number],input[type=search],select,textarea{font:inherit;padding:6px 8px;border:1px solid var(--line);border-radius:4px;width:100%;max-width:480px;background:#fff}
.hint{color:var(--muted);font-size:12px;margin:2px 0}.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:16px;margin:12px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap}.cards .card{flex:1;min-width:160px;margin:0}.card .big{font-size:26px;font-weight:600}
.flash{padding:10px 12px;border-radius:4px}.flash.ok{background:#e6f4ea;color:var(--ok)}.flash.error{background:#fdecea;color:var(--bad);white-space:pre-wrap}
.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}.filters{display:flex;gap:8px;align-items:end;flex-wrap:wrap;margin-bottom:12px}.filters label{margin:0}
.checks li{margin:4px 0}.checks .pass::before{content:"✔ ";color:var(--ok)}.checks .fail::before{content:"✘ ";color:var(--bad)}.checks .info::before{content:"ℹ ";color:var(--accent)}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;word-break:break-all}
svg.chart{background:#fff;border:1px solid var(--line);border-radius:6px;margin:6px 0}svg.chart text{font:11px system-ui,sans-serif}svg.chart text:not([fill]){fill:#5b6470}
.login{max-width:380px;margin:60px auto}
`;
