/**
 * What to do with each HTTP status: retry it, fail at once, treat it as an auth failure, or end the stream
 * (e.g. Django REST's 404 "Invalid page." past the last page). Manifests override the defaults per status.
 */

export type ErrorAction = 'retry' | 'fail' | 'auth' | 'end_of_stream';

export interface ErrorRule {
  statuses: number[];
  action: ErrorAction;
  /** Only match when the response body contains this text. */
  bodyContains?: string;
}

export interface ErrorPolicy {
  rules: ErrorRule[];
}

/** Retry 408, 429 and 5xx; 401/403 are auth errors; every other 4xx fails at once. */
export const DEFAULT_ERROR_RULES: ErrorRule[] = [
  { statuses: [401, 403], action: 'auth' },
  { statuses: [408, 429, 500, 502, 503, 504], action: 'retry' },
];

export function classifyStatus(policy: ErrorPolicy, status: number, body: string): ErrorAction | 'ok' {
  if (status >= 200 && status < 300) return 'ok';
  for (const rule of policy.rules) {
    if (!rule.statuses.includes(status)) continue;
    if (rule.bodyContains !== undefined && !body.includes(rule.bodyContains)) continue;
    return rule.action;
  }
  for (const rule of DEFAULT_ERROR_RULES) if (rule.statuses.includes(status)) return rule.action;
  if (status >= 500) return 'retry';
  return 'fail';
}
