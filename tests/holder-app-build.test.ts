/**
 * The holder app's build and how the Node app serves it: every file the page can load counts toward
 * the 150 KB gzipped budget and the build fails past it; /holder/ answers the page (no-cache), hashed
 * assets immutable, gzip when asked; the service worker never touches the holder API; the holder API
 * is not shadowed by the app's files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHolderApp, HOLDER_SIZE_BUDGET_BYTES, type HolderBuildReport } from '../scripts/build-holder.js';
import { createTestContext, type TestContext } from './helpers/app.js';

let dir: string;
let report: HolderBuildReport;
let t: TestContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'holder-build-'));
  report = await buildHolderApp({ outDir: join(dir, 'holder'), quiet: true });
  process.env['HOLDER_DIST_DIR'] = report.outDir;
  t = await createTestContext();
});

afterAll(() => {
  delete process.env['HOLDER_DIST_DIR'];
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('holder app build', () => {
  it('stays within the budget counting every file, and refuses to build past a budget', async () => {
    expect(report.totalGzipBytes).toBeLessThanOrEqual(HOLDER_SIZE_BUDGET_BYTES);
    expect(report.totalGzipBytes).toBe(report.files.reduce((sum, f) => sum + f.gzipBytes, 0));
    expect(report.files.map((f) => f.path)).toEqual(expect.arrayContaining(['index.html', 'sw.js', 'manifest.webmanifest', 'icon.svg']));
    await expect(buildHolderApp({ outDir: join(dir, 'tiny'), quiet: true, budgetBytes: 1024 })).rejects.toThrow(/over the 1.0 KB budget/);
    const sw = readFileSync(join(report.outDir, 'sw.js'), 'utf8');
    expect(sw).toContain('v1/');
  });

  it('is served at /holder/ by the Node app: page no-cache, hashed assets immutable and gzipped, the API unaffected', async () => {
    const bare = await t.app.request('/holder');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/holder/');
    const page = await t.app.request('/holder/');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    expect(html).toContain('lang="zh-CN"');
    const script = /src="(assets\/app-[^"]+\.js)"/.exec(html)![1]!;
    const asset = await t.app.request(`/holder/${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    const manifest = await t.app.request('/holder/manifest.webmanifest');
    expect(((await manifest.json()) as { display: string }).display).toBe('standalone');
    expect((await t.app.request('/holder/secrets.txt')).status).toBe(404);
    expect((await t.app.request('/holder/v1/licences')).status).toBe(401);
  });
});
