/** How the dashboard writes times, durations and counts: relative and absolute (with the time zone) together. */
import { type Html, html } from './html.js';

/** `3 min ago` / `in 12 min`, from `now`. */
export function relative(at: Date, now: Date = new Date()): string {
  const ms = at.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const unit =
    abs < 45_000
      ? `${Math.max(1, Math.round(abs / 1000))} s`
      : abs < 90 * 60_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 36 * 3_600_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  if (abs < 1000) return 'just now';
  return ms < 0 ? `${unit} ago` : `in ${unit}`;
}

/** `2026-12-03 14:10:11 UTC` (the dashboard shows every absolute time in UTC, and says so). */
export function absolute(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A `<time>`: relative, then absolute with its zone; machine-readable in `datetime`. */
export function when(iso: string | number | Date | null | undefined, now: Date = new Date()): Html {
  if (iso === null || iso === undefined || iso === '') return html`<span class="muted">never</span>`;
  const at = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(at.getTime())) return html`<span class="muted">unknown</span>`;
  return html`<time datetime="${at.toISOString()}">${relative(at, now)} <span class="abs">(${absolute(at)})</span></time>`;
}

export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function count(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US');
}
