/**
 * Lays out the built web apps and the /docs page's files for Cloudflare Workers static assets (wrangler.toml
 * `[assets]`): the verifier at `dist/worker-assets/verify/...`, the holder app at `dist/worker-assets/holder/...`
 * and the /docs files at `dist/worker-assets/docs/assets/...` (so the files answer at /verify/, /holder/ and
 * /docs/assets/ as on Node; the holder API under /holder/v1/ and the /docs page itself have no file and reach
 * the Worker) and a `_headers` file carrying the same caching and security headers the Node routes send. Static assets are served before
 * the Worker runs, so the app's own route never sees these requests on Workers.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WORKER_ASSETS_DIR = resolve(import.meta.dirname, '../dist/worker-assets');
const VERIFIER_DIR = resolve(import.meta.dirname, '../dist/verifier');
const HOLDER_DIR = resolve(import.meta.dirname, '../dist/holder');
/** scripts/build-api-docs.ts's output (npm run build:docs, run before build:verifier). */
export const API_DOCS_DIR = resolve(import.meta.dirname, '../dist/api-docs');

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
/docs/assets/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Cache-Control: public, max-age=31536000, immutable
`;

/** Each build that exists is copied (build one, and the others' last builds are kept in the layout). */
export function layOutWorkerAssets(
  verifierDir: string = VERIFIER_DIR,
  outDir: string = WORKER_ASSETS_DIR,
  holderDir: string = HOLDER_DIR,
  apiDocsDir: string = API_DOCS_DIR,
): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The precompressed .gz copies are for the Node route and static web servers; Cloudflare compresses itself.
  const copy = { recursive: true, filter: (source: string) => !source.endsWith('.gz') && !source.endsWith('build.json') && !/\/\.[^/]*\.tmp-\d+$/.test(source) };
  if (existsSync(verifierDir)) cpSync(verifierDir, join(outDir, 'verify'), copy);
  if (existsSync(holderDir)) cpSync(holderDir, join(outDir, 'holder'), copy);
  if (existsSync(join(apiDocsDir, 'assets'))) cpSync(join(apiDocsDir, 'assets'), join(outDir, 'docs', 'assets'), copy);
  writeFileSync(join(outDir, '_headers'), HEADERS);
  return outDir;
}
