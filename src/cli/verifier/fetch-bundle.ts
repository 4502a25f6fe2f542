/**
 * Fetching a verifier bundle over HTTP(S) for `sync`: only http: and https: URLs (no embedded
 * credentials), a timeout over the whole exchange, a byte cap enforced while reading, and the
 * conditional / incremental request the service offers (If-None-Match, `?since=`). See
 * docs/trust-anchor.md §The verifier bundle and its refresh.
 */
import { readStreamCapped } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';

export const BUNDLE_PATH = '/verifier-bundle';

/** The bundle URL for a service base URL or a bundle URL (`.../verifier-bundle`, also `/v1/...`). */
export function bundleUrlOf(given: string): URL {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new ElicenceError('ERR_VALIDATION', `not a URL: ${JSON.stringify(given)}`, { field: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ElicenceError('ERR_VALIDATION', `only http: and https: URLs can be synced, not ${url.protocol}`, { field: 'url' });
  if (url.username || url.password) throw new ElicenceError('ERR_VALIDATION', 'the URL must not carry a user name or password', { field: 'url' });
  url.hash = '';
  for (const name of ['since', 'patches', 'anchor']) url.searchParams.delete(name);
  if (!url.pathname.endsWith(BUNDLE_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${BUNDLE_PATH}`;
  return url;
}

export type FetchedBundle =
  | { status: 'not-modified'; etag?: string }
  /** `patches`: the service answered in the patch protocol (Elicence-Bundle-Form: patches). */
  | { status: 'ok'; bytes: Uint8Array; etag?: string; delta: boolean; patches: boolean };

export interface FetchBundleOptions {
  fetch: typeof globalThis.fetch;
  etag?: string;
  /** The previous bundle's generatedAt: ask for only what changed since. */
  since?: string;
  /** Province-only: the status data of this anchor's own authorities. */
  anchor?: string;
  timeoutMs: number;
  maxBytes: number;
}

function failed(message: string, cause?: unknown): ElicenceError {
  return new ElicenceError('ERR_FETCH_FAILED', message, cause === undefined ? {} : { cause });
}

async function readCapped(response: Response, maxBytes: number, where: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw failed(`${where}: response is ${declared} bytes, more than the ${maxBytes} allowed (--max-bytes)`);
  }
  if (!response.body) return new Uint8Array(0);
  const bytes = await readStreamCapped(response.body, maxBytes);
  if (!bytes) throw failed(`${where}: response is more than the ${maxBytes} bytes allowed (--max-bytes)`);
  return bytes;
}

export async function fetchBundle(url: URL, options: FetchBundleOptions): Promise<FetchedBundle> {
  const target = new URL(url);
  // The patch protocol (docs/trust-list.md, "Bundle sync"); a service that does not know it answers as before.
  target.searchParams.set('patches', '1');
  if (options.since !== undefined) target.searchParams.set('since', options.since);
  if (options.anchor !== undefined) target.searchParams.set('anchor', options.anchor);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.etag !== undefined) headers['If-None-Match'] = options.etag;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const where = target.href;
  try {
    const response = await options.fetch(target, { headers, signal, redirect: 'follow' });
    const finalUrl = response.url ? new URL(response.url) : target;
    if (finalUrl.protocol !== 'http:' && finalUrl.protocol !== 'https:') throw failed(`${where}: redirected to a ${finalUrl.protocol} URL`);
    const etag = response.headers.get('etag') ?? undefined;
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: 'not-modified', ...(etag === undefined ? {} : { etag }) };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw failed(`${where}: HTTP ${response.status} ${response.statusText}`.trim());
    }
    const bytes = await readCapped(response, options.maxBytes, where);
    const delta = response.headers.get('elicence-bundle') === 'delta';
    const patches = response.headers.get('elicence-bundle-form') === 'patches';
    return { status: 'ok', bytes, delta, patches, ...(etag === undefined ? {} : { etag }) };
  } catch (error) {
    if (error instanceof ElicenceError) throw error;
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw failed(
      timedOut
        ? `${where}: no complete answer within ${options.timeoutMs / 1000} s (--timeout)`
        : `${where}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
      error,
    );
  }
}

/**
 * `POST <bundle URL>/lists` with `{ urls }`: full copies of the lists a patch could not bring up to
 * date (docs/trust-list.md, "Bundle sync"). Same limits as the bundle fetch.
 */
export async function fetchListCopies(url: URL, urls: readonly string[], options: Pick<FetchBundleOptions, 'fetch' | 'timeoutMs' | 'maxBytes'>): Promise<Uint8Array> {
  const target = new URL(url);
  target.search = '';
  target.pathname = `${target.pathname.replace(/\/+$/, '')}/lists`;
  const where = `POST ${target.href}`;
  try {
    const response = await options.fetch(target, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ urls }),
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'error',
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw failed(`${where}: HTTP ${response.status} ${response.statusText}`.trim());
    }
    return await readCapped(response, options.maxBytes, where);
  } catch (error) {
    if (error instanceof ElicenceError) throw error;
    throw failed(`${where}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`, error);
  }
}
