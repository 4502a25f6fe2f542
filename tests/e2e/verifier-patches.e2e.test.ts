/**
 * Status patches in the inspectors' web app, in headless Chromium (docs/verifier-app.md): the app syncs
 * bundles made in Node (tests/fixtures/patches.ts) from a loopback server, keeps them in IndexedDB and
 * verifies a pasted licence. A patch that skips a version, is signed by another authority or names a
 * wrong digest gives STATUS_UNKNOWN; after suspend -> reinstate was seen (VALID), a bundle replaying the
 * suspend patch gives STATUS_UNKNOWN, never SUSPENDED. The page's clock is the test world's.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle, type VerifierBundle } from '../../src/core/bundle.js';
import { patchKit, type RefusedPatchBundles, refusedPatchBundles } from '../fixtures/patches.js';
import { makeWorld, NOW } from '../fixtures/world.js';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { type BundleServer, startBundleServer } from '../helpers/bundle-server.js';
import { buildOwnVerifierApp } from '../helpers/own-builds.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let t: TestContext;
let server: BundleServer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let bundles: RefusedPatchBundles;
let licence: string;
let current: VerifierBundle;

async function sync(bundle: VerifierBundle, first = false): Promise<void> {
  current = bundle;
  await page.evaluate(() => {
    document.body.dataset.synced = '';
  });
  await page.click('#sync');
  if (first) {
    await page.locator('#anchors-dialog[open]').waitFor();
    await page.click('#anchors-confirm');
  }
  await page.locator('body[data-synced]:not([data-synced=""])').waitFor();
}

async function verdict(): Promise<string> {
  await page.evaluate(() => {
    document.querySelector<HTMLDetailsElement>('details.paste')!.open = true;
  });
  await page.fill('#paste-text', licence);
  await page.click('#paste-form button[type="submit"]');
  const result = page.locator('#result:not([hidden])');
  await result.waitFor();
  const value = (await result.getAttribute('data-verdict'))!;
  await page.click('#again');
  await page.locator('#home:not([hidden])').waitFor();
  return value;
}

describe.skipIf(!haveChromium)('status patches in the web app (Chromium)', () => {
  beforeAll(async () => {
    await buildOwnVerifierApp();
    t = await createTestContext();
    const world = await makeWorld();
    const kit = await patchKit(world);
    bundles = await refusedPatchBundles(world, kit);
    licence = kit.licence;
    server = await startBundleServer({
      app: t.app,
      anchor: { anchorId: world.zhejiang.id, keys: [world.zhejiang.key.publicJwk] },
      bundle: () => ({ body: JSON.stringify(packBundle(current)), kind: 'full' }),
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'verifier-patches-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, locale: 'en-GB', serviceWorkers: 'block' });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error('page error:', error));

    await page.clock.setFixedTime(new Date(NOW));
    await page.goto(`${server.base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    t?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('a skipped version, another authority, a wrong digest: STATUS_UNKNOWN', async () => {
    await sync(bundles.skipped, true);
    expect(await verdict()).toBe('STATUS_UNKNOWN');
    await sync(bundles.otherAuthority);
    expect(await verdict()).toBe('STATUS_UNKNOWN');
    await sync(bundles.wrongDigest);
    expect(await verdict()).toBe('STATUS_UNKNOWN');
  });

  it('suspend -> reinstate seen, then a replayed suspend patch: STATUS_UNKNOWN, never SUSPENDED', async () => {
    await sync(bundles.reinstated);
    expect(await verdict()).toBe('VALID');
    await sync(bundles.replayed);
    expect(await verdict()).toBe('STATUS_UNKNOWN');
    // What the device remembers: the version seen, in IndexedDB.
    const seen = await page.evaluate(
      () =>
        new Promise<Record<string, number>>((resolve, reject) => {
          const open = indexedDB.open('elicence-verifier');
          open.onsuccess = () => {
            const request = open.result.transaction('kv').objectStore('kv').get('statusVersionsSeen');
            request.onsuccess = () => resolve(request.result as Record<string, number>);
            request.onerror = () => reject(request.error);
          };
          open.onerror = () => reject(open.error);
        }),
    );
    expect(Object.values(seen)).toContain(22);
  });
});
