/**
 * Lays out the built verifier app and the /docs page's files for Cloudflare Workers static assets
 * (wrangler.toml `[assets]`): `dist/worker-assets/verify/...` and `dist/worker-assets/docs/assets/...`
 * (so the files answer at /verify/ and /docs/assets/ as on Node) and a `_headers` file carrying the same
 * caching and security headers the Node routes send. The /docs page itself is the Worker's (app) route. Static assets are served before
 * the Worker runs, so the app's own route never sees these requests on Workers.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const WORKER_ASSETS_DIR = resolve(import.meta.dirname, '../dist/worker-assets');
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
/docs/assets/*
  Content-Security-Policy: ${CSP}
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  Cache-Control: public, max-age=31536000, immutable
`;

export function layOutWorkerAssets(verifierDir: string, outDir: string = WORKER_ASSETS_DIR, apiDocsDir: string = API_DOCS_DIR): string {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The precompressed .gz copies are for the Node route and static web servers; Cloudflare compresses itself.
  cpSync(verifierDir, join(outDir, 'verify'), { recursive: true, filter: (source) => !source.endsWith('.gz') && !source.endsWith('build.json') });
  if (!existsSync(join(apiDocsDir, 'assets'))) throw new Error(`${apiDocsDir} is missing: run npm run build:docs before laying out the Worker's assets`);
  cpSync(join(apiDocsDir, 'assets'), join(outDir, 'docs', 'assets'), { recursive: true, filter: (source) => !source.endsWith('.gz') && !/\/\.[^/]*\.tmp-\d+$/.test(source) });
  writeFileSync(join(outDir, '_headers'), HEADERS);
  return outDir;
}
