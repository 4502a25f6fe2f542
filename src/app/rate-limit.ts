/**
 * Rate limiting of failed authentication: a small in-memory sliding window per app instance.
 *
 * Two windows, keyed differently on purpose:
 * - per client (the peer address): once a client has failed `maxFailures` times within `windowMs`, its
 *   further requests that present credentials or target `/v1/` are refused with 429 BEFORE the token is
 *   looked up, so a blocked client can no longer test tokens;
 * - per token prefix (the first characters of the presented bearer token): failures with that prefix only
 *   turn further *failures* into 429. A valid token is never refused because someone else failed with a
 *   look-alike prefix, so nobody can lock a legitimate agency out by knowing its token's prefix.
 * Successful authentication never counts and is never limited by the token window.
 *
 * Who is "the client": the runtime's peer address (Node: the TCP socket of @hono/node-server), never a
 * header a client could forge, unless the deployment says which header its own proxy sets
 * (`trustedClientHeader`: for `x-forwarded-for` the rightmost entry, the one our proxy appended;
 * on Cloudflare `cf-connecting-ip` is set by the edge). With no identity at all (in-process
 * `app.request()`, or a runtime that exposes none) only the token window applies.
 *
 * The state lives in the middleware factory's closure: one limiter per app, never a module singleton
 * (a Worker isolate or a test may hold several apps). Memory is bounded by `maxKeys` (oldest evicted).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ElicenceError } from '../core/errors.js';
import type { Clock } from './deps.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';

export interface SlidingWindowOptions {
  /** Failures allowed inside the window; the next one is refused. */
  maxFailures: number;
  windowMs: number;
  clock: Clock;
  /** Most keys remembered; the least recently failing ones are dropped first. */
  maxKeys?: number;
}

/** Failure timestamps per key within a sliding window. */
export class SlidingWindowCounter {
  readonly #failures = new Map<string, number[]>();
  readonly #options: Required<SlidingWindowOptions>;

  constructor(options: SlidingWindowOptions) {
    if (!(options.maxFailures >= 1) || !(options.windowMs > 0)) throw new RangeError('maxFailures >= 1 and windowMs > 0 are required');
    this.#options = { maxKeys: 10_000, ...options };
  }

  /** Milliseconds until `key` may try again; 0 when it is not blocked. */
  retryAfterMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#options.maxFailures) return 0;
    // Blocked until the oldest failure that still counts slides out of the window.
    const oldest = recent[recent.length - this.#options.maxFailures]!;
    return Math.max(1, oldest + this.#options.windowMs - this.#options.clock.now());
  }

  recordFailure(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#options.clock.now());
    // Only the last maxFailures timestamps decide anything: keep no more.
    if (recent.length > this.#options.maxFailures) recent.splice(0, recent.length - this.#options.maxFailures);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    while (this.#failures.size > this.#options.maxKeys) {
      const first = this.#failures.keys().next();
      if (first.done) break;
      this.#failures.delete(first.value);
    }
  }

  get size(): number {
    return this.#failures.size;
  }

  #recent(key: string): number[] {
    const stamps = this.#failures.get(key);
    if (!stamps) return [];
    const since = this.#options.clock.now() - this.#options.windowMs;
    const recent = stamps.filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}

export type TrustedClientHeader = 'x-forwarded-for' | 'cf-connecting-ip';

export interface AuthRateLimitOptions {
  clock: Clock;
  /** Failed authentications per window before 429 (default 20). */
  maxFailures?: number;
  /** Window length (default 60 s). */
  windowMs?: number;
  /** A header set by this deployment's own proxy; unset = trust no header. */
  trustedClientHeader?: TrustedClientHeader;
  /** Characters of the presented token that form the token key (default 12). */
  tokenPrefixLength?: number;
  maxKeys?: number;
}

/** The client's identity as the runtime reports it, or undefined when it reports none. */
export function clientKeyOf(c: Context, trustedHeader: TrustedClientHeader | undefined): string | undefined {
  if (trustedHeader) {
    const value = c.req.header(trustedHeader);
    const hop = value?.split(',').pop()?.trim();
    if (hop) return `ip:${hop}`;
  }
  // @hono/node-server passes { incoming, outgoing } as the env: the TCP peer cannot be forged.
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const address = env?.incoming?.socket?.remoteAddress;
  return address ? `ip:${address}` : undefined;
}

function bearerOf(c: Context): string | undefined {
  const match = /^Bearer\s+(\S+)/i.exec(c.req.header('authorization') ?? '');
  return match?.[1];
}

function limited(c: Context<AppEnv>, retryAfterMs: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const response = errorResponse(
    c,
    new ElicenceError('ERR_RATE_LIMITED', `too many failed authentications; retry after ${seconds} s`, { details: { retryAfterSeconds: seconds } }),
  );
  response.headers.set('Retry-After', String(seconds));
  return response;
}

/**
 * Counts 401 answers per client and per token prefix and answers 429 ERR_RATE_LIMITED with
 * Retry-After past the limit. Mount it before the authentication middleware (`app.use('*', ...)`):
 * it watches the response, so every route that authenticates is covered, whoever authenticates it.
 */
export function authFailureRateLimit(options: AuthRateLimitOptions): MiddlewareHandler<AppEnv> {
  const windowOptions = {
    clock: options.clock,
    maxFailures: options.maxFailures ?? 20,
    windowMs: options.windowMs ?? 60_000,
    ...(options.maxKeys ? { maxKeys: options.maxKeys } : {}),
  };
  const byClient = new SlidingWindowCounter(windowOptions);
  const byToken = new SlidingWindowCounter(windowOptions);
  const prefixLength = options.tokenPrefixLength ?? 12;

  return async (c, next) => {
    const clientKey = clientKeyOf(c, options.trustedClientHeader);
    const token = bearerOf(c);
    const tokenKey = token === undefined ? undefined : `token:${token.slice(0, prefixLength)}`;
    const needsAuth = token !== undefined || c.req.path.startsWith('/v1/');
    if (clientKey && needsAuth) {
      const wait = byClient.retryAfterMs(clientKey);
      if (wait > 0) return limited(c, wait);
    }
    await next();
    if (c.res.status !== 401) return undefined;
    if (clientKey) byClient.recordFailure(clientKey);
    if (tokenKey) {
      const wait = byToken.retryAfterMs(tokenKey);
      byToken.recordFailure(tokenKey);
      if (wait > 0) c.res = limited(c, wait);
    }
    return undefined;
  };
}
