/**
 * On Workers the inspectors' web app and the holder app are served as static assets (wrangler.toml
 * `[assets]`), before the Worker runs, so the pool's in-process SELF cannot see them: this starts
 * `wrangler dev` (local workerd, loopback only) and fetches /verify/ and /holder/ from it, with the
 * headers the Node route sends.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeApiDocsAssets } from '../scripts/build-api-docs.js';
import { buildHolderApp } from '../scripts/build-holder.js';
import { buildVerifierApp } from '../scripts/build-verifier.js';
import { layOutWorkerAssets } from '../scripts/worker-assets.js';
import { API_DOCS_ASSETS } from '../src/app/api-docs/assets.generated.js';

let base: string;
let workDir: string;
let stop: () => void = () => undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

beforeAll(async () => {
  // Built into a folder of its own (other test files build dist/verifier at the same time).
  workDir = mkdtempSync(join(tmpdir(), 'worker-assets-'));
  const built = await buildVerifierApp({ outDir: join(workDir, 'verifier'), quiet: true });
  const holder = await buildHolderApp({ outDir: join(workDir, 'holder'), quiet: true });
  await writeApiDocsAssets({ outDir: join(workDir, 'api-docs'), check: true, quiet: true });
  const assets = layOutWorkerAssets(built.outDir, join(workDir, 'worker-assets'), holder.outDir, join(workDir, 'api-docs'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const args = ['wrangler', 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--assets', assets, '--show-interactive-dev-session=false'];
  const child = spawn('npx', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });
  stop = () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wrangler dev exited with ${code}:\n${output}`)));
  });
}, 90_000);

afterAll(() => {
  stop();
  rmSync(workDir, { recursive: true, force: true });
});

test('the web app is served at /verify/ by the Worker, hashed assets immutable, under the CSP', async () => {
  const page = await fetch(`${base}/verify/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(page.headers.get('cache-control')).toBe('no-cache');
  const html = await page.text();
  const script = /src="(?:\.\/)?(assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script).toBeDefined();
  const asset = await fetch(`${base}/verify/${script}`);
  expect(asset.status).toBe(200);
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  await asset.arrayBuffer();
  const bare = await fetch(`${base}/verify`, { redirect: 'manual' });
  expect([301, 307, 308]).toContain(bare.status);
  expect(bare.headers.get('location')).toMatch(/\/verify\/$/);
  // Everything else reaches the Worker itself: JSON from the app (200, or a typed 503 where this checkout
  // has no signing-key secret for wrangler dev to provision with), never a static-asset 404.
  const other = await fetch(`${base}/healthz`);
  expect(other.headers.get('content-type')).toMatch(/^application\/json/);
  expect([200, 503]).toContain(other.status);
}, 30_000);

test('the holder app is served at /holder/ the same way, and /holder/v1/ reaches the Worker', async () => {
  const page = await fetch(`${base}/holder/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(page.headers.get('cache-control')).toBe('no-cache');
  const script = /src="(?:\.\/)?(assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
  const asset = await fetch(`${base}/holder/${script}`);
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  await asset.arrayBuffer();
  const api = await fetch(`${base}/holder/v1/licences`);
  expect(api.headers.get('content-type')).toMatch(/^application\/json/);
  expect([401, 503]).toContain(api.status);
}, 30_000);

test('the /docs page files are static assets of the Worker: immutable, under the CSP', async () => {
  for (const name of Object.values(API_DOCS_ASSETS)) {
    const res = await fetch(`${base}/docs/assets/${name}`);
    expect(res.status, name).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-type')).toMatch(name.endsWith('.js') ? /javascript/ : /^text\/css/);
    await res.arrayBuffer();
  }
}, 30_000);
