/**
 * The built verifier app and the route serving it, without a browser: the page weight stays within
 * budget, the page has no inline script or handler (the CSP forbids them), and /verify/ serves every
 * file with its content type and caching (page and service worker revalidated, hashed assets
 * immutable, gzip when accepted). Builds into a temporary folder (VERIFIER_DIST_DIR).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifierApp, VERIFIER_SIZE_BUDGET_BYTES, type VerifierBuildReport } from '../../scripts/build-verifier.js';
import { createTestContext, type TestContext } from '../helpers/app.js';

let workDir: string;
let report: VerifierBuildReport;
let t: TestContext;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'verifier-app-'));
  report = await buildVerifierApp({ outDir: join(workDir, 'verifier'), quiet: true });
  process.env.VERIFIER_DIST_DIR = report.outDir;
  t = await createTestContext();
});
afterAll(() => {
  delete process.env.VERIFIER_DIST_DIR;
  t?.close();
  rmSync(workDir, { recursive: true, force: true });
});

const asset = (pattern: RegExp) => report.files.find((f) => pattern.test(f.path))!.path;

describe('verifier app build', () => {
  it('everything the page loads, QR decoder and SM2 included, is at most 150 KB gzipped', () => {
    expect(report.files.map((f) => f.path)).toEqual(expect.arrayContaining(['index.html', 'sw.js', 'manifest.webmanifest', 'icon.svg']));
    // The jsQR chunk is counted: it is a separate file, loaded only without BarcodeDetector.
    const jsQrChunk = report.files.find((f) => /^assets\/chunk-.*\.js$/.test(f.path) && readFileSync(join(report.outDir, f.path), 'utf8').includes('alphanumeric'));
    expect(jsQrChunk).toBeDefined();
    // So is the SM2 code (sm-crypto-v2): a chunk of its own, loaded on the first SM2 key, never in the app script.
    const hasSm2 = (path: string) => readFileSync(join(report.outDir, path), 'utf8').includes('1234567812345678');
    expect(report.files.filter((f) => /^assets\/chunk-.*\.js$/.test(f.path) && hasSm2(f.path))).toHaveLength(1);
    expect(hasSm2(asset(/^assets\/app-.*\.js$/))).toBe(false);
    expect(report.totalGzipBytes).toBe(report.files.reduce((sum, f) => sum + f.gzipBytes, 0));
    expect(report.totalGzipBytes).toBeLessThanOrEqual(VERIFIER_SIZE_BUDGET_BYTES);
    expect(report.withoutSm2GzipBytes).toBeLessThan(report.totalGzipBytes - 10 * 1024);
    const kb = (bytes: number) => (bytes / 1024).toFixed(1);
    console.log(`verifier app: ${kb(report.totalGzipBytes)} KB gzipped (${kb(report.withoutSm2GzipBytes)} KB without SM2), built in ${report.millis} ms`);
  });

  it('the page has no inline script, style attribute handlers or eval', () => {
    const html = readFileSync(join(report.outDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    for (const [tag, body] of scripts) {
      expect(tag).toMatch(/\bsrc="assets\/app-[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
    const app = readFileSync(join(report.outDir, asset(/^assets\/app-.*\.js$/)), 'utf8');
    expect(app).not.toMatch(/\beval\(|new Function\(/);
  });
});

describe('GET /verify', () => {
  it('redirects /verify to /verify/ (relative asset URLs need the slash)', async () => {
    const res = await t.app.request('/verify?x=1');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/verify/?x=1');
  });

  it('serves the page uncached-but-revalidated under the service CSP', async () => {
    const res = await t.app.request('/verify/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("worker-src 'self'");
    expect(await res.text()).toContain('id="anchors-dialog"');
  });

  it('serves hashed assets as immutable with their content type, gzipped when accepted', async () => {
    const script = asset(/^assets\/app-.*\.js$/);
    const plain = await t.app.request(`/verify/${script}`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const body = new Uint8Array(await plain.arrayBuffer());
    const gz = await t.app.request(`/verify/${script}`, { headers: { 'Accept-Encoding': 'gzip, br' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    expect(gunzipSync(new Uint8Array(await gz.arrayBuffer()))).toEqual(Buffer.from(body));
    const style = await t.app.request(`/verify/${asset(/^assets\/style-.*\.css$/)}`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves the service worker and manifest with no-cache (the worker controls /verify/)', async () => {
    const sw = await t.app.request('/verify/sw.js');
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(sw.headers.get('cache-control')).toBe('no-cache');
    expect(await sw.text()).toContain(report.buildId);
    const manifest = await t.app.request('/verify/manifest.webmanifest');
    expect(manifest.headers.get('content-type')).toBe('application/manifest+json; charset=utf-8');
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
  });

  it.each(['/verify/package.json', '/verify/build.json', '/verify/assets/..%2F..%2Fpackage.json', '/verify/assets/app-NOPE.js', '/verify/index.html.gz'])(
    '404s %s',
    async (path) => {
      const res = await t.app.request(path);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
    },
  );
});
