import { describe, expect, it } from 'vitest';
import { renderChart } from '../../appliance/web/chart.js';
import { escapeHtml, h, raw } from '../../appliance/web/html.js';
import { LoginLimiter } from '../../appliance/web/login-limiter.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../appliance/web/passwords.js';
import { safeNext } from '../../appliance/web/request.js';

describe('web app building blocks', () => {
  it('escapes every interpolated value and keeps markup built by h``', () => {
    const name = '<script>alert("x")</script>&';
    const out = h`<td>${name}</td>${h`<b>${'a&b'}</b>`}${raw('<i>ok</i>')}${[1, '<2>']}`.text;
    expect(out).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;</td><b>a&amp;b</b><i>ok</i>1&lt;2&gt;');
    expect(escapeHtml("'")).toBe('&#39;');
  });

  it('limits failed sign-ins per address and overall, and forgets them after the window', () => {
    let now = 1_000_000;
    const l = new LoginLimiter({ perAddress: 3, perAddressWindowMs: 60_000, global: 5, globalWindowMs: 10_000 }, () => now);
    for (let i = 0; i < 3; i++) l.failed('a');
    expect(l.retryAfterSec('a')).toBe(60);
    expect(l.retryAfterSec('b')).toBe(0);
    l.failed('b');
    l.failed('c');
    expect(l.retryAfterSec('d')).toBe(10); // 5 failures in 10 s from anywhere
    now += 11_000;
    expect(l.retryAfterSec('d')).toBe(0);
    expect(l.retryAfterSec('a')).toBe(49);
    l.succeeded('a');
    expect(l.retryAfterSec('a')).toBe(0);
  });

  it('hashes passwords with scrypt and verifies only the right one', async () => {
    const stored = await hashPassword('a long admin password');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('a long admin password', stored)).toBe(true);
    expect(await verifyPassword('a long admin passwore', stored)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
    expect(passwordProblem('short')).toMatch(/12 characters/);
    expect(passwordProblem('long enough pw')).toBeNull();
  });

  it('follows only same-site paths after sign-in', () => {
    expect(safeNext('/machines/vmware%3Aa%3Ab?view=6h')).toBe('/machines/vmware%3Aa%3Ab?view=6h');
    for (const bad of ['//evil.example/x', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)', undefined])
      expect(safeNext(bad)).toBe('/discovery');
  });

  it('draws a missing 10-minute window as a gap, not as a line across it', () => {
    const t = 1_700_000_000_000 - (1_700_000_000_000 % 600_000);
    const points = [0, 1, 2, 4, 5].map((i) => ({ t: t + i * 600_000, v: 10 * (i + 1) }));
    const svg = renderChart({
      title: 'CPU <usage>',
      unit: '%',
      points,
      from: t,
      to: t + 6 * 600_000,
      lines: [
        { label: 'P50', value: 30 },
        { label: 'P95', value: 31 },
        { label: 'P99', value: null },
      ],
    }).text;
    expect(svg.match(/<polyline /g)?.length).toBe(2);
    expect(svg.match(/<circle /g)?.length).toBe(5);
    expect(svg).toContain('CPU &lt;usage&gt;');
    expect(svg).toContain('>P50 30 %<');
    expect(svg).not.toContain('P99');
    // Close percentile labels are moved apart (at least 13 px).
    const ys = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" fill="#[0-9a-f]+">P/g)].map((m) => Number(m[1]));
    expect(ys.length).toBe(2);
    expect(Math.abs(ys[0]! - ys[1]!)).toBeGreaterThanOrEqual(13);
  });
});
