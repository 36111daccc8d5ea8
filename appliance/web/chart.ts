import { escapeHtml, h, raw, type Html } from './html.js';

export interface ChartLine {
  label: string;
  value: number | null;
}

export interface ChartInput {
  title: string;
  unit: string;
  /** 10-minute peaks: window start (ms) and value. */
  points: Array<{ t: number; v: number }>;
  from: number;
  to: number;
  /** Horizontal lines, e.g. the percentiles. */
  lines: ChartLine[];
}

const W = 760;
const H = 220;
const PAD = { l: 64, r: 120, t: 44, b: 28 };
const LINE_COLOURS = ['#1a7f37', '#9a6700', '#c2410c', '#c62828'];

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

export function formatValue(v: number, unit: string): string {
  if (unit === '%') return `${v.toFixed(v < 10 ? 1 : 0)} %`;
  if (unit === 'B/s') {
    const u = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
    let x = v;
    let i = 0;
    while (x >= 1000 && i < u.length - 1) {
      x /= 1000;
      i++;
    }
    return `${x.toFixed(x < 10 ? 1 : 0)} ${u[i]}`;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${unit}`;
}

/**
 * One series as inline SVG, rendered on the server (no script, no CDN): the 10-minute peaks as a
 * line with a dot per point (gaps stay gaps: a missing window is not drawn as a straight line), and
 * the percentile lines labelled on the right.
 */
export function renderChart(c: ChartInput): Html {
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const top = niceMax(Math.max(c.unit === '%' ? 10 : 0, ...c.points.map((p) => p.v), ...c.lines.map((l) => l.value ?? 0)) * 1.05);
  const span = Math.max(1, c.to - c.from);
  const x = (t: number) => PAD.l + ((t - c.from) / span) * iw;
  const y = (v: number) => PAD.t + ih - (Math.max(0, v) / top) * ih;
  const segments: string[] = [];
  let seg: string[] = [];
  let prev = -Infinity;
  for (const p of [...c.points].sort((a, b) => a.t - b.t)) {
    if (p.t - prev > 600_000 && seg.length) {
      segments.push(seg.join(' '));
      seg = [];
    }
    seg.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    prev = p.t;
  }
  if (seg.length) segments.push(seg.join(' '));
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = top * f;
    return `<line x1="${PAD.l}" x2="${PAD.l + iw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e8ec"/><text x="${PAD.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${formatValue(v, c.unit)}</text>`;
  });
  const hours = span / 3_600_000;
  const step = hours <= 2 ? 1_800_000 : hours <= 8 ? 3_600_000 : hours <= 26 ? 4 * 3_600_000 : 24 * 3_600_000;
  const ticks: string[] = [];
  for (let t = Math.ceil(c.from / step) * step; t <= c.to; t += step) {
    const d = new Date(t);
    const label = step >= 86_400_000 ? d.toISOString().slice(5, 10) : d.toISOString().slice(11, 16);
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${H - 8}" text-anchor="middle">${label}</text>`);
  }
  // Percentile lines are often close together: keep their labels at least 13 px apart.
  const shown = c.lines
    .flatMap((l, i) => (l.value === null ? [] : [{ ...l, value: l.value, i, y: y(l.value), ly: y(l.value) }]))
    .sort((a, b) => b.y - a.y);
  let above: number | undefined;
  for (const l of shown) {
    if (above !== undefined) l.ly = Math.min(l.ly, above - 13);
    above = l.ly;
  }
  const lines = shown.map((l) => {
    const colour = LINE_COLOURS[l.i % LINE_COLOURS.length];
    return `<line x1="${PAD.l}" x2="${PAD.l + iw}" y1="${l.y.toFixed(1)}" y2="${l.y.toFixed(1)}" stroke="${colour}" stroke-dasharray="5 4" class="pline"/><text x="${PAD.l + iw + 6}" y="${(l.ly + 4).toFixed(1)}" fill="${colour}">${l.label} ${formatValue(l.value, c.unit)}</text>`;
  });
  const path = segments.map((s) => `<polyline points="${s}" fill="none" stroke="#0b5cad" stroke-width="1.6" class="peaks"/>`).join('');
  const dots =
    c.points.length <= 300
      ? c.points.map((p) => `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="1.8" fill="#0b5cad"/>`).join('')
      : '';
  const empty =
    c.points.length === 0 ? `<text x="${PAD.l + iw / 2}" y="${PAD.t + ih / 2}" text-anchor="middle">No 10-minute points yet</text>` : '';
  return h`<figure class="chart-figure"><figcaption><strong>${c.title}</strong> <span class="muted">(${c.points.length} ten-minute peaks)</span></figcaption>
${raw(`<svg class="chart" role="img" aria-label="${escapeHtml(c.title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${grid.join('')}${ticks.join('')}${path}${dots}${lines.join('')}${empty}</svg>`)}</figure>`;
}
