/** Page 3, a run: the per-stream summary (the CLI summary table's numbers), its error with code and hint, its log. */
import { readRunLog, type RunLogLine, type RunRecord } from '../../cluster/dashboard-data.js';
import { type DashboardContext, load } from '../context.js';
import { count, duration, when } from '../format.js';
import { type Html, html, seg } from '../html.js';
import { globalRedactor } from '../../util/redact.js';
import { badge, page } from '../layout.js';

export async function runPage(ctx: DashboardContext, run: RunRecord): Promise<Html> {
  const now = ctx.now();
  const log = await load(() => readRunLog(ctx.redis, ctx.keys, run.runId));
  const sum = (f: (s: RunRecord['streams'][number]) => number) => run.streams.reduce((a, s) => a + f(s), 0);
  const summary =
    run.streams.length === 0
      ? html`<div class="empty">This run read no stream${run.kind === 'reset-state' ? ' (a reset of state reads nothing)' : ''}.</div>`
      : html`<div class="table-wrap"><table class="stack summary">
<thead><tr><th>Stream</th><th>Mode</th><th>Status</th><th class="num">Upserts</th><th class="num">Unchanged</th><th class="num">Soft deletes</th><th class="num">Pages</th><th class="num">Requests</th><th class="num">Retries</th><th class="num">429s</th><th class="num">Budget wait</th><th>New table</th><th class="num">Schema chg</th><th class="num">Duration</th></tr></thead>
<tbody>${run.streams.map(
          (s) => html`<tr>
<td data-label="Stream">${s.stream}</td>
<td data-label="Mode">${s.mode}${s.resumed ? ' (resumed)' : ''}</td>
<td data-label="Status">${badge(s.status)}${s.error ? html`<br><code>${s.error.code}</code> ${s.error.message}` : ''}</td>
<td data-label="Upserts" class="num">${count(s.upserts)}</td>
<td data-label="Unchanged" class="num">${count(s.unchanged)}</td>
<td data-label="Soft deletes" class="num">${count(s.softDeletes)}</td>
<td data-label="Pages" class="num">${count(s.pages)}</td>
<td data-label="Requests" class="num">${count(s.requests)}</td>
<td data-label="Retries" class="num">${count(s.retries)}</td>
<td data-label="429s" class="num">${count(s.http429)}</td>
<td data-label="Budget wait" class="num">${(s.budgetWaitMs / 1000).toFixed(1)}s</td>
<td data-label="New table">${s.tablesCreated > 0 ? 'created' : ''}</td>
<td data-label="Schema chg" class="num">${count(s.schemaChanges)}</td>
<td data-label="Duration" class="num">${(s.durationMs / 1000).toFixed(1)}s</td>
</tr>`,
        )}
<tr class="total"><td data-label="Stream"><strong>TOTAL</strong></td><td></td><td></td>
<td data-label="Upserts" class="num">${count(sum((s) => s.upserts))}</td>
<td data-label="Unchanged" class="num">${count(sum((s) => s.unchanged))}</td>
<td data-label="Soft deletes" class="num">${count(sum((s) => s.softDeletes))}</td>
<td data-label="Pages" class="num">${count(sum((s) => s.pages))}</td>
<td data-label="Requests" class="num">${count(sum((s) => s.requests))}</td>
<td data-label="Retries" class="num">${count(sum((s) => s.retries))}</td>
<td data-label="429s" class="num">${count(sum((s) => s.http429))}</td>
<td></td>
<td data-label="New table" class="num">${count(sum((s) => s.tablesCreated))}</td>
<td data-label="Schema chg" class="num">${count(sum((s) => s.schemaChanges))}</td>
<td data-label="Duration" class="num">${(run.durationMs / 1000).toFixed(1)}s</td></tr>
</tbody></table></div>`;
  const error = run.error
    ? html`<h2>Error</h2>
<div class="error-box" role="alert"><strong><code>${run.error.code}</code></strong> (exit ${run.error.exitCode}): ${run.error.message}</div>
${run.error.hint ? html`<p><strong>What to do:</strong> ${run.error.hint}</p>` : ''}`
    : '';
  const logSection = !log.ok
    ? html`<div class="error-box">Cannot read the log: ${log.error}. Reload in a moment.</div>`
    : log.value.length === 0
      ? html`<div class="empty">No log lines are kept for this run (they expire after 7 days).</div>`
      : html`<p><a class="button" href="/runs/${seg(run.runId)}/log.ndjson" download="run-${run.runId}.ndjson">Download the log (NDJSON)</a> <span class="muted">${log.value.length} lines</span></p>
<pre class="log" tabindex="0" aria-label="Log lines">${log.value.map(logLine)}</pre>`;
  return page({
    title: `Run ${run.runId}`,
    section: 'connections',
    body: html`<p><a href="/connections/${seg(run.connection)}">← ${run.connection}</a></p>
<h1>Run <code>${run.runId}</code> ${badge(run.status)}</h1>
<dl class="kv card">
<dt>Connection</dt><dd><a href="/connections/${seg(run.connection)}">${run.connection}</a></dd>
<dt>What</dt><dd>${run.kind === 'reset-state' ? `reset of state (${run.requestedStreams?.join(', ') ?? 'every stream'})` : run.fullRefresh ? `full refresh (${run.requestedStreams?.join(', ') ?? 'every stream'})` : 'sync'}</dd>
<dt>Trigger</dt><dd>${run.trigger}, attempt ${run.attempt}</dd>
<dt>Worker</dt><dd>${run.worker} (job ${run.jobId})</dd>
<dt>Started</dt><dd>${when(run.startedAt, now)}</dd>
<dt>Ended</dt><dd>${when(run.endedAt, now)} after ${duration(run.durationMs)}</dd>
<dt>Records</dt><dd>${count(run.records)}</dd>
</dl>
${error}
<h2>Streams</h2>
${summary}
<h2>Log</h2>
${logSection}`,
  });
}

function logLine(l: RunLogLine): Html {
  const { level, time, msg, ...rest } = l;
  // Stored redacted by the worker; redacted again here, as every text leaving serve is.
  const extra = Object.keys(rest).length ? ` ${globalRedactor.redact(JSON.stringify(rest))}` : '';
  return html`<span class="lv-${String(level).replace(/[^a-z]/g, '')}">${String(time)} ${String(level).toUpperCase()} ${globalRedactor.redact(String(msg ?? ''))}${extra}</span>
`;
}
