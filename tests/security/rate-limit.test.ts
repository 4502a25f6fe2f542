/**
 * Rate limiting of failed authentication (src/app/rate-limit.ts), on the manual clock: 429
 * ERR_RATE_LIMITED with Retry-After after N failures in the window, per client and per token prefix;
 * successful authentication never counts; the window slides; one limiter per app instance.
 */

import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/app/env.js';
import { type AuthRateLimitOptions, authFailureRateLimit, SlidingWindowCounter } from '../../src/app/rate-limit.js';
import { createTestContext, manualClock, type TestContext } from '../helpers/app.js';

const contexts: TestContext[] = [];
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.close();
});

/** The real app behind the limiter, as app.ts mounts it (first, before authentication). */
async function limitedApp(options: Partial<AuthRateLimitOptions> = {}) {
  const ctx = await createTestContext();
  contexts.push(ctx);
  const app = new Hono<AppEnv>();
  app.use('*', authFailureRateLimit({ clock: ctx.clock, maxFailures: 5, windowMs: 60_000, ...options }));
  app.route('/', ctx.app);
  const request = (token: string | null, ip?: string, headers: Record<string, string> = {}) =>
    app.request(
      '/v1/licences',
      { headers: { ...headers, ...(token === null ? {} : { authorization: `Bearer ${token}` }) } },
      ip ? { incoming: { socket: { remoteAddress: ip } } } : undefined,
    );
  return { ctx, app, request };
}

describe('SlidingWindowCounter', () => {
  it('blocks after maxFailures within the window and frees the key as failures slide out', () => {
    const clock = manualClock(0);
    const window = new SlidingWindowCounter({ maxFailures: 3, windowMs: 10_000, clock });
    for (let i = 0; i < 3; i++) {
      expect(window.retryAfterMs('k')).toBe(0);
      window.recordFailure('k');
      clock.advance(1_000);
    }
    // Failures at 0, 1 s, 2 s; now 3 s: blocked until the first slides out at 10 s.
    expect(window.retryAfterMs('k')).toBe(7_000);
    expect(window.retryAfterMs('other')).toBe(0);
    clock.advance(7_000);
    expect(window.retryAfterMs('k')).toBe(0);
  });

  it('keeps at most maxKeys keys (memory stays bounded under a spray of clients)', () => {
    const window = new SlidingWindowCounter({ maxFailures: 2, windowMs: 60_000, clock: manualClock(0), maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) window.recordFailure(`ip:${i}`);
    expect(window.size).toBe(100);
  });
});

describe('failed authentication is rate limited', () => {
  it('a client that failed N times gets 429 with Retry-After, even with a valid token, until the window slides', async () => {
    const { ctx, request } = await limitedApp();
    for (let i = 0; i < 5; i++) expect((await request(`elk_wrong-token-number-${i}-xxxxxxxx`, '10.0.0.1')).status).toBe(401);
    const blocked = await request(ctx.token, '10.0.0.1');
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('60');
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('ERR_RATE_LIMITED');
    // Another client is not affected.
    expect((await request(ctx.token, '10.0.0.2')).status).toBe(200);
    ctx.clock.advance(30_000);
    expect((await request(ctx.token, '10.0.0.1')).headers.get('retry-after')).toBe('30');
    ctx.clock.advance(30_001);
    expect((await request(ctx.token, '10.0.0.1')).status).toBe(200);
  });

  it('successful authentication never counts', async () => {
    const { ctx, request } = await limitedApp();
    for (let i = 0; i < 50; i++) expect((await request(ctx.token, '10.0.0.3')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await request('elk_wrong-but-only-four-times-xxxx', '10.0.0.3')).status).toBe(401);
    expect((await request(ctx.token, '10.0.0.3')).status).toBe(200);
  });

  it('per token prefix: failures spread over many clients turn into 429, but the real token with that prefix still works', async () => {
    const { ctx, request } = await limitedApp();
    const prefix = ctx.token.slice(0, 12);
    for (let i = 0; i < 5; i++) expect((await request(`${prefix}guess-${i}-xxxxxxxxxx`, `10.1.0.${i}`)).status).toBe(401);
    const limited = await request(`${prefix}guess-6-xxxxxxxxxx`, '10.1.1.1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await request(ctx.token, '10.1.1.2')).status).toBe(200);
  });

  it('x-forwarded-for is ignored unless configured as trusted, then its rightmost hop is the client', async () => {
    const untrusted = await limitedApp();
    // Without a peer address and with a forged header, only the token window applies.
    for (let i = 0; i < 10; i++) expect((await untrusted.request(`elk_spoof-${i}-xxxxxxxxxxxxxxxx`, undefined, { 'x-forwarded-for': '1.2.3.4' })).status).toBe(401);
    expect((await untrusted.request(untrusted.ctx.token, undefined, { 'x-forwarded-for': '1.2.3.4' })).status).toBe(200);

    const trusted = await limitedApp({ trustedClientHeader: 'x-forwarded-for' });
    for (let i = 0; i < 5; i++) expect((await trusted.request(`elk_proxied-${i}-xxxxxxxxxxxxx`, '127.0.0.1', { 'x-forwarded-for': '9.9.9.9, 5.6.7.8' })).status).toBe(401);
    expect((await trusted.request(trusted.ctx.token, '127.0.0.1', { 'x-forwarded-for': '1.1.1.1, 5.6.7.8' })).status).toBe(429);
    expect((await trusted.request(trusted.ctx.token, '127.0.0.1', { 'x-forwarded-for': '5.6.7.9' })).status).toBe(200);
  });

  it('each limiter belongs to its app instance', async () => {
    const first = await limitedApp();
    const second = await limitedApp();
    for (let i = 0; i < 5; i++) await first.request(`elk_wrong-${i}-xxxxxxxxxxxxxxxxx`, '10.2.0.1');
    expect((await first.request(first.ctx.token, '10.2.0.1')).status).toBe(429);
    expect((await second.request(second.ctx.token, '10.2.0.1')).status).toBe(200);
  });

  it('uses the TCP peer address of @hono/node-server', async () => {
    const { ctx, app } = await limitedApp();
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/licences`;
    try {
      for (let i = 0; i < 5; i++) expect((await fetch(url, { headers: { authorization: `Bearer elk_socket-${i}-xxxxxxxxxxxx` } })).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: `Bearer ${ctx.token}` } })).status).toBe(429);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is mounted by createApp (app.ts): the 21st failure from one peer within a minute is 429', async () => {
    const ctx = await createTestContext();
    contexts.push(ctx);
    const env = { incoming: { socket: { remoteAddress: '10.3.0.1' } } };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const response = await ctx.app.request('/v1/licences', { headers: { authorization: `Bearer elk_wrong-${i}-xxxxxxxxxxxxxxxxx` } }, env);
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
