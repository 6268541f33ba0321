/** The escaping template and the token check the dashboard rests on. */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checkBinding, DashboardAuth, isLoopback, SESSION_SECONDS } from '../../src/dashboard/auth.js';
import { escapeHtml, html, raw } from '../../src/dashboard/html.js';
import { TributaryError } from '../../src/errors.js';

describe('html template', () => {
  it('escapes every interpolated value, in text and in attributes', () => {
    const evil = `<script>alert("x")</script>' onload='x' \``;
    const out = html`<td title="${evil}">${evil}</td>`.value;
    expect(out).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x&#39; &#96;</td>',
    );
  });

  it('nests fragments without escaping them twice; arrays join; null, undefined and false render nothing', () => {
    const inner = html`<b>${'a<b'}</b>`;
    expect(html`<p>${inner}${[html`<i>1</i>`, '<2>']}${null}${undefined}${false}${0}</p>`.value).toBe(
      '<p><b>a&lt;b</b><i>1</i>&lt;2&gt;0</p>',
    );
    expect(html`${raw('<svg/>')}`.value).toBe('<svg/>');
  });

  it('no string survives with markup characters', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = html`<p>${s}</p>`.value.slice(3, -4);
        expect(out).not.toMatch(/[<>"'`]/);
        expect(out.replace(/&(amp|lt|gt|quot|#39|#96);/g, '')).not.toContain('&');
        expect(escapeHtml(s).length).toBeGreaterThanOrEqual(s.length);
      }),
    );
  });
});

describe('dashboard auth', () => {
  it('accepts exactly the token, as a bearer header or a session from the login form', () => {
    const auth = new DashboardAuth('s3cret-token');
    expect(auth.required).toBe(true);
    expect(auth.check('s3cret-token')).toBe(true);
    expect(auth.check('s3cret-token ')).toBe(false);
    expect(auth.check('')).toBe(false);
    expect(auth.allows('Bearer s3cret-token', undefined)).toBe(true);
    expect(auth.allows('Bearer wrong', undefined)).toBe(false);
    expect(auth.allows(undefined, 'made-up-session')).toBe(false);
    const session = auth.newSession();
    expect(auth.allows(undefined, session)).toBe(true);
    auth.endSession(session);
    expect(auth.allows(undefined, session)).toBe(false);
    expect(new DashboardAuth(undefined).allows(undefined, undefined)).toBe(true);
  });

  it('a session ends after SESSION_SECONDS', () => {
    vi.useFakeTimers();
    try {
      const auth = new DashboardAuth('tok-tok-tok');
      const session = auth.newSession();
      vi.advanceTimersByTime(SESSION_SECONDS * 1000 - 1000);
      expect(auth.allows(undefined, session)).toBe(true);
      vi.advanceTimersByTime(2000);
      expect(auth.allows(undefined, session)).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a non-loopback host without a token (TRB_DASHBOARD_AUTH_REQUIRED, exit 2)', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.com']) expect(isLoopback(h)).toBe(false);
    expect(() => checkBinding('127.0.0.1', undefined)).not.toThrow();
    expect(() => checkBinding('0.0.0.0', 'tok')).not.toThrow();
    try {
      checkBinding('0.0.0.0', undefined);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TributaryError);
      expect((err as TributaryError).code).toBe('TRB_DASHBOARD_AUTH_REQUIRED');
      expect((err as TributaryError).exitCode).toBe(2);
    }
  });
});
