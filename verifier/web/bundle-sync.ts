/**
 * Fetching the verifier bundle (GET /verifier-bundle, docs/trust-list.md "Bundle sync"): a conditional
 * request with the stored ETag, the patch protocol (`patches=1`: compact status copies and signed
 * status patches), `?since=` for a delta once a bundle is held, merged with the verifier library's
 * `mergeBundlesReport` (the same trust view and status rules verify() decides with). Lists no patch
 * could bring up to date are fetched again, just those (POST /verifier-bundle/lists). Province-only
 * asks for the pinned anchor's own authorities only. A piece from an authority not (yet) on the trust
 * list never fails a sync: it is kept until it can be checked, and verify() checks every piece it uses.
 */
import { mergeBundlesReport, parseBundle, type VerifierBundle, type VerifyOptions } from '../index.js';
import type { StoredBundle } from './storage.js';

export const API_BASE: string = typeof __ELICENCE_API_BASE__ === 'undefined' ? '/' : __ELICENCE_API_BASE__;
declare const __ELICENCE_API_BASE__: string;

export const apiUrl = (path: string) => new URL(path, new URL(API_BASE, location.href)).toString();

export type SyncOutcome = { kind: 'updated'; stored: StoredBundle; bytes: number; refetched: number } | { kind: 'not-modified'; stored: StoredBundle };

export interface SyncSettings {
  /** Province-only: the anchor whose own authorities' status data is kept (the pinned anchor id). */
  provinceOnly?: string | undefined;
}

const EMPTY: VerifierBundle = { version: 1, generatedAt: '1970-01-01T00:00:00Z', trustLists: [], statusLists: [] };

/** Fetches the bundle; a delta is merged with the verifier's own rules (`options`: anchors and state). */
export async function fetchBundle(previous: StoredBundle | undefined, now: number, options: VerifyOptions, settings: SyncSettings = {}): Promise<SyncOutcome> {
  const url = new URL(apiUrl('verifier-bundle'));
  url.searchParams.set('patches', '1');
  if (settings.provinceOnly !== undefined) url.searchParams.set('anchor', settings.provinceOnly);
  // A bundle kept under another setting is replaced, not merged.
  const held = previous && previous.provinceOnly === settings.provinceOnly ? previous : undefined;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (held) {
    url.searchParams.set('since', held.bundle.generatedAt);
    if (held.etag) headers['If-None-Match'] = held.etag;
  }
  const response = await fetch(url, { headers, cache: 'no-store' });
  if (response.status === 304 && held) return { kind: 'not-modified', stored: { ...held, syncedAt: now } };
  if (!response.ok) throw new Error(`verifier bundle: HTTP ${response.status}`);
  const text = await response.text();
  const received = parseBundle(text);
  const delta = response.headers.get('Elicence-Bundle') === 'delta' && held !== undefined;
  const merge = { ...options, now, provinceOnly: settings.provinceOnly !== undefined };
  let report = await mergeBundlesReport(delta ? held.bundle : EMPTY, received, merge);
  let refetched = 0;
  if (report.refetch.length > 0 && response.headers.get('Elicence-Bundle-Form') === 'patches') {
    const copies = await fetch(apiUrl('verifier-bundle/lists'), {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ urls: report.refetch }),
      cache: 'no-store',
    });
    if (copies.ok) {
      refetched = report.refetch.length;
      report = await mergeBundlesReport(report.bundle, parseBundle(await copies.text()), merge);
    }
  }
  const etag = response.headers.get('ETag');
  return {
    kind: 'updated',
    bytes: text.length,
    refetched,
    stored: { bundle: report.bundle, syncedAt: now, ...(etag ? { etag } : {}), ...(settings.provinceOnly === undefined ? {} : { provinceOnly: settings.provinceOnly }) },
  };
}
