/**
 * Edge cache for public GETs (JWKS, DID documents, status lists, trust list, verifier bundle) through
 * the Workers Cache API. The app decides what may be cached: only a 200 to an unauthenticated GET
 * whose Cache-Control is `public` with a positive `s-maxage` or `max-age` is stored, for that long
 * (the Cache API reads the same header). Responses that vary by Accept (a status list is vc+jwt or
 * JSON) are keyed by URL and Accept, since the Cache API does not honour Vary. A stored copy answers
 * If-None-Match with a 304 itself. Status lists are `max-age=0, must-revalidate` (a change must show
 * within a second), so they are never stored here; they are rebuilt only on change by the app anyway.
 */
import type { ExecutionContext } from './cloudflare.js';

export const EDGE_CACHE_HEADER = 'X-Edge-Cache';

/** Seconds a shared cache may keep a response, or 0 when it must not store it. */
export function sharedCacheSeconds(cacheControl: string | null): number {
  if (!cacheControl) return 0;
  const directives = new Map(
    cacheControl
      .toLowerCase()
      .split(',')
      .map((part) => part.trim().split('=') as [string, string | undefined]),
  );
  if (!directives.has('public') || directives.has('private') || directives.has('no-store') || directives.has('no-cache')) return 0;
  const seconds = Number(directives.get('s-maxage') ?? directives.get('max-age') ?? '0');
  return Number.isInteger(seconds) && seconds > 0 ? seconds : 0;
}

/** Only Accept (which the key includes) and Accept-Encoding (which the cache handles) may vary. */
function varyIsHandled(vary: string | null): boolean {
  if (!vary) return true;
  return vary.split(',').every((name) => ['accept', 'accept-encoding'].includes(name.trim().toLowerCase()));
}

function cacheKey(request: Request): Request {
  const url = new URL(request.url);
  url.searchParams.set('__edge_accept', (request.headers.get('Accept') ?? '').trim().toLowerCase());
  return new Request(url.toString(), { method: 'GET' });
}

function etagMatches(ifNoneMatch: string | null, etag: string | null): boolean {
  if (!ifNoneMatch || !etag) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
}

function withHeader(response: Response, name: string, value: string): Response {
  const copy = new Response(response.body, response);
  copy.headers.set(name, value);
  return copy;
}

function notModified(stored: Response): Response {
  const headers = new Headers();
  for (const name of ['ETag', 'Cache-Control', 'Vary', 'Last-Modified']) {
    const value = stored.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  headers.set(EDGE_CACHE_HEADER, 'HIT');
  return new Response(null, { status: 304, headers });
}

/** Answers a public GET from `cache` when it can, otherwise from `origin`, storing what the app allows. */
export async function edgeCached(
  request: Request,
  ctx: Pick<ExecutionContext, 'waitUntil'>,
  cache: Cache | undefined,
  origin: (request: Request) => Promise<Response>,
): Promise<Response> {
  if (!cache || request.method !== 'GET' || request.headers.has('Authorization') || request.headers.has('Cookie')) return origin(request);
  const key = cacheKey(request);
  const stored = await cache.match(key);
  if (stored) {
    if (etagMatches(request.headers.get('If-None-Match'), stored.headers.get('ETag'))) return notModified(stored);
    return withHeader(stored, EDGE_CACHE_HEADER, 'HIT');
  }
  const response = await origin(request);
  if (response.status !== 200 || response.headers.has('Set-Cookie') || !varyIsHandled(response.headers.get('Vary'))) return response;
  if (sharedCacheSeconds(response.headers.get('Cache-Control')) === 0) return response;
  ctx.waitUntil(cache.put(key, response.clone()));
  return withHeader(response, EDGE_CACHE_HEADER, 'MISS');
}
