/** Page 2, a connection: its streams, its run timeline and chart, its config (secrets masked), its actions. */
import {
  clusterStatus,
  readLive,
  readRuns,
  readStreamStatus,
  type RunRecord,
} from '../../cluster/dashboard-data.js';
import type { Connection } from '../../connections/connections-file.js';
import { runChart } from '../chart.js';
import { type DashboardContext, load } from '../context.js';
import { count, duration, when } from '../format.js';
import { type Html, html, seg } from '../html.js';
import { badge, page } from '../layout.js';
import { maskedConfig } from '../masked-config.js';
import { liveFragment } from './live.js';
import { HEALTH_TEXT, health } from '../status.js';

export async function connectionPage(
  ctx: DashboardContext,
  c: Connection,
  flash?: { kind: 'ok' | 'error'; text: string },
): Promise<Html> {
  const now = ctx.now();
  const base = `/connections/${seg(c.name)}`;
  const [status, streams, runs, config, live] = await Promise.all([
    load(async () => (await clusterStatus(ctx.redis, ctx.queue, ctx.keys, [c]))[0]!),
    load(() => readStreamStatus(ctx.redis, ctx.keys, c.name)),
    load(() => readRuns(ctx.redis, ctx.keys, c.name, 50)),
    maskedConfig(c),
    load(async () => {
      const one = await readLive(ctx.redis, ctx.keys, c.name);
      return one ? [one] : [];
    }),
  ]);
  const s = status.ok ? status.value : undefined;
  const h = s ? health(s) : undefined;
  const nextHint = s?.nextRun
    ? html`wait for the next scheduled run (${when(s.nextRun, now)})`
    : html`(it has no schedule)`;

  const header = html`<h1>${c.name} ${h ? badge(h, HEALTH_TEXT[h]) : ''}</h1>
<dl class="kv card">
<dt>Connector</dt><dd>${c.connector}</dd>
<dt>Schedule</dt><dd>${s?.schedule ?? '–'}${s?.nextRun ? html`, next ${when(s.nextRun, now)}` : ''}</dd>
<dt>Last run</dt><dd>${s?.lastRun ? html`${badge(s.lastRun.status)} ${when(s.lastRun.endedAt, now)}${s.lastRun.runId ? html` · <a href="/runs/${seg(s.lastRun.runId)}">details</a>` : ''}${s.lastRun.error ? html`<div class="error-box">${s.lastRun.error}</div>` : ''}` : 'none yet'}</dd>
${s?.running ? html`<dt>Running</dt><dd>job ${s.running.jobId} on ${s.running.worker}, since ${when(s.running.since, now)} (attempt ${s.running.attempt}, ${s.running.trigger}) · <a href="/live">watch it live</a></dd>` : ''}
${s?.pendingJob ? html`<dt>Queued</dt><dd>job ${s.pendingJob} waits for a worker</dd>` : ''}
${s?.paused ? html`<dt>Paused</dt><dd>${when(s.paused.at, now)}: ${s.paused.reason}</dd>` : ''}
${status.ok ? '' : html`<dt>Cluster state</dt><dd class="error-box">cannot read it from Redis: ${status.error}</dd>`}
</dl>
<div class="actions" aria-label="Actions">
<a class="button primary" href="${base}/actions/sync">Sync now</a>
${s?.running || s?.pendingJob ? html`<a class="button danger" href="${base}/actions/cancel">Cancel</a>` : ''}
${s?.paused ? html`<a class="button" href="${base}/actions/resume">Resume</a>` : html`<a class="button" href="${base}/actions/pause">Pause</a>`}
</div>`;

  const streamSection = !streams.ok
    ? html`<div class="error-box" role="alert">Cannot read the streams' status: ${streams.error}. Reload in a moment; if it persists, check Redis.</div>`
    : streams.value.length === 0
      ? html`<div class="empty">No stream has been synced yet: click <a href="${base}/actions/sync">Sync now</a> or ${nextHint}.</div>`
      : html`<div class="table-wrap"><table class="stack">
<thead><tr><th>Stream</th><th class="num">Rows</th><th>Cursor or pass</th><th>Last error</th><th class="num">Soft deletes</th><th class="num">Schema changes</th><th>Actions</th></tr></thead>
<tbody>${streams.value.map(
          (st) => html`<tr>
<td data-label="Stream">${st.stream}${st.mode ? html` <span class="muted">${st.mode}</span>` : ''}</td>
<td data-label="Rows" class="num">${count(st.rows)}${st.deletedRows ? html` <span class="muted">(${count(st.deletedRows)} deleted)</span>` : ''}</td>
<td data-label="Cursor or pass"><code>${st.position}</code>${st.complete === false ? html` ${badge('pending', 'resumes')}` : ''}${st.stateUpdatedAt ? html`<br><span class="muted">saved ${when(st.stateUpdatedAt, now)}</span>` : ''}</td>
<td data-label="Last error">${st.lastError ? html`<a href="/runs/${seg(st.lastError.runId)}"><code>${st.lastError.code}</code></a> ${st.lastError.message}` : html`<span class="muted">none</span>`}</td>
<td data-label="Soft deletes" class="num">${count(st.softDeletes)}</td>
<td data-label="Schema changes" class="num">${count(st.schemaChanges)}${st.tablesCreated ? html` <span class="muted">(+${st.tablesCreated} table)</span>` : ''}</td>
<td data-label="Actions"><a href="${base}/actions/full-refresh?stream=${seg(st.stream)}">Full refresh</a> · <a href="${base}/actions/reset-state?stream=${seg(st.stream)}">Reset state</a></td>
</tr>`,
        )}</tbody></table></div>`;

  const runSection = !runs.ok
    ? html`<div class="error-box" role="alert">Cannot read the run history: ${runs.error}. Reload in a moment; if it persists, check Redis.</div>`
    : runs.value.length === 0
      ? html`<div class="empty">No runs yet: click <a href="${base}/actions/sync">Sync now</a> or ${nextHint}.</div>`
      : html`${runChart(
          [...runs.value]
            .slice(0, 30)
            .reverse()
            .map((r) => ({
              label: `${r.startedAt} ${r.status}`,
              records: r.records,
              durationMs: r.durationMs,
              failed: r.status !== 'succeeded',
            })),
        )}
${timeline(runs.value, now)}`;

  const configSection = html`<p class="muted">From ${config.source}. Secrets are masked; <code>\${VAR}</code> references are shown as written.</p>
${config.problem ? html`<p class="error-box">${config.problem}</p>` : ''}
<dl class="kv card">
<dt>destination</dt><dd><code>${config.destination}</code></dd>
<dt>namespace</dt><dd><code>${c.namespace}</code></dd>
${c.streams ? html`<dt>streams</dt><dd>${c.streams.join(', ')}</dd>` : ''}
${config.entries.map(([k, v]) => html`<dt>${k}</dt><dd><code>${v}</code></dd>`)}
</dl>`;

  const livePanel = s?.running
    ? html`<h2>Running now</h2>
<p class="muted" id="live-state" role="status" aria-live="polite">Connecting to live updates…</p>
<div id="live" data-events="/live/events?connection=${seg(c.name)}">${liveFragment(live.ok ? live.value : [], now)}</div>`
    : '';

  return page({
    title: c.name,
    section: 'connections',
    flash,
    ...(s?.running ? { scripts: ['/assets/live.js'] } : {}),
    body: html`<p><a href="/">← Connections</a></p>
${header}
${livePanel}
<h2>Streams</h2>
${streamSection}
<h2>Runs</h2>
${runSection}
<h2>Config</h2>
${configSection}`,
  });
}

function timeline(runs: readonly RunRecord[], now: Date): Html {
  return html`<div class="table-wrap"><table class="stack">
<thead><tr><th>Run</th><th>Status</th><th>Trigger</th><th class="num">Attempt</th><th>Started</th><th class="num">Duration</th><th class="num">Records</th><th>Error</th></tr></thead>
<tbody>${runs.map(
    (r) => html`<tr>
<td data-label="Run"><a href="/runs/${seg(r.runId)}">${r.runId.slice(0, 8)}</a>${r.kind === 'reset-state' ? html` <span class="muted">reset ${r.requestedStreams?.join(', ') ?? ''}</span>` : r.fullRefresh ? html` <span class="muted">full refresh</span>` : ''}</td>
<td data-label="Status">${badge(r.status)}</td>
<td data-label="Trigger">${r.trigger}</td>
<td data-label="Attempt" class="num">${r.attempt}</td>
<td data-label="Started">${when(r.startedAt, now)}</td>
<td data-label="Duration" class="num">${duration(r.durationMs)}</td>
<td data-label="Records" class="num">${count(r.records)}</td>
<td data-label="Error">${r.error ? html`<code>${r.error.code}</code>` : ''}</td>
</tr>`,
  )}</tbody></table></div>`;
}
