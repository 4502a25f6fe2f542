/**
 * Lays out the built verifier app for Cloudflare Workers static assets (wrangler.toml `[assets]`):
 * `dist/worker-assets/verify/...` (so the files answer at /verify/ as on Node) and a `_headers` file
 * carrying the same caching and security headers the Node route sends. Static assets are served before
 * the Worker runs, so the app's own route never sees these requests on Workers.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WORKER_ASSETS_DIR = resolve(import.meta.dirname, '../dist/worker-assets');

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const HEADERS = `/verify/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Cache-Control: no-cache
/verify/assets/*
  ! Cache-Control
  Cache-Control: public, max-age=31536000, immutable
`;

export function layOutWorkerAssets(verifierDir: string, outDir: string = WORKER_ASSETS_DIR): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The precompressed .gz copies are for the Node route and static web servers; Cloudflare compresses itself.
  cpSync(verifierDir, join(outDir, 'verify'), { recursive: true, filter: (source) => !source.endsWith('.gz') && !source.endsWith('build.json') });
  writeFileSync(join(outDir, '_headers'), HEADERS);
  return outDir;
}
