/**
 * Who may speak for whom, in the inspectors' web app (headless Chromium): a crafted deployment serves
 * the built app, Zhejiang's trust-anchor.json and a bundle it can swap, built from the test world.
 *  - hole 3: the page stays open while Zhejiang narrows Jiangsu's scope; after one sync the narrowed
 *    scope applies at once (no reload);
 *  - hole 7: the bundle carries status lists of an authority on no accepted list; the sync still
 *    succeeds and everything else verifies;
 *  - the freshness line names each province.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifierApp, DEFAULT_VERIFIER_OUT_DIR } from '../../scripts/build-verifier.js';
import type { VerifierBundle } from '../../src/core/bundle.js';
import { narrowingScope, pinnedZhejiang } from '../fixtures/federation-holes.js';
import { issueLicence, makeWorld, NOW, signStatusList, type World } from '../fixtures/world.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

let w: World;
let served: VerifierBundle;
let server: Server;
let base: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let scopes: Awaited<ReturnType<typeof narrowingScope>>;

/** Presses Sync and waits until the bundle has been fetched and the button is back. */
async function sync(): Promise<void> {
  const fetched = page.waitForResponse((response) => response.url().includes('/verifier-bundle'));
  await page.click('#sync');
  await fetched;
  await page.locator('#sync:not([disabled])').waitFor();
}

async function verifyText(text: string): Promise<{ verdict: string; codes: Record<string, string> }> {
  if (!(await page.locator('.paste[open]').count())) await page.click('.paste summary');
  await page.fill('#paste-text', text);
  await page.click('#paste-form button[type="submit"]');
  const result = page.locator('#result:not([hidden])');
  await result.waitFor();
  const verdict = (await result.getAttribute('data-verdict'))!;
  const codes = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-check]')].map((li) => [li.dataset.check, li.querySelector('.check-code')?.textContent ?? ''])),
  );
  await page.click('#again');
  await page.locator('#home:not([hidden])').waitFor();
  return { verdict, codes };
}

describe.skipIf(!existsSync(CHROMIUM))('web app: who may speak for whom', () => {
  beforeAll(async () => {
    if (!existsSync(join(DEFAULT_VERIFIER_OUT_DIR, 'index.html'))) await buildVerifierApp({ quiet: true });
    w = await makeWorld();
    scopes = await narrowingScope(w);
    // Hole 7: Wenzhou's lists are served, but no accepted trust list names a "Lishui" authority.
    const lishui = { ...w.wenzhou, slug: '331100-amr', id: 'did:web:elicence.zj.example:authorities:331100-amr' };
    const unlisted = [
      {
        url: 'https://elicence.zj.example/status/331100-amr/revocation/1',
        jws: await signStatusList(lishui, 'revocation', { url: 'https://elicence.zj.example/status/331100-amr/revocation/1' }),
        fetchedAt: '2026-05-31T23:30:00Z',
      },
    ];
    served = { ...scopes.broad, statusLists: [...scopes.broad.statusLists, ...unlisted] };
    const anchorDocument = JSON.stringify(pinnedZhejiang(w));

    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/.well-known/trust-anchor.json') return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(anchorDocument);
      if (path === '/verifier-bundle') return void response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(served));
      if (path === '/verify') return void response.writeHead(301, { Location: '/verify/' }).end();
      if (path.startsWith('/verify/')) {
        const file = normalize(path.slice('/verify/'.length) || 'index.html');
        const full = join(DEFAULT_VERIFIER_OUT_DIR, file);
        if (!file.startsWith('..') && existsSync(full))
          return void response.writeHead(200, { 'Content-Type': TYPES[extname(full)] ?? 'application/octet-stream' }).end(readFileSync(full));
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    userDataDir = mkdtempSync(join(tmpdir(), 'verifier-federation-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, locale: 'en-GB', serviceWorkers: 'block' });
    page = context.pages()[0] ?? (await context.newPage());
    // The world's lists are signed for 2026-06-01: the page's clock reads that day.
    await page.clock.setFixedTime(new Date(NOW));
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`${base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.click('#sync');
    await page.locator('#anchors-dialog[open]').waitFor();
    await expect(page.locator('#anchors-offered .anchor-id').textContent()).resolves.toBe(w.zhejiang.id);
    await page.click('#anchors-confirm');
    await page.locator('body[data-synced]').waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('hole 7: a sync with lists of an unlisted authority succeeds; the rest verifies; freshness per province', async () => {
    await expect(page.locator('#message').getAttribute('data-kind')).resolves.not.toBe('error');
    expect((await verifyText(await issueLicence(w.hangzhou))).verdict).toBe('VALID');
    const freshness = (await page.locator('#freshness').textContent()) ?? '';
    expect(freshness).toContain(w.zhejiang.name.en);
    expect(freshness).toContain(w.jiangsu.name.en);
  });

  it('hole 3: Zhejiang narrows Jiangsu’s scope; after one sync, without a reload, the narrowed scope applies', async () => {
    expect((await verifyText(scopes.licence)).verdict).toBe('VALID');
    served = scopes.narrowed;
    await sync();
    const narrowed = await verifyText(scopes.licence);
    expect(narrowed.verdict).toBe('UNTRUSTED_ISSUER');
    expect(narrowed.codes.typeAuthorised).toContain('ERR_TYPE_NOT_AUTHORISED');
  });
});
