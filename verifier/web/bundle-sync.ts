/**
 * Fetching the verifier bundle (GET /verifier-bundle, docs/trust-anchor.md): a conditional request with
 * the stored ETag, `?since=` for a delta once a bundle is held, and the merge rule of the service's
 * docs (newest piece per status list URL, highest sequence per anchor). Merging looks at unverified
 * payload fields only to decide what to keep: a forged piece can at worst push out a genuine one and
 * make the answer STATUS_UNKNOWN or UNTRUSTED_ISSUER, never a wrong VALID, because verify() checks
 * every piece it uses.
 */
import { parseBundle, type VerifierBundle } from '../index.js';
import { jwsPayload } from './signed-times.js';
import type { StoredBundle } from './storage.js';

export const API_BASE: string = typeof __ELICENCE_API_BASE__ === 'undefined' ? '/' : __ELICENCE_API_BASE__;
declare const __ELICENCE_API_BASE__: string;

export const apiUrl = (path: string) => new URL(path, new URL(API_BASE, location.href)).toString();

export type SyncOutcome = { kind: 'updated'; stored: StoredBundle } | { kind: 'not-modified'; stored: StoredBundle };

export async function fetchBundle(previous: StoredBundle | undefined, now: number): Promise<SyncOutcome> {
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
  const bundle = delta ? mergeBundles(previous.bundle, received) : received;
  const etag = response.headers.get('ETag');
  return { kind: 'updated', stored: { bundle, syncedAt: now, ...(etag ? { etag } : {}) } };
}

const signedTime = (jws: string): number => {
  const payload = jwsPayload(jws);
  const iat = payload?.iat;
  return typeof iat === 'number' ? iat : 0;
};

const trustListKey = (jws: string): { id: string; sequence: number } => {
  const payload = jwsPayload(jws);
  return { id: typeof payload?.id === 'string' ? payload.id : jws, sequence: typeof payload?.sequence === 'number' ? payload.sequence : -1 };
};

/** Keeps the newest status list per URL and the highest-sequence trust list per anchor id. */
export function mergeBundles(base: VerifierBundle, delta: VerifierBundle): VerifierBundle {
  const status = new Map<string, VerifierBundle['statusLists'][number]>();
  for (const entry of [...base.statusLists, ...delta.statusLists]) {
    const held = status.get(entry.url);
    if (!held || signedTime(entry.jws) >= signedTime(held.jws)) status.set(entry.url, entry);
  }
  const trust = new Map<string, VerifierBundle['trustLists'][number]>();
  for (const entry of [...base.trustLists, ...delta.trustLists]) {
    const key = trustListKey(entry.jws);
    const held = trust.get(key.id);
    if (!held || key.sequence >= trustListKey(held.jws).sequence) trust.set(key.id, entry);
  }
  return { ...delta, trustLists: [...trust.values()], statusLists: [...status.values()] };
}
