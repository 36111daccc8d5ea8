import net from 'node:net';
import tls from 'node:tls';
import { createCollector } from '../collector-factory.js';
import { UserError, errorMessage } from '../../common/errors.js';
import { redactText, type Logger } from '../../common/log.js';
import { normalizeThumbprint, probeCertificate, tlsOptions, type PresentedCertificate } from '../../common/tls.js';
import type { SourceConfig } from '../../config/load.js';

export interface CheckLine {
  status: 'pass' | 'fail' | 'info';
  title: string;
  detail: string;
  fix?: string;
}

export interface SourceCheck {
  source: string;
  endpoint: string;
  lines: CheckLine[];
  certificate: PresentedCertificate | null;
  /** True when the certificate is not trusted by the current settings and pinning it would help. */
  offerPin: boolean;
  machines: number | null;
}

export function endpointOf(cfg: SourceConfig): { host: string; port: number; tls: boolean } {
  if (cfg.kind === 'vcenter') {
    const u = new URL(cfg.url);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : 443, tls: true };
  }
  if (cfg.kind === 'linux' || cfg.kind === 'windows') {
    // The first host stands for the source; each host is checked when the collector connects.
    const first = cfg.hosts[0] ?? '';
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(first);
    const host = m?.[1] ?? m?.[2] ?? first;
    const https = cfg.kind === 'windows' && cfg.transport === 'https';
    const fallback = cfg.kind === 'linux' ? 22 : (cfg.port ?? (https ? 5986 : 5985));
    return { host, port: m?.[3] ? Number(m[3]) : fallback, tls: https };
  }
  const https = cfg.transport === 'https';
  // hostMap (names DNS does not resolve, e.g. the lab's hosts) says where the host really answers.
  const mapped = Object.entries(
    (cfg as { hostMap?: Record<string, string | { address: string; httpsPort?: number; httpPort?: number }> }).hostMap ?? {},
  ).find(([name]) => name.toLowerCase() === cfg.host.toLowerCase())?.[1];
  if (typeof mapped === 'string') {
    const [address = mapped, port] = mapped.split(':');
    return { host: address, port: port ? Number(port) : (cfg.port ?? (https ? 5986 : 5985)), tls: https };
  }
  if (mapped)
    return { host: mapped.address, port: (https ? mapped.httpsPort : mapped.httpPort) ?? cfg.port ?? (https ? 5986 : 5985), tls: https };
  return { host: cfg.host, port: cfg.port ?? (https ? 5986 : 5985), tls: https };
}

function connect(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (err: string | null) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(timeoutMs, () =>
      done(`no answer within ${Math.round(timeoutMs / 1000)} s (a firewall dropping packets, or the wrong address)`),
    );
    s.once('connect', () => done(null));
    s.once('error', (e: NodeJS.ErrnoException) => {
      const words: Record<string, string> = {
        ECONNREFUSED: 'the connection was refused: nothing listens on that port (service stopped or wrong port)',
        ENOTFOUND: 'the name does not resolve in DNS (check the spelling, or use the IP address)',
        EAI_AGAIN: "DNS did not answer (check the appliance's DNS servers)",
        EHOSTUNREACH: 'no route to the host (check the network and routing)',
        ENETUNREACH: 'the network is unreachable from the appliance',
      };
      done(words[e.code ?? ''] ?? `${e.code ?? 'error'}: ${e.message}`);
    });
  });
}

/** Whether the current tls settings would trust the server, as a plain-words line. */
function trustCheck(host: string, port: number, cfg: SourceConfig, cert: PresentedCertificate): Promise<CheckLine> {
  const t = 'tls' in cfg ? cfg.tls : {};
  if (t.insecure)
    return Promise.resolve({
      status: 'info',
      title: 'Certificate not verified',
      detail: 'tls.insecure is on: the appliance accepts any certificate from this server.',
      fix: 'Pin the thumbprint shown above instead, so a different server cannot impersonate it.',
    });
  if (t.thumbprint) {
    const ok = normalizeThumbprint(t.thumbprint) === normalizeThumbprint(cert.thumbprint);
    return Promise.resolve(
      ok
        ? { status: 'pass', title: 'Certificate trusted', detail: 'It matches the pinned SHA-256 thumbprint.' }
        : {
            status: 'fail',
            title: 'Certificate does not match the pinned thumbprint',
            detail: `Pinned ${normalizeThumbprint(t.thumbprint)}, presented ${cert.thumbprint}.`,
            fix: "If the server's certificate was renewed on purpose, pin the new thumbprint.",
          },
    );
  }
  return new Promise((resolve) => {
    let opts: tls.ConnectionOptions;
    try {
      opts = tlsOptions(t, `sources.${cfg.name}.tls`);
    } catch (err) {
      resolve({ status: 'fail', title: 'Certificate authority file unreadable', detail: errorMessage(err), fix: (err as UserError).fix });
      return;
    }
    const s = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...opts });
    s.setTimeout(10_000, () => {
      s.destroy();
      resolve({ status: 'fail', title: 'TLS handshake timed out', detail: 'The server accepted the connection but did not complete TLS.' });
    });
    s.once('secureConnect', () => {
      s.destroy();
      resolve({
        status: 'pass',
        title: 'Certificate trusted',
        detail: t.caFile ? `Signed by the CA in ${t.caFile}.` : 'Signed by a CA the appliance trusts.',
      });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.destroy();
      resolve({
        status: 'fail',
        title: 'Certificate not trusted',
        detail: `${e.code ?? 'error'}: ${e.message}. Self-signed vCenter and WinRM certificates are normal; the appliance needs to be told to trust this one.`,
        fix: 'Compare the thumbprint above with the one on the server (vCenter: Certificate Management; Windows: the WinRM listener certificate), then press "Pin this thumbprint", or give the CA file.',
      });
    });
  });
}

/**
 * Checks a source the way an admin would, step by step, stopping at the first step that fails:
 * the port answers, the certificate and whether it is trusted, then a real sign-in and discovery
 * with the configured account (which also shows missing permissions as inventory errors).
 */
export async function checkSource(cfg: SourceConfig, log: Logger, timeoutMs = 60_000): Promise<SourceCheck> {
  const ep = endpointOf(cfg);
  const out: SourceCheck = {
    source: cfg.name,
    endpoint: `${ep.host}:${ep.port}`,
    lines: [],
    certificate: null,
    offerPin: false,
    machines: null,
  };
  const refused = await connect(ep.host, ep.port, 8000);
  if (refused) {
    out.lines.push({
      status: 'fail',
      title: `Cannot reach ${ep.host}:${ep.port}`,
      detail: refused,
      fix:
        cfg.kind === 'hyperv'
          ? 'Check the host name and that WinRM listens (winrm quickconfig; port 5986 for HTTPS, 5985 for HTTP) and that the firewall allows the appliance.'
          : 'Check the URL and that TCP 443 from the appliance to vCenter is allowed.',
    });
    return out;
  }
  out.lines.push({ status: 'pass', title: `Reached ${ep.host}:${ep.port}`, detail: 'The port accepts connections.' });
  if (ep.tls) {
    const cert = await probeCertificate(ep.host, ep.port);
    out.certificate = cert;
    if (!cert) {
      out.lines.push({
        status: 'fail',
        title: 'No TLS certificate',
        detail: 'The port answered but did not complete a TLS handshake.',
        fix:
          cfg.kind === 'hyperv'
            ? 'Use the HTTPS listener port (5986), or transport: http with NTLM.'
            : 'Check that the URL points at the vCenter HTTPS port.',
      });
      return out;
    }
    out.lines.push({
      status: 'info',
      title: 'Certificate presented',
      detail: `Subject ${cert.subject}; issuer ${cert.issuer}; valid ${cert.validFrom} to ${cert.validTo}; SHA-256 thumbprint ${cert.thumbprint}.`,
    });
    const trust = await trustCheck(ep.host, ep.port, cfg, cert);
    out.lines.push(trust);
    out.offerPin = trust.status === 'fail' || ('tls' in cfg && !!cfg.tls.insecure);
    if (trust.status === 'fail') return out;
  }
  let collector: Awaited<ReturnType<typeof createCollector>> | undefined;
  try {
    collector = await createCollector(cfg, { log });
    const found = await withTimeout(collector.discover(), timeoutMs, `no discovery result within ${Math.round(timeoutMs / 1000)} s`);
    out.machines = found.machines.length;
    out.lines.push({ status: 'pass', title: `Signed in as ${cfg.username}`, detail: 'The credentials were accepted.' });
    const hosts = new Set(found.machines.map((m) => m.host).filter(Boolean)).size;
    out.lines.push({
      status: found.source.errors.length ? 'fail' : 'pass',
      title: `Discovered ${found.machines.length} machine(s) on ${hosts} host(s)`,
      detail: found.source.errors.length
        ? `But some parts could not be read: ${found.source.errors.map(redactText).join('; ')}`
        : `Inventory read completely${found.source.templatesSkipped ? ` (${found.source.templatesSkipped} template(s) skipped)` : ''}.`,
      fix: found.source.errors.length
        ? cfg.kind === 'vcenter'
          ? 'Give the account the Read-only role on the vCenter root, propagated to children.'
          : 'Add the account to "Hyper-V Administrators" and "Remote Management Users" on every host (or grant WMI root\\virtualization\\v2 remote enable).'
        : undefined,
    });
  } catch (err) {
    const user = err instanceof UserError;
    out.lines.push({
      status: 'fail',
      title: 'Sign-in or discovery failed',
      detail: redactText(errorMessage(err)),
      fix: user ? redactText(err.fix ?? '') || undefined : undefined,
    });
  } finally {
    await collector?.close().catch(() => undefined);
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (timer = setTimeout(() => rej(new Error(message)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
