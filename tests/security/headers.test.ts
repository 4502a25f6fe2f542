/**
 * Security headers on every HTML page the service serves: a CSP with frame-ancestors 'none' and no
 * 'unsafe-inline' / 'unsafe-eval' scripts, every inline <script> allowed by its hash, no inline event
 * handlers or javascript: URLs, nosniff and a Referrer-Policy.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessSubject, createTestContext, type TestContext } from '../helpers/app.js';

let ctx: TestContext;
const CARD = '/v1/licences/{id}/card';
const pages: { path: string; token?: boolean }[] = [{ path: '/' }, { path: '/docs' }, { path: '/verify' }, { path: '/holder' }, { path: CARD, token: true }];
let licenceId = '';

beforeAll(async () => {
  ctx = await createTestContext();
  const issued = (await (await ctx.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })).json()) as { id: string };
  licenceId = issued.id;
});
afterAll(() => ctx.close());

/** GET a page as a browser would: following redirects within the service. */
async function fetchPage(page: { path: string; token?: boolean }): Promise<Response> {
  let path = page.path.replace('{id}', licenceId);
  for (let hop = 0; hop < 3; hop++) {
    const response = await ctx.call('GET', path, page.token ? {} : { token: null });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    path = new URL(location, 'https://elicence.test').pathname;
  }
  throw new Error(`${page.path}: too many redirects`);
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

describe('HTML pages', () => {
  it('are all present (so this test checks something)', async () => {
    for (const page of pages) {
      const response = await fetchPage(page);
      expect([page.path, response.status, response.headers.get('content-type')?.startsWith('text/html')]).toEqual([page.path, 200, true]);
    }
  });

  it.each(pages.map((p) => [p.path, p] as const))('%s carries the security headers and no unhashed inline script', async (_path, page) => {
    const response = await fetchPage(page);
    if (response.status !== 200) return expect.fail(`${page.path} answered ${response.status}`);
    const csp = response.headers.get('content-security-policy');
    expect(csp, 'Content-Security-Policy').toBeTruthy();
    const policy = directives(csp!);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    const scriptSrc = policy.get('script-src') ?? policy.get('default-src') ?? [];
    expect(scriptSrc.length).toBeGreaterThan(0);
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(scriptSrc).not.toContain('*');
    expect(policy.get('object-src') ?? policy.get('default-src')).toEqual(["'none'"]);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBeTruthy();

    const html = await response.text();
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].filter(([, attributes]) => !/\bsrc\s*=/i.test(attributes ?? ''));
    for (const [, , body] of inline) {
      // JSON data blocks are not executed; anything else must be allowed by its exact hash.
      const hash = `'sha256-${createHash('sha256')
        .update(body ?? '')
        .digest('base64')}'`;
      expect(scriptSrc, `inline script on ${page.path} must be allowed by ${hash}`).toContain(hash);
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=\s*["']/i);
    expect(html).not.toMatch(/javascript:/i);
  });
});
