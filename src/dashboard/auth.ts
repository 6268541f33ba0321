/**
 * Who may use the dashboard. Without a token it is open, and then it must listen on loopback only (the
 * caller refuses other hosts: see checkBinding). With a token (connections file `dashboard: { token: ... }`
 * or env TRIBUTARY_DASHBOARD_TOKEN) every page needs it: as `Authorization: Bearer <token>` (scripts,
 * curl), or typed once into the login form, which sets an HttpOnly, SameSite=Strict session cookie.
 *
 * Tokens are compared with crypto.timingSafeEqual over their SHA-256 digests (equal lengths whatever was
 * sent, so neither the content nor the length leaks through timing). Sessions are random ids kept in this
 * process's memory (a restart logs everyone out, which is fine for an admin panel), capped in number, and
 * last 12 hours.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TributaryError } from '../errors.js';

export const SESSION_COOKIE = 'trb_session';
const MAX_SESSIONS = 1000;
/** A session lasts 12 hours; then the login form asks for the token again. */
export const SESSION_SECONDS = 12 * 3600;

export class DashboardAuth {
  private readonly digest: Buffer | undefined;
  /** Session id -> when it expires (ms epoch). */
  private readonly sessions = new Map<string, number>();

  constructor(token: string | undefined) {
    this.digest = token ? sha256(token) : undefined;
  }

  get required(): boolean {
    return this.digest !== undefined;
  }

  /** Whether `candidate` is the token (constant time). */
  check(candidate: string | undefined): boolean {
    if (!this.digest || candidate === undefined || candidate === '') return false;
    return timingSafeEqual(this.digest, sha256(candidate));
  }

  /** Whether the request carries the token in its Authorization header or a live session cookie. */
  allows(authorization: string | undefined, session: string | undefined): boolean {
    if (!this.required) return true;
    const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (bearer !== undefined && this.check(bearer.trim())) return true;
    if (session === undefined) return false;
    const expires = this.sessions.get(session);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.sessions.delete(session);
    return false;
  }

  /** A new session id (after a correct token in the login form). */
  newSession(): string {
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, Date.now() + SESSION_SECONDS * 1000);
    return id;
  }

  endSession(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Whether a host name or address is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuse to serve the dashboard on a non-loopback host without a token: TRB_DASHBOARD_AUTH_REQUIRED
 * (exit 2), naming where a token goes and never echoing one.
 */
export function checkBinding(host: string, token: string | undefined): void {
  if (isLoopback(host) || token) return;
  throw new TributaryError(
    'TRB_DASHBOARD_AUTH_REQUIRED',
    `the dashboard would listen on ${host}, which is not loopback, without a token: set dashboard: { token: \${TRIBUTARY_DASHBOARD_TOKEN} } in the connections file (or env TRIBUTARY_DASHBOARD_TOKEN), or keep --dashboard-host 127.0.0.1`,
    { details: { host } },
  );
}
