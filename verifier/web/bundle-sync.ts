/**
 * Fetching the verifier bundle (GET /verifier-bundle, docs/trust-anchor.md): a conditional request with
 * the stored ETag, `?since=` for a delta once a bundle is held, merged with the verifier library's
 * `mergeBundles` (the same trust view verify() decides with). A piece from an authority not (yet) on
 * the trust list never fails a sync: it is kept until it can be checked, and verify() checks every
 * piece it uses.
 */
import { mergeBundles, parseBundle, type VerifyOptions } from '../index.js';
import type { StoredBundle } from './storage.js';

export const API_BASE: string = typeof __ELICENCE_API_BASE__ === 'undefined' ? '/' : __ELICENCE_API_BASE__;
declare const __ELICENCE_API_BASE__: string;

export const apiUrl = (path: string) => new URL(path, new URL(API_BASE, location.href)).toString();

export type SyncOutcome = { kind: 'updated'; stored: StoredBundle } | { kind: 'not-modified'; stored: StoredBundle };

/** Fetches the bundle; a delta is merged with the verifier's own rules (`options`: anchors and state). */
export async function fetchBundle(previous: StoredBundle | undefined, now: number, options: VerifyOptions): Promise<SyncOutcome> {
  const url = new URL(apiUrl('verifier-bundle'));
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (previous) {
    url.searchParams.set('since', previous.bundle.generatedAt);
    if (previous.etag) headers['If-None-Match'] = previous.etag;
  }
  const response = await fetch(url, { headers, cache: 'no-store' });
  if (response.status === 304 && previous) return { kind: 'not-modified', stored: { ...previous, syncedAt: now } };
  if (!response.ok) throw new Error(`verifier bundle: HTTP ${response.status}`);
  const received = parseBundle(await response.text());
  const delta = response.headers.get('Elicence-Bundle') === 'delta' && previous !== undefined;
  const bundle = delta ? await mergeBundles(previous.bundle, received, { ...options, now }) : received;
  const etag = response.headers.get('ETag');
  return { kind: 'updated', stored: { bundle, syncedAt: now, ...(etag ? { etag } : {}) } };
}
