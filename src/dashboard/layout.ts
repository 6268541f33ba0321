/** The page frame every dashboard page shares: head (local CSS and htmx only), navigation, main. */
import { type Html, html } from './html.js';

export type Section = 'connections' | 'live' | 'budgets' | 'queues' | 'none';

export interface PageOptions {
  title: string;
  section: Section;
  body: Html;
  /** Extra scripts from /assets (same origin: the CSP allows only 'self'). */
  scripts?: string[];
  /** A notice at the top (the result of an action). */
  flash?: { kind: 'ok' | 'error'; text: string };
}

const NAV: [Section, string, string][] = [
  ['connections', '/', 'Connections'],
  ['live', '/live', 'Live'],
  ['budgets', '/budgets', 'Budgets'],
  ['queues', '/queues', 'Queues'],
];

export function page(o: PageOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}'>
<title>${o.title} · tributary</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/htmx.min.js" defer></script>
${(o.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">tributary</a>
  <nav aria-label="Main">
    <ul>
      ${NAV.map(
        ([id, href, label]) =>
          html`<li><a href="${href}"${id === o.section ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${o.flash ? html`<p class="flash ${o.flash.kind}" role="status">${o.flash.text}</p>` : ''}
${o.body}
</main>
<footer class="foot">Times are shown relative and in UTC. <a href="/queues">Raw queue view (Bull Board)</a> · <a href="/logout">Sign out</a></footer>
</body>
</html>
`;
}

/** A status badge (text and colour; the text alone carries the meaning). */
export function badge(status: string, text: string = status): Html {
  return html`<span class="badge b-${status.replace(/[^a-z-]/g, '')}">${text}</span>`;
}
