/**
 * A loopback server for driving the inspectors' web app with bundles made in Node (the web app's own
 * files come from the real service app): `/.well-known/trust-anchor.json` and `GET /verifier-bundle`
 * answer what the test or benchmark sets, `POST /verifier-bundle/lists` too. Bodies go out gzipped when
 * the browser accepts it, as a real deployment would serve them, and the bytes sent are counted.
 */
import { gzipSync } from 'node:zlib';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { JWK } from 'jose';

export interface ServedBundle {
  /** The JSON text (packed bundle). */
  body: string;
  kind: 'full' | 'delta';
  etag?: string;
}

export interface BundleServerOptions {
  /** Serves everything else (the web app under /verify). */
  app: { fetch(request: Request): Response | Promise<Response> };
  anchor: { anchorId: string; keys: JWK[] };
  bundle(query: URLSearchParams): ServedBundle;
  lists?(urls: string[]): string;
}

export interface BundleServer {
  base: string;
  /** Bytes of bundle bodies sent (after gzip when the client accepted it), per request, in order. */
  sent: Array<{ path: string; bytes: number; raw: number }>;
  close(): Promise<void>;
}

const gzipCache = new WeakMap<object, Map<string, Uint8Array>>();
const KEY = {};

function body(
  c: { req: { header(name: string): string | undefined } },
  text: string,
  sent: BundleServer['sent'],
  path: string,
): { bytes: Uint8Array | string; headers: Record<string, string> } {
  const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
  if (!gzip) {
    sent.push({ path, bytes: Buffer.byteLength(text), raw: Buffer.byteLength(text) });
    return { bytes: text, headers: {} };
  }
  let cache = gzipCache.get(KEY);
  if (!cache) {
    cache = new Map();
    gzipCache.set(KEY, cache);
  }
  let zipped = cache.get(text);
  if (!zipped) {
    zipped = gzipSync(text, { level: 6 });
    if (cache.size > 8) cache.clear();
    cache.set(text, zipped);
  }
  sent.push({ path, bytes: zipped.length, raw: Buffer.byteLength(text) });
  return { bytes: zipped, headers: { 'Content-Encoding': 'gzip' } };
}

export async function startBundleServer(options: BundleServerOptions): Promise<BundleServer> {
  const sent: BundleServer['sent'] = [];
  const app = new Hono();
  app.get('/.well-known/trust-anchor.json', (c) => c.json(options.anchor));
  app.get('/verifier-bundle', (c) => {
    const served = options.bundle(new URL(c.req.url).searchParams);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'Elicence-Bundle': served.kind,
      'Elicence-Bundle-Form': 'patches',
      'Cache-Control': 'no-store',
      ...(served.etag ? { ETag: served.etag } : {}),
    };
    if (served.etag && c.req.header('if-none-match') === served.etag) return c.body(null, 304, headers);
    const out = body(c, served.body, sent, '/verifier-bundle');
    return c.body(out.bytes as string, 200, { ...headers, ...out.headers });
  });
  app.post('/verifier-bundle/lists', async (c) => {
    const { urls } = (await c.req.json()) as { urls: string[] };
    const text = options.lists ? options.lists(urls) : JSON.stringify({ version: 1, generatedAt: new Date().toISOString(), trustLists: [], statusLists: [] });
    const out = body(c, text, sent, '/verifier-bundle/lists');
    return c.body(out.bytes as string, 200, { 'Content-Type': 'application/json; charset=utf-8', ...out.headers });
  });
  app.all('*', (c) => options.app.fetch(c.req.raw));
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${address.port}`,
    sent,
    close: () =>
      new Promise((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
