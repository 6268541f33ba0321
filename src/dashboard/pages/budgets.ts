/** Page 5, Budgets: per credential (named by its connections), requests/min against its limit over the last hour, waits and 429s. */
import type { BudgetSeries } from '../../cluster/dashboard-data.js';
import { count, duration, when } from '../format.js';
import { type Html, html, seg } from '../html.js';
import { page } from '../layout.js';

const W = 640;
const H = 120;

/** Requests per minute as bars, the limit as a dashed line: SVG from numbers only. */
function minuteChart(s: BudgetSeries): Html {
  const n = s.minutes.length;
  if (n === 0) return html``;
  const top = Math.max(1, s.limit ?? 0, ...s.minutes.map((m) => m.requests)) * 1.1;
  const step = (W - 40) / n;
  const y = (v: number) => 8 + (H - 24) * (1 - v / top);
  const bars = s.minutes.map(
    (m, i) =>
      html`<rect class="rec" x="${(36 + i * step).toFixed(1)}" y="${y(m.requests).toFixed(1)}" width="${Math.max(1, step - 1).toFixed(1)}" height="${(H - 16 - y(m.requests)).toFixed(1)}"><title>${m.minute}: ${m.requests} requests${m.limit ? ` of ${m.limit}` : ''}, waited ${(m.waitMs / 1000).toFixed(1)} s, ${m.http429} × 429</title></rect>`,
  );
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="Requests per minute over the last hour${s.limit ? `, limit ${s.limit}` : ''}">
<line class="axis" x1="36" y1="${H - 16}" x2="${W - 4}" y2="${H - 16}"/>
${bars}
${s.limit ? html`<line x1="36" x2="${W - 4}" y1="${y(s.limit).toFixed(1)}" y2="${y(s.limit).toFixed(1)}" stroke="#a4161a" stroke-dasharray="4 3"/><text x="2" y="${(y(s.limit) + 4).toFixed(1)}">${s.limit}</text>` : ''}
<text x="36" y="${H - 2}">−60 min</text><text x="${W - 30}" y="${H - 2}">now</text>
</svg>`;
}

export function budgetsPage(series: readonly BudgetSeries[], now: Date, problem?: string): Html {
  const body =
    problem !== undefined
      ? html`<div class="error-box" role="alert">Cannot read the budget metrics from Redis: ${problem}. Reload in a moment; check Redis if it persists.</div>`
      : series.length === 0
        ? html`<div class="empty">No requests in the last hour, so no credential has spent any budget. Run a sync (Sync now on a <a href="/">connection</a>) and come back.</div>`
        : html`${series.map((s) => {
            const peak = Math.max(0, ...s.minutes.map((m) => m.requests));
            return html`<section class="card">
<h2>${s.label}</h2>
<p>Used by ${s.connections.map((c, i) => html`${i ? ', ' : ''}<a href="/connections/${seg(c)}">${c}</a>`)}</p>
<dl class="kv">
<dt>Limit</dt><dd>${s.limit ? `${count(s.limit)} requests/min` : 'none published'}</dd>
<dt>Requests (1 h)</dt><dd>${count(s.totals.requests)}, peak ${count(peak)}/min</dd>
<dt>Time waiting</dt><dd>${duration(s.totals.waitMs)}</dd>
<dt>429s</dt><dd>${count(s.totals.http429)}</dd>
</dl>
${minuteChart(s)}
</section>`;
          })}`;
  return page({
    title: 'Budgets',
    section: 'budgets',
    body: html`<h1>Rate budgets</h1>
<p class="muted">Per credential, shared by every connection and worker that uses it; the last hour as of ${when(now, now)}. A credential is named by its connections, never by its value.</p>
${body}`,
  });
}
