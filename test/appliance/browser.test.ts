import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstate } from '../../lab/estate.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { CHROMIUM, PEERS, requirePeer } from '../helpers/peers.js';
import { tempDir } from './fixtures.js';

// The whole appliance as a user meets it: `collector lab up` (built CLI, its own redis-server on an
// ephemeral port, the lab simulators) driven through Debian's Chromium.
const SHOTS = join(ROOT, 'test-results', 'screenshots');
const noChromium = requirePeer(PEERS.chromium);
const tmp = tempDir('browser');
let lab: ChildProcess | undefined;
let banner = '';
let context: BrowserContext | undefined;
let page: Page;
const requests: string[] = [];
const cspErrors: string[] = [];

function field(re: RegExp): string {
  const m = re.exec(banner);
  if (!m) throw new Error(`not in the lab banner: ${re}\n${banner}`);
  return m[1]!;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Reloads until the predicate holds on the page text (the service works in the background). */
async function until(what: string, test: (text: string) => boolean, timeoutMs = 120_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await page.content();
    if (test(text)) return text;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(2000);
    await page.reload();
  }
}

beforeAll(async () => {
  if (noChromium) return;
  mkdirSync(SHOTS, { recursive: true });
  lab = spawn(
    process.execPath,
    [CLI, 'lab', 'up', '--data-dir', join(tmp.dir, 'lab'), '--port', '0', '--no-lab-sources', '--log-level', 'warn'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  lab.stderr!.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab up did not come up in 90 s:\n${banner}\n${stderr}`)), 90_000);
    lab!.stdout!.on('data', (d) => {
      banner += d;
      if (banner.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve();
      }
    });
    lab!.once('exit', (code) => reject(new Error(`lab up exited with ${code}:\n${banner}\n${stderr}`)));
  });
  context = await chromium.launchPersistentContext(join(tmp.dir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    ignoreHTTPSErrors: true, // the appliance's self-signed certificate, as an admin clicks through on first visit
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  // Every request the pages make, and every CSP violation Chromium reports (issue 10, finding 5).
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));
}, 180_000);

afterAll(async () => {
  await context?.close();
  if (lab && lab.exitCode === null) {
    const exited = new Promise((r) => lab!.once('exit', r));
    lab.kill('SIGTERM');
    const timer = setTimeout(() => lab!.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  tmp.cleanup();
}, 60_000);

describe.skipIf(noChromium)('the appliance in a browser (Chromium, lab up)', () => {
  it('signs in, adds and validates the lab sources, sees machines and charts, and downloads the assessment', async () => {
    const url = field(/Web app:\s+(https:\/\/\S+)/);
    const password = field(/Sign in:\s+admin \/ (\S+)/);
    const vcUrl = field(/Lab vCenter vc01: (\S+)/);
    const vcUser = field(/Lab vCenter vc01: \S+\s+user (\S+)/);
    const vcPw = readFileSync(field(/Lab vCenter vc01: .* password in (\S+)/), 'utf8').trim();
    const hvPort = field(/Lab Hyper-V host hv03: 127\.0\.0\.1 port (\d+)/);
    const hvUser = field(/Lab Hyper-V host hv03: .*user (\S+)/);
    const hvPw = readFileSync(field(/Lab Hyper-V host hv03: .* password in (\S+)/), 'utf8').trim();
    const estate = loadEstate(join(ROOT, 'lab/estates/sample.yaml'));
    const vmwareVms = estate.vms.filter((v) => v.host.platform === 'vmware' && !v.template).length;
    const hv03Vms = estate.vms.filter((v) => v.host.name === 'hv03').length;

    // Sign in.
    await page.goto(url);
    expect(page.url()).toContain('/login');
    await shot('01-login');
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await expect(page.locator('.flash.error')).toBeTruthy();
    expect(await page.textContent('.flash.error')).toContain('Wrong user name or password');
    await page.fill('#password', password);
    await Promise.all([page.waitForURL(/\/discovery/), page.click('button[type=submit]')]);
    expect(await page.textContent('#count-machines')).toBe('0');
    await shot('02-discovery-empty');

    // Add the lab vCenter; the first validation shows its certificate, which we pin, then everything passes.
    await page.click('text=Sources');
    await page.click('text=Add vCenter');
    await page.fill('#name', 'vc01');
    await page.fill('#url', vcUrl);
    await page.fill('#username', vcUser);
    await page.fill('#password', vcPw);
    await shot('03-add-vcenter');
    await Promise.all([page.waitForURL(/\/sources\?saved=vc01/), page.click('button:has-text("Save")')]);
    expect(await page.content()).not.toContain(vcPw);
    await page.click('tr:has-text("vc01") button:has-text("Validate")');
    await page.waitForSelector('text=Certificate not trusted');
    await shot('04-validate-untrusted');
    await page.click('button:has-text("Pin this thumbprint")');
    await page.waitForURL(/\/sources\?pinned=vc01/);
    await page.click('tr:has-text("vc01") button:has-text("Validate")');
    await page.waitForSelector('text=All checks passed');
    expect(await page.textContent('main')).toContain(`Discovered ${vmwareVms} machine(s)`);
    await shot('05-validate-vcenter-ok');

    // Add the standalone Hyper-V host the same way.
    await page.click('text=Sources');
    await page.click('text=Add Hyper-V host or cluster');
    await page.fill('#name', 'hv03');
    await page.fill('#host', '127.0.0.1');
    await page.fill('#port', hvPort);
    await page.fill('#username', hvUser);
    await page.fill('#password', hvPw);
    await Promise.all([page.waitForURL(/\/sources\?saved=hv03/), page.click('button:has-text("Save")')]);
    await page.click('tr:has-text("hv03") button:has-text("Validate")');
    await page.waitForSelector('text=Certificate not trusted');
    await page.click('button:has-text("Pin this thumbprint")');
    await page.waitForURL(/\/sources\?pinned=hv03/);
    await page.click('tr:has-text("hv03") button:has-text("Validate")');
    await page.waitForSelector('text=All checks passed');
    expect(await page.textContent('main')).toContain(`Discovered ${hv03Vms} machine(s)`);
    await shot('06-validate-hyperv-ok');
    await page.goto(`${url}/sources`);
    await shot('07-sources');

    // The service picked both sources up: machines appear.
    await page.goto(`${url}/discovery`);
    await until('machines from both sources', (t) => new RegExp(`id="count-machines">${vmwareVms + hv03Vms}<`).test(t));
    await shot('08-discovery');
    await page.selectOption('#f-source', 'hv03');
    await Promise.all([page.waitForURL(/source=hv03/), page.click('button:has-text("Filter")')]);
    expect(await page.textContent('#shown-count')).toContain(`${hv03Vms} of ${vmwareVms + hv03Vms} machines`);

    // A machine's chart fills from the backfill: 10-minute peaks and percentile lines.
    await page.goto(`${url}/discovery?q=web01`);
    await Promise.all([page.waitForURL(/\/machines\//), page.click('table.machines a:has-text("web01")')]);
    const text = await until('10-minute peaks for web01', (t) =>
      /CPU usage<\/strong> <span class="muted">\(([1-9]\d*) ten-minute peaks\)/.test(t),
    );
    expect(text).toMatch(/>P95 [\d.]+ %</);
    expect(await page.locator('svg.chart polyline.peaks').count()).toBeGreaterThan(0);
    await shot('09-machine');
    await Promise.all([page.waitForURL(/view=6h/), page.click('a:has-text("6h")')]);
    expect(await page.locator('svg.chart polyline.peaks').count()).toBeGreaterThan(0);
    await page
      .locator('figure.chart-figure')
      .first()
      .screenshot({ path: join(SHOTS, '09b-machine-cpu-chart-6h.png') });

    // The assessment, and its downloads.
    await page.click('nav >> text=Assessment');
    await page.waitForSelector('#download-json');
    await shot('10-assessment');
    const [json] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
    const a = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(a.machines.length).toBe(vmwareVms + hv03Vms);
    expect(a.machines.map((m: { name: string }) => m.name)).toContain('web01');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('.download-csv')]);
    expect(csv.suggestedFilename()).toMatch(/^azure-migrate-\d+\.csv$/);
    const { parse } = await import('csv-parse/sync');
    const rows = parse(readFileSync((await csv.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(vmwareVms + hv03Vms);

    // Health and the queue dashboard behind the same sign-in.
    await page.click('nav >> text=Health');
    await page.waitForSelector('table.sources-health');
    expect(await page.textContent('table.sources-health')).toContain('polling');
    await shot('11-health');
    await page.goto(`${url}/queues`);
    await page.waitForSelector('text=samples');
    await shot('12-queues');
    // Nothing left the appliance (the queue board's CDN fonts are stripped), and the CSP broke nothing.
    const origin = new URL(url).origin;
    expect(requests.filter((r) => !r.startsWith(origin) && !r.startsWith('data:') && !r.startsWith('blob:'))).toEqual([]);
    expect(cspErrors).toEqual([]);
  }, 420_000);
});
