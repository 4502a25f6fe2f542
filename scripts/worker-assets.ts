/**
 * Lays out the built web apps for Cloudflare Workers static assets (wrangler.toml `[assets]`): the
 * verifier at `dist/worker-assets/verify/...` and the holder app at `dist/worker-assets/holder/...` (so
 * the files answer at /verify/ and /holder/ as on Node; the holder API under /holder/v1/ has no file
 * and reaches the Worker) and a `_headers` file
 * carrying the same caching and security headers the Node route sends. Static assets are served before
 * the Worker runs, so the app's own route never sees these requests on Workers.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WORKER_ASSETS_DIR = resolve(import.meta.dirname, '../dist/worker-assets');
const VERIFIER_DIR = resolve(import.meta.dirname, '../dist/verifier');
const HOLDER_DIR = resolve(import.meta.dirname, '../dist/holder');

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
/holder/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Cache-Control: no-cache
/holder/assets/*
  ! Cache-Control
  Cache-Control: public, max-age=31536000, immutable
`;

/** Each app whose build exists is copied (build one, and the other's last build is kept in the layout). */
export function layOutWorkerAssets(verifierDir: string = VERIFIER_DIR, outDir: string = WORKER_ASSETS_DIR, holderDir: string = HOLDER_DIR): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The precompressed .gz copies are for the Node route and static web servers; Cloudflare compresses itself.
  const copy = { recursive: true, filter: (source: string) => !source.endsWith('.gz') && !source.endsWith('build.json') };
  if (existsSync(verifierDir)) cpSync(verifierDir, join(outDir, 'verify'), copy);
  if (existsSync(holderDir)) cpSync(holderDir, join(outDir, 'holder'), copy);
  writeFileSync(join(outDir, '_headers'), HEADERS);
  return outDir;
}
