/** Page 1, Connections: one row per connection of the file, refreshed by htmx every 5 s. */
import { clusterStatus, nextRuns, readRuns } from '../../cluster/dashboard-data.js';
import { type DashboardContext, load } from '../context.js';
import { count, when } from '../format.js';
import { type Html, html, seg } from '../html.js';
import { badge, page } from '../layout.js';
import { showDestination } from '../masked-config.js';
import { HEALTH_TEXT, health } from '../status.js';

export async function connectionsTable(ctx: DashboardContext): Promise<Html> {
  const file = ctx.file();
  const now = ctx.now();
  if (file.connections.length === 0) {
    return html`<div class="empty" id="connections"><p><strong>No connections yet.</strong> Add one to ${file.path}
(see docs/scale-out.md), then send SIGHUP to <code>tributary serve</code> or restart it.</p></div>`;
  }
  const status = await load(() => clusterStatus(ctx.redis, ctx.queue, ctx.keys, file.connections));
  if (!status.ok) {
    return html`<div class="error-box" id="connections" role="alert">Cannot read the cluster state from Redis: ${status.error}.
Check that Redis is up (<code>redis-cli ping</code>) and that serve uses the right --redis and --prefix; this page retries every 5 s.</div>`;
  }
  const computed = await load(async () => nextRuns(file.connections, now));
  const next = new Map(computed.ok ? computed.value.map((n) => [n.connection, n]) : []);
  const rows = await Promise.all(
    status.value.map(async (s) => {
      const c = file.connections.find((x) => x.name === s.connection)!;
      const runs = await load(() => readRuns(ctx.redis, ctx.keys, s.connection, 20));
      const lastGood = runs.ok ? runs.value.find((r) => r.status === 'succeeded') : undefined;
      const freshAt =
        lastGood?.endedAt ?? (s.lastRun?.status === 'succeeded' ? s.lastRun.endedAt : undefined);
      const h = health(s);
      const n = next.get(s.connection);
      const nextAt = s.nextRun ?? n?.at?.toISOString();
      return html`<tr>
<td data-label="Connection"><a href="/connections/${seg(s.connection)}">${s.connection}</a></td>
<td data-label="Connector">${s.connector}</td>
<td data-label="Destination"><code>${showDestination(c.destination)}</code> <span class="muted">${c.namespace}</span></td>
<td data-label="Status">${badge(h, HEALTH_TEXT[h])}${s.paused ? html` <span class="muted">${s.paused.reason}</span>` : ''}</td>
<td data-label="Last run">${s.lastRun ? html`${badge(s.lastRun.status)} ${when(s.lastRun.endedAt, now)}` : html`<span class="muted">no runs yet</span>`}</td>
<td data-label="Next run">${nextAt ? when(nextAt, now) : html`<span class="muted">${s.schedule}</span>`}</td>
<td data-label="Fresh as of">${freshAt ? when(freshAt, now) : html`<span class="muted">not yet synced</span>`}</td>
<td data-label="Rows (last run)" class="num">${count(s.lastRun?.records)}</td>
</tr>`;
    }),
  );
  return html`<div id="connections" class="table-wrap" hx-get="/fragments/connections" hx-trigger="every 5s" hx-swap="outerHTML">
<table class="stack">
<thead><tr><th>Connection</th><th>Connector</th><th>Destination</th><th>Status</th><th>Last run</th><th>Next run</th><th>Fresh as of</th><th class="num">Rows (last run)</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</div>`;
}

export async function connectionsPage(
  ctx: DashboardContext,
  flash?: { kind: 'ok' | 'error'; text: string },
): Promise<Html> {
  const file = ctx.file();
  return page({
    title: 'Connections',
    section: 'connections',
    flash,
    body: html`<h1>Connections</h1>
<p class="muted">${file.connections.length} in <code>${file.path}</code>. Fresh as of: the end of the last successful run.</p>
${await connectionsTable(ctx)}`,
  });
}
