/**
 * The national bench's Chromium part (bench/national.ts): the built web app served on loopback with
 * Node-generated national data (tests/helpers/bundle-server.ts, gzip on the wire), the page's clock set
 * to just after each cut. Measures the first sync (fetch, verify and merge every piece, store in
 * IndexedDB), the daily delta, a verdict after it, and the IndexedDB storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildVerifierApp } from '../scripts/build-verifier.js';
import { createTestContext } from '../tests/helpers/app.js';
import { startBundleServer } from '../tests/helpers/bundle-server.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function chromiumFigures(input: {
  anchors: { anchorId: string; keys: object[] };
  fullText: string;
  deltaText: string;
  licence: string;
  t0: number;
  t1: number;
}): Promise<string[]> {
  await buildVerifierApp({ quiet: true });
  const t = await createTestContext();
  const server = await startBundleServer({
    app: t.app,
    anchor: input.anchors as never,
    bundle: (query) => (query.has('since') ? { body: input.deltaText, kind: 'delta', etag: 'W/"day1"' } : { body: input.fullText, kind: 'full', etag: 'W/"day0"' }),
  });
  const userDataDir = mkdtempSync(join(tmpdir(), 'elicence-national-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, serviceWorkers: 'block' });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.clock.setFixedTime(new Date(input.t0 + 60_000));
    await page.goto(`${server.base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
    const sync = async (first: boolean): Promise<number> => {
      await page.evaluate(() => {
        document.body.dataset.synced = '';
      });
      const started = Date.now();
      await page.click('#sync');
      if (first) {
        await page.locator('#anchors-dialog[open]').waitFor();
        const confirmed = Date.now();
        await page.click('#anchors-confirm');
        await page.locator('body[data-synced]:not([data-synced=""])').waitFor({ timeout: 600_000 });
        return Date.now() - confirmed + (confirmed - started) * 0;
      }
      await page.locator('body[data-synced]:not([data-synced=""])').waitFor({ timeout: 600_000 });
      return Date.now() - started;
    };
    const storage = () =>
      page.evaluate(async () => {
        const estimate = await navigator.storage.estimate();
        const stored = await new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('elicence-verifier');
          open.onsuccess = () => {
            const request = open.result.transaction('kv').objectStore('kv').get('bundle');
            request.onsuccess = () => resolve(JSON.stringify(request.result).length);
            request.onerror = () => reject(request.error);
          };
          open.onerror = () => reject(open.error);
        });
        return { usage: estimate.usage ?? 0, stored };
      });
    const firstMs = await sync(true);
    const firstSent = server.sent.at(-1)!;
    const afterFirst = await storage();
    await page.clock.setFixedTime(new Date(input.t1 + 60_000));
    const deltaMs = await sync(false);
    const deltaSent = server.sent.at(-1)!;
    const afterDelta = await storage();
    await page.evaluate(() => {
      document.querySelector<HTMLDetailsElement>('details.paste')!.open = true;
    });
    await page.fill('#paste-text', input.licence);
    const started = Date.now();
    await page.click('#paste-form button[type="submit"]');
    const result = page.locator('#result:not([hidden])');
    await result.waitFor({ timeout: 120_000 });
    const verdictMs = Date.now() - started;
    const verdict = await result.getAttribute('data-verdict');
    return [
      `first sync of the national data: ${s(firstMs)} (${mb(firstSent.bytes)} on the wire, ${mb(firstSent.raw)} of JSON; from the anchor confirmation to stored)`,
      `daily delta: ${s(deltaMs)} (${kb(deltaSent.bytes)} on the wire, ${kb(deltaSent.raw)} of JSON)`,
      // The page's clock is fixed (the day's cut), so its own performance marks are not used here: wall time seen from Node.
      `a verdict after it: ${verdict}, ${verdictMs} ms from the click to the verdict on screen (the first verdict after the sync; wall time through Playwright)`,
      `IndexedDB: the stored bundle ${mb(afterDelta.stored)} as JSON (${mb(afterFirst.stored)} after the first sync); navigator.storage.estimate() usage ${mb(afterDelta.usage)} (${mb(afterFirst.usage)} after the first sync)`,
    ];
  } finally {
    await context.close();
    await server.close();
    t.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
