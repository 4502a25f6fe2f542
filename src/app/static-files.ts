/**
 * Serves a file of a build folder (an AssetSource: the verifier web app, the /docs assets) with its
 * content type and caching, preferring the precompressed `.gz` copy when the client accepts gzip.
 */
import type { Context } from 'hono';
import type { AssetSource } from './deps.js';
import type { AppEnv } from './env.js';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  webmanifest: 'application/manifest+json; charset=utf-8',
};

/** Content-hashed (or versioned) files: a new build has new names. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The file at `relativePath` of `source`, or undefined when there is none (the caller says why in its 404). */
export async function builtFileResponse(c: Context<AppEnv>, source: AssetSource | undefined, relativePath: string, cacheControl: string): Promise<Response | undefined> {
  const read = async (path: string) => (source ? source.read(path) : undefined);
  const extension = relativePath.slice(relativePath.lastIndexOf('.') + 1);
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  const compressed = gzip ? await read(`${relativePath}.gz`) : undefined;
  const body = compressed ?? (await read(relativePath));
  if (!body) return undefined;
  const headers: Record<string, string> = {
    'Content-Type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    'Cache-Control': cacheControl,
    Vary: 'Accept-Encoding',
    'X-Content-Type-Options': 'nosniff',
  };
  if (compressed) headers['Content-Encoding'] = 'gzip';
  return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
}
