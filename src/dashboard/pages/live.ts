/** Page 4, Live: each running sync's per-stream records, pages, rate and budget wait; updated by SSE (live.js). */
import type { LiveRun } from '../../cluster/dashboard-data.js';
import { count, duration, when } from '../format.js';
import { type Html, html, seg } from '../html.js';
import { badge, page } from '../layout.js';

/** The part of the page each server-sent event replaces (rendered and escaped here, on the server). */
export function liveFragment(runs: readonly LiveRun[], now: Date): Html {
  if (runs.length === 0) {
    return html`<div class="empty">Nothing is running. Start a sync from a <a href="/">connection's page</a> (Sync now);
this page shows it as soon as a worker picks it up. No worker running? Start one with <code>tributary worker</code>.</div>`;
  }
  return html`${runs.map(
    (r) => html`<section class="card live-run" data-connection="${r.connection}">
<h2><a href="/connections/${seg(r.connection)}">${r.connection}</a> ${r.outcome ? badge(r.outcome) : badge('running')}</h2>
<p class="muted">job ${r.jobId} on ${r.worker}, started ${when(r.startedAt, now)}${r.endedAt ? html`, ended ${when(r.endedAt, now)}` : html`, updated ${when(r.updatedAt, now)}`}${r.runId && r.endedAt ? html` · <a href="/runs/${seg(r.runId)}">the run</a>` : ''}</p>
<div class="table-wrap"><table class="stack">
<thead><tr><th>Stream</th><th>Status</th><th class="num">Records</th><th class="num">Pages</th><th class="num">Rate</th><th class="num">Budget wait</th></tr></thead>
<tbody>${r.streams.map(
      (s) => html`<tr data-stream="${s.stream}">
<td data-label="Stream">${s.stream}</td>
<td data-label="Status">${badge(s.status)}</td>
<td data-label="Records" class="num" data-records="${s.records}">${count(s.records)}</td>
<td data-label="Pages" class="num">${count(s.pages)}</td>
<td data-label="Rate" class="num">${count(Math.round(s.recordsPerSec))}/s</td>
<td data-label="Budget wait" class="num">${duration(s.budgetWaitMs)}</td>
</tr>`,
    )}</tbody></table></div>
</section>`,
  )}`;
}

export function livePage(runs: readonly LiveRun[], now: Date, problem?: string): Html {
  return page({
    title: 'Live',
    section: 'live',
    scripts: ['/assets/live.js'],
    body: html`<h1>Live</h1>
<p class="muted" id="live-state" role="status" aria-live="polite">Connecting to live updates…</p>
${problem ? html`<div class="error-box" role="alert">Cannot read live progress: ${problem}. It retries on its own; check Redis if it persists.</div>` : ''}
<div id="live" data-events="/live/events">${liveFragment(runs, now)}</div>`,
  });
}
