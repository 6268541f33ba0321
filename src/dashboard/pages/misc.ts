/** The login form and the not-found and error pages. */
import { type Html, html } from '../html.js';
import { page } from '../layout.js';

export function loginPage(csrf: string, next: string, failed: boolean): Html {
  return page({
    title: 'Sign in',
    section: 'none',
    body: html`<h1>Sign in</h1>
<div class="card">
${failed ? html`<p class="flash error" role="alert">That token is not right. It is the dashboard token of the connections file (<code>dashboard.token</code>) or env TRIBUTARY_DASHBOARD_TOKEN.</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<label for="token">Dashboard token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<div class="actions"><button class="primary" type="submit">Sign in</button></div>
</form>
</div>`,
  });
}

export function notFoundPage(what: string): Html {
  return page({
    title: 'Not found',
    section: 'none',
    body: html`<h1>Not found</h1><div class="empty"><p>${what}</p><p><a href="/">Back to the connections</a></p></div>`,
  });
}

export function errorPage(title: string, message: string, next: Html): Html {
  return page({
    title,
    section: 'none',
    body: html`<h1>${title}</h1><div class="error-box" role="alert">${message}</div><p>${next}</p>`,
  });
}

export function logoutPage(csrf: string, required: boolean): Html {
  return page({
    title: 'Sign out',
    section: 'none',
    body: required
      ? html`<h1>Sign out?</h1>
<div class="card"><form method="post" action="/logout">
<input type="hidden" name="_csrf" value="${csrf}">
<div class="actions"><button class="primary" type="submit">Sign out</button><a class="button" href="/">Stay signed in</a></div>
</form></div>`
      : html`<h1>No sign-in</h1><div class="empty"><p>This dashboard has no token, so nobody signs in (it listens on loopback only).
Set <code>dashboard: { token: ... }</code> in the connections file to require one.</p><p><a href="/">Back to the connections</a></p></div>`,
  });
}
