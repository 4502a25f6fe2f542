/**
 * The interactive API reference (/docs) in real headless Chromium: every request the page makes stays on
 * the service's own origin (127.0.0.1: no CDN, no validator badge, no font service), the content security
 * policy is the app's and nothing violates it, every operation of /openapi.json is listed, an operation
 * opened (by mouse, and by keyboard) shows its example request body and its example response, and axe
 * finds no serious or critical violation. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeApiDocsAssets } from '../../scripts/build-api-docs.js';
import { createTestContext, type TestContext } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`api docs e2e: SKIPPED, ${CHROMIUM} is missing`);
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestContext;
let server: ServerType;
let base: string;
let browser: Browser;
let operations: number;

interface Watched {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** securitypolicyviolation events and console messages about the policy. */
  violations: string[];
  errors: string[];
}

async function openDocs(): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
  const watched: Watched = { page: await context.newPage(), requests: [], violations: [], errors: [] };
  const { page } = watched;
  // Anything not for the service is recorded and refused (the closed network an inspector may be on).
  await context.route('**/*', (route) => {
    const url = route.request().url();
    watched.requests.push(url);
    return url.startsWith(`${base}/`) ? route.continue() : route.abort('blockedbyclient');
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const seen = window as unknown as { __cspViolations?: string[] };
      seen.__cspViolations = seen.__cspViolations ?? [];
      seen.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) watched.violations.push(message.text());
  });
  page.on('pageerror', (error) => watched.errors.push(String(error)));
  await page.goto(`${base}/docs`);
  await page.locator('.opblock').first().waitFor({ state: 'visible', timeout: 20_000 });
  return watched;
}

async function cspViolations(watched: Watched): Promise<string[]> {
  const inPage = await watched.page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
  return [...watched.violations, ...inPage];
}

describe.skipIf(!haveChromium)('API reference (/docs) in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await writeApiDocsAssets({ check: true, quiet: true });
    t = await createTestContext();
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const document = (await (await t.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    t?.close();
  });

  it('loads only from its own origin, under the app CSP, with nothing violating it', async () => {
    const watched = await openDocs();
    const { page } = watched;
    const response = await page.request.get(`${base}/docs`);
    expect(response.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers()['content-security-policy']).not.toContain('unsafe-eval');
    await page.waitForLoadState('networkidle');
    expect(watched.requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
    expect(watched.requests.some((url) => url.endsWith('/openapi.json'))).toBe(true);
    expect(await cspViolations(watched)).toEqual([]);
    expect(watched.errors).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('lists every operation; one opened shows its example request body and response', async () => {
    const watched = await openDocs();
    const { page } = watched;
    expect(await page.locator('.opblock').count()).toBe(operations);
    const issue = page.locator('#operations-Licences-post_v1_licences');
    await issue.locator('.opblock-summary-control').click();
    // The request body example (IssueRequest's) and the 201 response example (a Licence).
    const body = issue.locator('.opblock-section-request-body');
    await expect.poll(async () => (await body.textContent()) ?? '', { timeout: 10_000 }).toContain('91330106MA2CFX7K5Y');
    const responses = issue.locator('.responses-wrapper');
    // The Licence example: its identifier and its credential (a JWS), not a schema-generated "string".
    await expect.poll(async () => (await responses.textContent()) ?? '', { timeout: 10_000 }).toContain('"licenceIdentifier": "YYZZ11330100DC00000011000000000101U"');
    await expect.poll(async () => (await responses.textContent()) ?? '', { timeout: 10_000 }).toContain('"credential": "eyJ');
    await page.screenshot({ path: join(ARTIFACTS, 'api-docs.png'), fullPage: false });

    // From the keyboard: an operation's button opens it with Enter.
    const list = page.locator('#operations-Licences-get_v1_licences .opblock-summary-control');
    await list.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => list.getAttribute('aria-expanded'), { timeout: 10_000 }).toBe('true');

    const axe = await new AxeBuilder({ page }).analyze();
    const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
    expect(await cspViolations(watched)).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('serves its files content-hashed and immutable, gzipped when asked', async () => {
    const html = await (await t.app.request('/docs')).text();
    const files = [...html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(files).toHaveLength(4);
    for (const file of files) {
      expect(file).toMatch(/-[0-9a-f]{12}\.(?:js|css)$/);
      const res = await t.app.request(file, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(res.status, file).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-encoding')).toBe('gzip');
    }
    // Only the names the page uses are served: no path into the folder, no other file of it.
    expect((await t.app.request('/docs/assets/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await t.app.request('/docs/assets/swagger-ui-bundle.js')).status).toBe(404);
  });
});
