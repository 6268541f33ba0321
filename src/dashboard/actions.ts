/**
 * Page 6, the actions: sync now, cancel, pause, resume, full refresh of a stream, reset a stream's state.
 * Each is a GET confirm page (a real form, works without JS) and a POST (CSRF-checked by the server) that
 * calls the same src/cluster/ function as the CLI command: `run`, `cancel`, `pause`, `resume`,
 * `run --full-refresh --streams S`, `run --reset-state --streams S`.
 */
import {
  cancelConnection,
  enqueueRun,
  pauseConnection,
  resumeConnection,
} from '../cluster/dashboard-data.js';
import type { Connection } from '../connections/connections-file.js';
import type { DashboardContext } from './context.js';
import { type Html, html, seg } from './html.js';
import { page } from './layout.js';

export const ACTIONS = {
  sync: { title: 'Sync now', cli: 'tributary run NAME', stream: false, danger: false },
  cancel: { title: 'Cancel the running sync', cli: 'tributary cancel NAME', stream: false, danger: true },
  pause: { title: 'Pause', cli: 'tributary pause NAME', stream: false, danger: true },
  resume: { title: 'Resume', cli: 'tributary resume NAME', stream: false, danger: false },
  'full-refresh': {
    title: 'Full refresh of a stream',
    cli: 'tributary run NAME --full-refresh --streams STREAM',
    stream: true,
    danger: true,
  },
  'reset-state': {
    title: "Reset a stream's state",
    cli: 'tributary run NAME --reset-state --streams STREAM',
    stream: true,
    danger: true,
  },
} as const;

export type ActionName = keyof typeof ACTIONS;

export function isAction(name: string): name is ActionName {
  return Object.hasOwn(ACTIONS, name);
}

/** A stream name as an action takes it: short, no control characters (the worker checks it exists). */
export function validStream(stream: unknown): stream is string {
  return (
    typeof stream === 'string' && stream.length > 0 && stream.length <= 200 && !/[\u0000-\u001f]/.test(stream)
  );
}

function explain(action: ActionName, c: Connection, stream: string | undefined): Html {
  switch (action) {
    case 'sync':
      return html`Queue a sync of <strong>${c.name}</strong> now. A worker picks it up; if one is already queued or running, nothing is added.`;
    case 'cancel':
      return html`Stop the running sync of <strong>${c.name}</strong> at its next page (or drop its queued job). What it committed stays; the next run resumes from there.`;
    case 'pause':
      return html`Pause <strong>${c.name}</strong>: its scheduled and manual runs are skipped until you resume it. A running sync is not stopped (cancel does that).`;
    case 'resume':
      return html`Resume <strong>${c.name}</strong> and forget its failure count; its schedule applies again.`;
    case 'full-refresh':
      return html`Queue a full refresh of stream <strong>${stream}</strong> of <strong>${c.name}</strong>: it is read again from the start, and rows the API no longer has are marked deleted.`;
    case 'reset-state':
      return html`Forget the saved state (cursor or pass) of stream <strong>${stream}</strong> of <strong>${c.name}</strong>. The rows stay; the next sync reads the stream from the start. Runs in turn with the connection's syncs.`;
  }
}

export function confirmPage(
  action: ActionName,
  c: Connection,
  stream: string | undefined,
  csrf: string,
): Html {
  const a = ACTIONS[action];
  const back = `/connections/${seg(c.name)}`;
  return page({
    title: `${a.title}: ${c.name}`,
    section: 'connections',
    body: html`<p><a href="${back}">← ${c.name}</a></p>
<h1>${a.title}?</h1>
<div class="card">
<p>${explain(action, c, stream)}</p>
<p class="muted">The same as <code>${a.cli.replace('NAME', c.name).replace('STREAM', stream ?? '')}</code>.</p>
<form method="post" action="${back}/actions/${action}">
<input type="hidden" name="_csrf" value="${csrf}">
${stream !== undefined ? html`<input type="hidden" name="stream" value="${stream}">` : ''}
<div class="actions">
<button type="submit" class="primary${a.danger ? ' danger' : ''}">${a.title}</button>
<a class="button" href="${back}">Cancel, go back</a>
</div>
</form>
</div>`,
  });
}

/** Do it, through the CLI's function; returns what to tell the person. Throws the CLI's typed errors. */
export async function perform(
  ctx: DashboardContext,
  action: ActionName,
  c: Connection,
  stream: string | undefined,
): Promise<string> {
  const { redis, queue, keys } = ctx;
  switch (action) {
    case 'sync':
    case 'full-refresh':
    case 'reset-state': {
      const r = await enqueueRun(
        redis,
        queue,
        keys,
        c,
        action === 'sync'
          ? {}
          : action === 'full-refresh'
            ? { fullRefresh: true, streams: [stream!] }
            : { resetState: true, streams: [stream!] },
      );
      const what =
        action === 'sync'
          ? 'sync'
          : action === 'full-refresh'
            ? `full refresh of ${stream}`
            : `reset of ${stream}'s state`;
      return r.added
        ? `Queued the ${what} of ${c.name} (job ${r.jobId}).`
        : `Nothing added: a job of ${c.name} is already ${r.why} (job ${r.jobId}).`;
    }
    case 'cancel': {
      const r = await cancelConnection(redis, queue, keys, c.name);
      return r.cancelled === 'running'
        ? `Asked the worker to stop the running sync of ${c.name} (job ${r.jobId}).`
        : r.cancelled === 'pending'
          ? `Removed the queued job ${r.jobId} of ${c.name}.`
          : `Nothing to cancel: ${c.name} has no running or queued job.`;
    }
    case 'pause':
      return (await pauseConnection(redis, keys, c.name, 'paused from the dashboard'))
        ? `Paused ${c.name}.`
        : `${c.name} was already paused.`;
    case 'resume':
      return (await resumeConnection(redis, keys, c.name))
        ? `Resumed ${c.name}.`
        : `${c.name} was not paused.`;
  }
}
