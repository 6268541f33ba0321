/**
 * The requester component: one HttpClient per connector, holding the base URL, the static headers and query
 * parameters, the authenticator, the error policy and the credential's rate budget (docs/architecture.md
 * law 3). Streams build their URLs from it and send every request through it, list pages and detail lookups
 * alike.
 */
import { createHash } from 'node:crypto';
import type { StreamMetrics } from '../engine/source.js';
import type { ErrorPolicy } from '../http/error-policy.js';
import { HttpClient, type JsonResponse } from '../http/http-client.js';
import { type BudgetRegistry, globalBudgets, type RateBudget } from '../http/rate-budget.js';
import { joinUrl } from '../http/url-join.js';
import type { Logger } from '../util/log.js';
import type { Redactor } from '../util/redact.js';
import type { Authenticator } from './authenticator.js';

export interface RequesterOptions {
  /** The resolved base_url (http or https). */
  base: URL;
  authenticator: Authenticator;
  /** Query parameters every request carries (resolved). */
  params: Record<string, string>;
  /** Headers every request carries (resolved; names lower-cased here). */
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries: number;
  /** Proactive budget per credential; undefined when the vendor publishes no limit. */
  requestsPerMinute?: number;
  maxResponseBytes?: number;
  policy: ErrorPolicy;
  redactor: Redactor;
  logger: Logger;
  /** Where the credential's budget lives: this process (default) or Redis, shared by every worker. */
  budgets?: BudgetRegistry;
}

export class Requester {
  readonly base: URL;
  private readonly http: HttpClient;

  constructor(private readonly o: RequesterOptions) {
    this.base = o.base;
    // One budget per credential at one origin, shared by every source built with the same registry: this
    // process's by default, every process's on one Redis with RedisBudgets.
    const credentialHash = createHash('sha256')
      .update(`${o.base.origin}\u0000${o.authenticator.secret}`)
      .digest('hex')
      .slice(0, 16);
    const headers: Record<string, string> = { 'user-agent': 'tributary/0.1' };
    for (const [k, v] of Object.entries(o.headers)) headers[k.toLowerCase()] = v;
    this.http = new HttpClient({
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      budget: (o.budgets ?? globalBudgets).forCredential(credentialHash, o.requestsPerMinute),
      policy: o.policy,
      allowedOrigins: [o.base.origin],
      authorize: o.authenticator.authorize,
      reauthorize: o.authenticator.reauthorize,
      redactor: o.redactor,
      logger: o.logger,
      headers,
      connections: 32,
      ...(o.maxResponseBytes === undefined ? {} : { maxResponseBytes: o.maxResponseBytes }),
    });
  }

  get budget(): RateBudget {
    return this.http.budget;
  }

  /**
   * `path` joined to the base URL (see joinUrl), with the requester's query parameters and then `params`
   * (a stream's own win over the requester's).
   */
  url(path: string, params: Record<string, string> = {}): URL {
    const url = joinUrl(this.base, path);
    for (const [k, v] of Object.entries({ ...this.o.params, ...params })) url.searchParams.set(k, v);
    return url;
  }

  get(url: URL, metrics: StreamMetrics, signal?: AbortSignal, logger?: Logger): Promise<JsonResponse> {
    return this.http.getJson(url, metrics, signal, logger);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
