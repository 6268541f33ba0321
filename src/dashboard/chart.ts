/**
 * The run chart of a connection page: one bar per run for its records and a line for its duration, oldest
 * on the left. Server-rendered SVG built from numbers only (no chart library, no script); each bar carries a
 * <title> (escaped) for a pointer and a screen reader, and a table beside it holds the same numbers.
 */
import { type Html, html } from './html.js';

export interface ChartPoint {
  label: string;
  records: number;
  durationMs: number;
  failed: boolean;
}

const W = 640;
const H = 180;
const PAD = { left: 44, right: 44, top: 10, bottom: 22 };

export function runChart(points: readonly ChartPoint[]): Html {
  if (points.length === 0) return html``;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxRec = Math.max(1, ...points.map((p) => p.records));
  const maxDur = Math.max(1, ...points.map((p) => p.durationMs));
  const step = plotW / points.length;
  const barW = Math.max(2, Math.min(28, step * 0.7));
  const x = (i: number) => PAD.left + step * i + (step - barW) / 2;
  const yRec = (v: number) => PAD.top + plotH - (v / maxRec) * plotH;
  const yDur = (v: number) => PAD.top + plotH - (v / maxDur) * plotH;
  const bars = points.map((p, i) => {
    const y = yRec(p.records);
    return html`<rect class="rec" x="${x(i).toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${(PAD.top + plotH - y).toFixed(1)}"${p.failed ? html` opacity="0.45"` : ''}><title>${p.label}: ${p.records} records, ${(p.durationMs / 1000).toFixed(1)} s${p.failed ? ' (failed)' : ''}</title></rect>`;
  });
  const line = points
    .map((p, i) => `${(x(i) + barW / 2).toFixed(1)},${yDur(p.durationMs).toFixed(1)}`)
    .join(' ');
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Records (bars) and duration (line) of the last ${points.length} runs">
<line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"/>
<text x="4" y="${PAD.top + 10}">${compact(maxRec)}</text><text x="4" y="${PAD.top + plotH}">0</text>
<text x="${W - PAD.right + 4}" y="${PAD.top + 10}">${(maxDur / 1000).toFixed(1)}s</text>
${bars}
<polyline class="dur" points="${line}"/>
<text x="${PAD.left}" y="${H - 6}">oldest</text><text x="${W - PAD.right - 36}" y="${H - 6}">newest</text>
</svg>
<p class="legend"><span class="k-rec">records</span> · <span class="k-dur">duration</span></p>`;
}

function compact(n: number): string {
  return n >= 1_000_000
    ? `${(n / 1_000_000).toFixed(1)}M`
    : n >= 1000
      ? `${(n / 1000).toFixed(1)}k`
      : String(n);
}
