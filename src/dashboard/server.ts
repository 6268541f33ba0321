/**
 * The dashboard app: fastify 5, pages rendered on the server (html.ts escapes everything), htmx for the
 * connections list's refresh, server-sent events for Live, Bull Board (read-only) at /queues. Every asset
 * is served from this process (htmx from node_modules, our CSS and one small script from
 * src/dashboard/static); nothing comes from a CDN, and the Content-Security-Policy allows scripts from
 * 'self' only. Every POST is CSRF-checked (@fastify/csrf-protection, secret in a cookie); with a token
 * configured, every route but the login form and the assets needs it (auth.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readBudgets, readLive, readRun, readRunLog } from '../cluster/dashboard-data.js';
import { isTributaryError } from '../errors.js';
import { globalRedactor } from '../util/redact.js';
import { ACTIONS, confirmPage, isAction, perform, validStream } from './actions.js';
import { DashboardAuth, SESSION_COOKIE, SESSION_SECONDS } from './auth.js';
import { connectionNamed, type DashboardContext, load } from './context.js';
import { type Html, html } from './html.js';
import { budgetsPage } from './pages/budgets.js';
import { connectionPage } from './pages/connection.js';
import { connectionsPage, connectionsTable } from './pages/connections.js';
import { livePage } from './pages/live.js';
import { errorPage, loginPage, logoutPage, notFoundPage } from './pages/misc.js';
import { runPage } from './pages/run.js';
import { serveLiveEvents } from './sse.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Our static files live in src/ (also when running from dist/), like the connectors' manifests. */
export const STATIC_DIR = join(here, '..', '..', 'src', 'dashboard', 'static');
const HTMX = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');

export interface DashboardOptions extends DashboardContext {
  /** The dashboard token (undefined: no auth; then listen on loopback only, see checkBinding). */
  token?: string;
}

const CSP_PAGES =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/**
 * Bull Board's React UI sets inline styles and a `<base href="/queues/">`; its scripts still come from
 * 'self' only.
 */
const CSP_QUEUES =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
/** Bull Board's page links Google Fonts; nothing may load from a CDN, so that link is dropped (system fonts). */
const CDN_FONTS = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^>]*>/g;

/** Flash messages after an action travel in a query parameter as a fixed code only (never free text). */
type Flash = { kind: 'ok' | 'error'; text: string };

export async function buildDashboard(o: DashboardOptions): Promise<FastifyInstance> {
  // No request logging: nothing a request carries (a token, a cookie) can end up in a log.
  const app = Fastify({ logger: false, forceCloseConnections: true, trustProxy: false });
  const auth = new DashboardAuth(o.token);
  const ctx: DashboardContext = o;
  const assets = {
    css: readFileSync(join(STATIC_DIR, 'dashboard.css'), 'utf8'),
    live: readFileSync(join(STATIC_DIR, 'live.js'), 'utf8'),
    htmx: readFileSync(HTMX, 'utf8'),
  };
  /** Action results shown once on the next page, by a random id (the query holds only that id). */
  const flashes = new Map<string, Flash>();

  await app.register(fastifyCookie);
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, signed: false },
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const queues = req.url.startsWith('/queues');
    reply.header('content-security-policy', queues ? CSP_QUEUES : CSP_PAGES);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (queues && typeof payload === 'string' && payload.includes('fonts.googleapis.com'))
      return payload.replace(CDN_FONTS, '');
    return payload;
  });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path === '/login' || path.startsWith('/assets/')) return;
    if (auth.allows(req.headers.authorization, req.cookies[SESSION_COOKIE])) return;
    if (req.headers['hx-request'] === 'true') {
      // An htmx request (the 5 s table refresh) whose session expired: a redirect would be followed inside the
      // XHR and the login page swapped into the table. HX-Redirect makes htmx send the whole page to the login
      // form instead (htmx reads it before looking at the status), back to the page the browser is on.
      return reply
        .code(401)
        .header(
          'hx-redirect',
          `/login?next=${encodeURIComponent(currentPath(req.headers['hx-current-url']))}`,
        )
        .header('www-authenticate', 'Bearer realm="tributary dashboard"')
        .type('text/plain; charset=utf-8')
        .send('the session has ended: sign in again at /login\n');
    }
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="tributary dashboard"')
      .type('text/plain; charset=utf-8')
      .send('the dashboard needs its token: Authorization: Bearer <token>, or sign in at /login\n');
  });

  const send = (reply: FastifyReply, body: Html, code = 200) =>
    reply.code(code).type('text/html; charset=utf-8').send(body.value);
  const takeFlash = (req: FastifyRequest): Flash | undefined => {
    const id = (req.query as Record<string, unknown>).flash;
    if (typeof id !== 'string') return undefined;
    const f = flashes.get(id);
    flashes.delete(id);
    return f;
  };
  const putFlash = (f: Flash): string => {
    if (flashes.size > 1000) flashes.clear();
    const id = randomUUID();
    flashes.set(id, f);
    return id;
  };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const message = globalRedactor.redact(err.message);
    if (err.code?.startsWith('FST_CSRF')) {
      return send(
        reply,
        errorPage(
          'Request refused',
          'This form is out of date or did not come from this dashboard (CSRF check failed).',
          html`Go back, reload the page and try again.`,
        ),
        403,
      );
    }
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    return send(
      reply,
      errorPage(
        'Something went wrong',
        message,
        html`Reload the page; if it persists, check the <code>serve</code> process's output. <a href="/">Back to the connections</a>`,
      ),
      code,
    );
  });
  app.setNotFoundHandler((req, reply) =>
    send(reply, notFoundPage(`Nothing at ${req.url.split('?')[0]}.`), 404),
  );

  // Assets (no auth: they hold nothing but code and style).
  const asset = (type: string, body: string) => (_req: FastifyRequest, reply: FastifyReply) =>
    reply.type(type).header('cache-control', 'public, max-age=300').send(body);
  app.get('/assets/dashboard.css', asset('text/css; charset=utf-8', assets.css));
  app.get('/assets/live.js', asset('text/javascript; charset=utf-8', assets.live));
  app.get('/assets/htmx.min.js', asset('text/javascript; charset=utf-8', assets.htmx));

  // Login and logout.
  app.get('/login', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return send(reply, loginPage(reply.generateCsrf(), safeNext(q.next), q.failed === '1'));
  });
  app.post('/login', { preHandler: app.csrfProtection }, async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(b.next);
    if (!auth.required) return reply.redirect(next, 303);
    if (typeof b.token !== 'string' || !auth.check(b.token)) {
      return reply.redirect(`/login?failed=1&next=${encodeURIComponent(next)}`, 303);
    }
    reply.setCookie(SESSION_COOKIE, auth.newSession(), {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      maxAge: SESSION_SECONDS,
    });
    return reply.redirect(next, 303);
  });
  app.get('/logout', async (_req, reply) => send(reply, logoutPage(reply.generateCsrf(), auth.required)));
  app.post('/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
    auth.endSession(req.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/login', 303);
  });

  // Pages.
  app.get('/', async (req, reply) => send(reply, await connectionsPage(ctx, takeFlash(req))));
  app.get('/fragments/connections', async (_req, reply) => send(reply, await connectionsTable(ctx)));
  app.get('/connections/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const c = connectionNamed(ctx, name);
    if (!c) return send(reply, notFoundPage(`No connection named "${name}" in ${ctx.file().path}.`), 404);
    return send(reply, await connectionPage(ctx, c, takeFlash(req)));
  });
  app.get('/runs/:runId', async (req, reply) => {
    const { runId } = req.params as { runId: string };
    const run = await readRun(ctx.redis, ctx.keys, runId);
    if (!run)
      return send(
        reply,
        notFoundPage(`No run ${runId} is kept (Redis keeps each connection's last 100 runs).`),
        404,
      );
    return send(reply, await runPage(ctx, run));
  });
  app.get('/runs/:runId/log.ndjson', async (req, reply) => {
    const { runId } = req.params as { runId: string };
    const lines = await readRunLog(ctx.redis, ctx.keys, runId);
    const body = lines.map((l) => `${globalRedactor.redact(JSON.stringify(l))}\n`).join('');
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="run-${runId.replace(/[^A-Za-z0-9_-]/g, '_')}.ndjson"`,
      )
      .send(body);
  });
  app.get('/live', async (_req, reply) => {
    const live = await load(() => readLive(ctx.redis, ctx.keys));
    return send(reply, livePage(live.ok ? live.value : [], ctx.now(), live.ok ? undefined : live.error));
  });
  app.get('/live/events', (req, reply) => {
    const c = (req.query as Record<string, unknown>).connection;
    serveLiveEvents(ctx, req, reply, typeof c === 'string' && c !== '' ? c : undefined);
  });
  app.get('/budgets', async (_req, reply) => {
    const b = await load(() => readBudgets(ctx.redis, ctx.keys, { now: ctx.now() }));
    return send(reply, budgetsPage(b.ok ? b.value : [], ctx.now(), b.ok ? undefined : b.error));
  });

  // Actions: a confirm page (GET), then the POST that does it.
  app.get('/connections/:name/actions/:action', async (req, reply) => {
    const { name, action } = req.params as { name: string; action: string };
    const c = connectionNamed(ctx, name);
    if (!c || !isAction(action)) return send(reply, notFoundPage(`No action ${action} for "${name}".`), 404);
    const stream = (req.query as Record<string, unknown>).stream;
    if (ACTIONS[action].stream && !validStream(stream)) {
      return send(
        reply,
        notFoundPage(`${ACTIONS[action].title} needs a stream: pick one on the connection's page.`),
        404,
      );
    }
    return send(
      reply,
      confirmPage(action, c, ACTIONS[action].stream ? (stream as string) : undefined, reply.generateCsrf()),
    );
  });
  app.post('/connections/:name/actions/:action', { preHandler: app.csrfProtection }, async (req, reply) => {
    const { name, action } = req.params as { name: string; action: string };
    const c = connectionNamed(ctx, name);
    if (!c || !isAction(action)) return send(reply, notFoundPage(`No action ${action} for "${name}".`), 404);
    const stream = ((req.body ?? {}) as Record<string, unknown>).stream;
    if (ACTIONS[action].stream && !validStream(stream)) {
      return send(
        reply,
        errorPage(
          'Which stream?',
          `${ACTIONS[action].title} needs a stream.`,
          html`<a href="/connections/${encodeURIComponent(c.name)}">Pick one on the connection's page</a>`,
        ),
        400,
      );
    }
    let flash: Flash;
    try {
      flash = {
        kind: 'ok',
        text: await perform(ctx, action, c, ACTIONS[action].stream ? (stream as string) : undefined),
      };
    } catch (err) {
      if (!isTributaryError(err)) throw err;
      flash = { kind: 'error', text: `[${err.code}] ${globalRedactor.redact(err.message)}` };
    }
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    if (wantsJson) return reply.code(flash.kind === 'ok' ? 200 : 409).send(flash);
    return reply.redirect(`/connections/${encodeURIComponent(c.name)}?flash=${putFlash(flash)}`, 303);
  });

  // Bull Board, read-only: the raw queue view. Its own retry/clean/remove buttons are off, so every action
  // that changes something goes through the pages above (and so through the CLI's code and CSRF).
  const board = new FastifyAdapter();
  board.setBasePath('/queues');
  createBullBoard({
    queues: [new BullMQAdapter(o.queue, { readOnlyMode: true })],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'tributary queues' } },
  });
  await app.register(board.registerPlugin(), { prefix: '/queues' });
  return app;
}

/** Where to go after signing in: a local path only (never another origin). */
/** The path and query of the page htmx says the browser is on (its HX-Current-URL), for the login's `next`. */
function currentPath(url: string | string[] | undefined): string {
  if (typeof url !== 'string') return '/';
  try {
    const u = new URL(url, 'http://dashboard.invalid');
    return safeNext(`${u.pathname}${u.search}`);
  } catch {
    return '/';
  }
}

function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\')
    ? next
    : '/';
}
