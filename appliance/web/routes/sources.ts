import type { FastifyInstance } from 'fastify';
import { UserError } from '../../../common/errors.js';
import { ConfigError, type SourceConfig } from '../../../config/load.js';
import type { WebContext } from '../context.js';
import { csrfField, h, page, raw, table, type Html } from '../html.js';
import { csrfOf, form, query } from '../request.js';
import { checkSource, endpointOf, type SourceCheck } from '../source-check.js';

type Raw = Record<string, unknown>;
type Kind = 'vcenter' | 'hyperv';

const DONE: Record<string, string> = {
  saved: 'Saved {}. The service picks the change up now.',
  removed: 'Removed {}.',
  pinned: 'Pinned the certificate of {}.',
};

function tlsMode(raw: Raw | null): string {
  const t = (raw?.tls ?? {}) as Raw;
  return t.insecure ? 'insecure' : t.thumbprint ? 'thumbprint' : t.caFile ? 'caFile' : 'system';
}

function fallbackMode(raw: Raw | null): string {
  return raw?.httpsOnly === true ? 'never' : raw?.allowHttpFallback === true ? 'allow' : 'auto';
}

function sourceForm(csrf: string, kind: Kind, src: Raw | null, action: string): Html {
  const v = (k: string) => (src?.[k] === undefined ? '' : String(src[k]));
  const t = (src?.tls ?? {}) as Raw;
  const mode = tlsMode(src);
  const opt = (value: string, label: string, current: string) =>
    h`<option value="${value}"${raw(value === current ? ' selected' : '')}>${label}</option>`;
  const hasPassword = src?.password !== undefined;
  const common = h`
  <label for="name">Name</label><input id="name" name="name" type="text" value="${v('name')}" required pattern="[A-Za-z0-9][A-Za-z0-9._-]{0,62}">
  <p class="hint">Letters, digits, ".", "_" or "-"; shown on every machine it discovers.</p>`;
  const vc = h`
  <label for="url">vCenter SDK URL</label><input id="url" name="url" type="url" value="${v('url') || 'https://'}" required placeholder="https://vcenter.example.local/sdk">`;
  const hv = h`
  <label for="host">Host or failover cluster name</label><input id="host" name="host" type="text" value="${v('host')}" required>
  <label class="check"><input type="checkbox" name="cluster" value="true"${raw(src?.cluster ? ' checked' : '')}> This is a failover cluster (poll all its nodes)</label>
  <label for="hosts">More standalone hosts (comma separated, same account)</label><input id="hosts" name="hosts" type="text" value="${((src?.hosts as string[] | undefined) ?? []).join(', ')}">
  <label for="transport">Transport</label><select id="transport" name="transport">${opt('https', 'HTTPS (port 5986)', v('transport') || 'https')}${opt('http', 'HTTP with NTLM message encryption (port 5985)', v('transport') || 'https')}</select>
  <label for="auth">Authentication</label><select id="auth" name="auth">${opt('ntlm', 'NTLM', v('auth') || 'ntlm')}${opt('basic', 'Basic (HTTPS only)', v('auth') || 'ntlm')}</select>
  <label for="fallback">When HTTPS 5986 does not answer</label><select id="fallback" name="fallback">${opt('auto', 'Fall back to HTTP 5985 unless a thumbprint or CA file is set', fallbackMode(src))}${opt('never', 'Never fall back (httpsOnly)', fallbackMode(src))}${opt('allow', 'Fall back to HTTP 5985 even with a thumbprint or CA file (allowHttpFallback)', fallbackMode(src))}</select>
  <p class="hint">The HTTP fallback sends the account name and an NTLM response to a server whose certificate was never checked.</p>
  <label for="port">Port (empty: 5986 for HTTPS, 5985 for HTTP)</label><input id="port" name="port" type="number" min="1" max="65535" value="${v('port')}">
  <label for="hostMap">Host addresses DNS does not resolve (one per line: name = address[:port])</label>
  <textarea id="hostMap" name="hostMap" rows="3" cols="60" placeholder="hv01 = 10.0.0.11:5986">${hostMapText(src?.hostMap, src?.transport === 'http')}</textarea>`;
  return h`<form method="post" action="${action}" class="card" autocomplete="off">${csrfField(csrf)}<input type="hidden" name="kind" value="${kind}">
  ${common}${kind === 'vcenter' ? vc : hv}
  <label for="username">User</label><input id="username" name="username" type="text" value="${v('username')}" required placeholder="${kind === 'vcenter' ? 'readonly@vsphere.local' : 'HV01\\collector'}">
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="new-password" ${raw(hasPassword ? 'placeholder="(unchanged)"' : 'required')}>
  <p class="hint">${hasPassword ? 'Leave empty to keep the stored password. ' : ''}Stored encrypted with the appliance key; never shown again.</p>
  <label for="tlsMode">Certificate trust</label><select id="tlsMode" name="tlsMode">${opt('system', 'Verify with the system CAs', mode)}${opt('thumbprint', 'Pin this SHA-256 thumbprint', mode)}${opt('caFile', 'Verify with this CA file', mode)}${opt('insecure', 'Do not verify (not recommended)', mode)}</select>
  <label for="thumbprint">Thumbprint to pin</label><input id="thumbprint" name="thumbprint" type="text" value="${String(t.thumbprint ?? '')}" placeholder="AB:CD:…">
  <label for="caFile">CA file on the appliance</label><input id="caFile" name="caFile" type="text" value="${String(t.caFile ?? '')}">
  <label class="check"><input type="checkbox" name="enabled" value="true"${raw(src?.enabled === false ? '' : ' checked')}> Enabled</label>
  <p><button type="submit">Save</button> <a class="button secondary" href="/sources">Cancel</a></p></form>`;
}

/** The string shorthand's port is the configured transport's, so show that one. */
function hostMapText(map: unknown, http: boolean): string {
  if (!map || typeof map !== 'object') return '';
  return Object.entries(map as Record<string, unknown>)
    .map(([name, to]) => {
      if (typeof to === 'string') return `${name} = ${to}`;
      const t = to as { address: string; httpsPort?: number; httpPort?: number };
      const port = http ? t.httpPort : t.httpsPort;
      return `${name} = ${t.address}${port ? `:${port}` : ''}`;
    })
    .join('\n');
}

/** "name = address[:port]" lines; a line that does not parse is an error naming it. */
function parseHostMap(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^([^\s=]+)\s*=\s*([^\s:]+(?::\d{1,5})?)$/.exec(line);
    const name = m?.[1];
    const address = m?.[2];
    if (!name || !address)
      throw new UserError(`host addresses: "${line}" is not "name = address[:port]".`, {
        fix: 'Write one host per line, e.g. hv01 = 10.0.0.11:5986',
      });
    out[name] = address;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The form's fields onto the source as written in the YAML (keys the form does not show are kept). */
function toRaw(ctx: WebContext, f: Record<string, string>, existing: Raw | null): Raw {
  const kind = (existing?.kind as Kind | undefined) ?? (f.kind === 'hyperv' ? 'hyperv' : 'vcenter');
  const out: Raw = { ...(existing ?? {}), name: f.name?.trim() ?? '', kind, username: f.username?.trim() ?? '' };
  if (kind === 'vcenter') out.url = f.url?.trim() ?? '';
  else {
    out.host = f.host?.trim() ?? '';
    out.cluster = f.cluster === 'true';
    const hosts = (f.hosts ?? '')
      .split(/[,\s]+/)
      .map((x) => x.trim())
      .filter(Boolean);
    if (hosts.length) out.hosts = hosts;
    else delete out.hosts;
    out.transport = f.transport === 'http' ? 'http' : 'https';
    out.auth = f.auth === 'basic' ? 'basic' : 'ntlm';
    if (f.fallback !== undefined) {
      delete out.httpsOnly;
      delete out.allowHttpFallback;
      if (f.fallback === 'never') out.httpsOnly = true;
      else if (f.fallback === 'allow') out.allowHttpFallback = true;
    }
    if (f.port?.trim()) out.port = Number(f.port);
    else delete out.port;
    if (f.hostMap !== undefined) {
      const map = parseHostMap(f.hostMap);
      if (map) out.hostMap = map;
      else delete out.hostMap;
    }
  }
  if (f.password) out.password = { encrypted: ctx.secrets.encrypt(f.password) };
  else if (!existing?.password) throw new UserError('a password is needed for a new source.', { fix: "Type the account's password." });
  const mode = f.tlsMode ?? 'system';
  if (mode === 'thumbprint') out.tls = { thumbprint: (f.thumbprint ?? '').trim() };
  else if (mode === 'caFile') out.tls = { caFile: (f.caFile ?? '').trim() };
  else if (mode === 'insecure') out.tls = { insecure: true };
  else delete out.tls;
  if (f.enabled === 'true') delete out.enabled;
  else out.enabled = false;
  return out;
}

function problemsText(err: unknown): string {
  if (err instanceof ConfigError) return err.problems.map((p) => `${p.key.replace(/^sources\[\d+\]\./, '')}: ${p.message}`).join('\n');
  if (err instanceof UserError) return `${err.message}${err.fix ? `\nFix: ${err.fix}` : ''}`;
  throw err;
}

function checkView(c: SourceCheck, csrf: string): Html {
  return h`<div class="card"><ul class="checks">${c.lines.map(
    (l) =>
      h`<li class="${l.status}"><strong>${l.title}</strong> — ${l.detail}${l.fix ? h`<br><span class="hint">What to do: ${l.fix}</span>` : ''}</li>`,
  )}</ul>
  ${c.certificate && c.offerPin ? h`<form method="post" action="/sources/${encodeURIComponent(c.source)}/pin">${csrfField(csrf)}<input type="hidden" name="thumbprint" value="${c.certificate.thumbprint}"><button type="submit">Pin this thumbprint</button> <code>${c.certificate.thumbprint}</code></form>` : ''}</div>`;
}

export function registerSourceRoutes(app: FastifyInstance, ctx: WebContext): void {
  const changed = async (names: string[]) => {
    const config = ctx.configStore.read();
    ctx.setCurrent(config);
    await ctx.onSourcesChanged?.(config, names);
  };
  const csrf = csrfOf;

  app.get('/sources', async (req, reply) => {
    const q = query(req);
    const [done, name] = Object.entries(q).find(([k]) => k in DONE) ?? [];
    const statuses = new Map((await ctx.inventory.sources()).map((s) => [s.name, s]));
    const rows = ctx.current().sources.map((s) => {
      const ep = endpointOf(s);
      const inv = statuses.get(s.name);
      return [
        h`<strong>${s.name}</strong>`,
        s.kind === 'vcenter' ? 'vCenter' : 'Hyper-V',
        h`<code>${s.kind === 'vcenter' ? s.url : `${ep.host}:${ep.port}`}</code>`,
        s.username,
        s.enabled ? (inv ? `${inv.machines} machines` : 'not discovered yet') : 'disabled',
        h`<form method="post" action="/sources/${encodeURIComponent(s.name)}/validate" class="inline">${csrfField(csrf(req))}<button type="submit" class="secondary">Validate</button></form>
          <a class="button secondary" href="/sources/${encodeURIComponent(s.name)}/edit">Edit</a>
          <form method="post" action="/sources/${encodeURIComponent(s.name)}/remove" class="inline">${csrfField(csrf(req))}<button type="submit" class="danger">Remove</button></form>`,
      ];
    });
    const doneText = done ? DONE[done] : undefined;
    const flash = doneText && name ? { kind: 'ok' as const, text: doneText.replace('{}', name) } : null;
    return reply.type('text/html').send(
      page(
        { title: 'Sources', nav: 'sources', csrf: csrf(req), flash },
        h`
      <p><a class="button" href="/sources/new?kind=vcenter">Add vCenter</a> <a class="button" href="/sources/new?kind=hyperv">Add Hyper-V host or cluster</a></p>
      ${table(['Name', 'Kind', 'Endpoint', 'User', 'Inventory', ''], rows)}
      <p class="hint">Changes are written to ${ctx.configStore.file}; passwords are stored encrypted.</p>`,
      ),
    );
  });

  app.get('/sources/new', async (req, reply) => {
    const kind: Kind = query(req).kind === 'hyperv' ? 'hyperv' : 'vcenter';
    return reply
      .type('text/html')
      .send(
        page(
          { title: kind === 'vcenter' ? 'Add a vCenter' : 'Add Hyper-V hosts', nav: 'sources', csrf: csrf(req) },
          sourceForm(csrf(req), kind, null, '/sources'),
        ),
      );
  });

  app.post('/sources', async (req, reply) => {
    const f = form(req);
    const kind: Kind = f.kind === 'hyperv' ? 'hyperv' : 'vcenter';
    let rawSource: Raw | null = null;
    try {
      rawSource = toRaw(ctx, f, null);
      await ctx.configStore.upsertSource(rawSource);
    } catch (err) {
      const shown = rawSource ? { ...rawSource, password: undefined } : ({ ...f, password: undefined, kind } as Raw);
      return reply
        .code(400)
        .type('text/html')
        .send(
          page(
            { title: 'Add a source', nav: 'sources', csrf: csrf(req), flash: { kind: 'error', text: problemsText(err) } },
            sourceForm(csrf(req), kind, shown, '/sources'),
          ),
        );
    }
    await changed([rawSource.name as string]);
    return reply.redirect(`/sources?saved=${encodeURIComponent(String(rawSource.name))}`, 303);
  });

  app.get<{ Params: { name: string } }>('/sources/:name/edit', async (req, reply) => {
    const existing = ctx.configStore.rawSource(req.params.name);
    if (!existing)
      return reply
        .code(404)
        .type('text/html')
        .send(page({ title: 'No such source', nav: 'sources', csrf: csrf(req) }, h`<p><a href="/sources">Back to sources</a></p>`));
    return reply
      .type('text/html')
      .send(
        page(
          { title: `Edit ${req.params.name}`, nav: 'sources', csrf: csrf(req) },
          sourceForm(csrf(req), existing.kind as Kind, existing, `/sources/${encodeURIComponent(req.params.name)}`),
        ),
      );
  });

  app.post<{ Params: { name: string } }>('/sources/:name', async (req, reply) => {
    const existing = ctx.configStore.rawSource(req.params.name);
    if (!existing) return reply.code(404).send('no such source');
    let rawSource: Raw | null = null;
    try {
      rawSource = toRaw(ctx, form(req), existing);
      await ctx.configStore.upsertSource(rawSource, req.params.name);
    } catch (err) {
      return reply
        .code(400)
        .type('text/html')
        .send(
          page(
            { title: `Edit ${req.params.name}`, nav: 'sources', csrf: csrf(req), flash: { kind: 'error', text: problemsText(err) } },
            sourceForm(
              csrf(req),
              existing.kind as Kind,
              { ...(rawSource ?? existing), password: existing.password },
              `/sources/${encodeURIComponent(req.params.name)}`,
            ),
          ),
        );
    }
    await changed([...new Set([req.params.name, String(rawSource.name)])]);
    return reply.redirect(`/sources?saved=${encodeURIComponent(String(rawSource.name))}`, 303);
  });

  app.post<{ Params: { name: string } }>('/sources/:name/remove', async (req, reply) => {
    await ctx.configStore.removeSource(req.params.name);
    await ctx.inventory.removeSource(req.params.name);
    await changed([req.params.name]);
    return reply.redirect(`/sources?removed=${encodeURIComponent(req.params.name)}`, 303);
  });

  app.post<{ Params: { name: string } }>('/sources/:name/pin', async (req, reply) => {
    const existing = ctx.configStore.rawSource(req.params.name);
    if (!existing) return reply.code(404).send('no such source');
    await ctx.configStore.upsertSource({ ...existing, tls: { thumbprint: (form(req).thumbprint ?? '').trim() } }, req.params.name);
    await changed([req.params.name]);
    return reply.redirect(`/sources?pinned=${encodeURIComponent(req.params.name)}`, 303);
  });

  app.post<{ Params: { name: string } }>('/sources/:name/validate', async (req, reply) => {
    const cfg: SourceConfig | undefined = ctx.current().sources.find((s) => s.name === req.params.name);
    if (!cfg) return reply.code(404).send('no such source');
    const result = await checkSource(cfg, ctx.log);
    const ok = result.lines.every((l) => l.status !== 'fail');
    return reply.type('text/html').send(
      page(
        {
          title: `Validate ${cfg.name}`,
          nav: 'sources',
          csrf: csrf(req),
          flash: ok ? { kind: 'ok', text: 'All checks passed.' } : { kind: 'error', text: 'Some checks failed; see below.' },
        },
        h`
      <p class="muted">${cfg.kind === 'vcenter' ? 'vCenter' : 'Hyper-V'} at <code>${result.endpoint}</code></p>${checkView(result, csrf(req))}
      <p><a class="button secondary" href="/sources">Back to sources</a> <a class="button secondary" href="/sources/${encodeURIComponent(cfg.name)}/edit">Edit</a></p>`,
      ),
    );
  });
}
