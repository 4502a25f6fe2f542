/**
 * Pinned trust anchors: the only keys a verifier trusts on its own, each bound to one anchor id, so a
 * list signed by a pinned key counts only for the anchor that key belongs to (docs/trust-list.md,
 * "Pinned keys belong to an anchor id"). Accepted forms:
 *   - `{ "anchorId": "did:web:…", "keys": [JWK…] }`, as served at /.well-known/trust-anchor.json;
 *   - `[{ "id": "did:web:…", "keys": [JWK…] }, …]`, several anchors at once (`anchorId` works too,
 *     so several trust-anchor.json documents can be given as one array);
 *   - a bare JWKS `{ "keys": [...] }` or an array of JWKs (files from before anchor ids): its keys
 *     are bound to the id of the first list they accept, and that binding is kept in the state.
 */
import type { JWK } from 'jose';
import { checkPublicJwk } from '../algorithms.js';
import { ElicenceError } from '../errors.js';
import { jwkThumbprint } from '../jws-sign.js';
import { isRecord } from '../strict-json.js';

/** What a caller pins: one anchor's keys (with or without its id), or several anchors. */
export type AnchorKeys = { anchorId?: string; keys: readonly JWK[] } | readonly JWK[] | ReadonlyArray<{ id?: string; keys: readonly JWK[] }>;

/** One pinned anchor: its id when known, and its keys by RFC 7638 thumbprint. */
export interface PinnedAnchor {
  id: string | undefined;
  keys: ReadonlyMap<string, JWK & { kid: string }>;
}

export interface PinnedAnchors {
  anchors: readonly PinnedAnchor[];
  /** Every pinned key's anchor, by kid. */
  byKid: ReadonlyMap<string, PinnedAnchor>;
  /** Keys left out: of an algorithm this build does not know, or unusable. */
  skipped: readonly string[];
}

const MAX_ANCHOR_ID = 512;

/** The anchors in `input` as groups of raw keys with their ids (shape only). */
function groupsOf(input: unknown): Array<{ id: string | undefined; keys: unknown[] }> {
  const group = (id: unknown, keys: unknown) => ({
    id: typeof id === 'string' && id.length > 0 && id.length <= MAX_ANCHOR_ID ? id : undefined,
    keys: Array.isArray(keys) ? keys : [],
  });
  if (Array.isArray(input)) {
    // [{ id, keys }] when the elements carry key arrays; otherwise an array of JWKs (one anchor).
    if (input.length > 0 && input.every((g) => isRecord(g) && Array.isArray(g.keys))) return input.map((g) => group(g.id ?? g.anchorId, g.keys));
    return [group(undefined, input)];
  }
  if (isRecord(input)) return [group(input.anchorId, input.keys)];
  return [];
}

const cache = new Map<string, Promise<PinnedAnchors>>();
const MAX_CACHED = 64;

/**
 * Normalises pinned anchors: keys indexed by thumbprint (a `kid` that disagrees is ignored), keys of
 * unknown algorithms or with private members skipped. A key pinned under two ids belongs to neither.
 * Memoised by content: callers often rebuild the options per call.
 */
export function pinnedAnchors(input: AnchorKeys | unknown): Promise<PinnedAnchors> {
  const groups = groupsOf(input);
  const identity = JSON.stringify(groups.map((g) => [g.id ?? null, g.keys.map((k) => (isRecord(k) ? [k.kty, k.crv, k.x, k.y] : null))]));
  let cached = cache.get(identity);
  if (!cached) {
    cached = build(groups);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(identity, cached);
  }
  return cached;
}

async function build(groups: Array<{ id: string | undefined; keys: unknown[] }>): Promise<PinnedAnchors> {
  const anchors: PinnedAnchor[] = [];
  const byKid = new Map<string, PinnedAnchor>();
  const conflicting = new Set<string>();
  const skipped: string[] = [];
  for (const group of groups) {
    const keys = new Map<string, JWK & { kid: string }>();
    const anchor: PinnedAnchor = { id: group.id, keys };
    for (const raw of group.keys) {
      const checked = isRecord(raw) ? checkPublicJwk(raw) : undefined;
      if (!checked?.ok) {
        skipped.push(`pinned key ${isRecord(raw) ? String(raw.kid ?? raw.x) : '?'}: ${checked ? checked.problem : 'not a JWK'}`);
        continue;
      }
      const kid = await jwkThumbprint(checked.jwk);
      keys.set(kid, { ...checked.jwk, kid });
      // The same key pinned twice: an id beats no id; two different ids trust neither.
      const owner = byKid.get(kid);
      if (!owner || owner.id === undefined) byKid.set(kid, anchor);
      else if (anchor.id !== undefined && anchor.id !== owner.id) conflicting.add(kid);
    }
    anchors.push(anchor);
  }
  for (const kid of conflicting) {
    byKid.delete(kid);
    skipped.push(`pinned key ${kid}: pinned for two different anchors, trusted for neither`);
  }
  return { anchors, byKid, skipped };
}

/**
 * Reads a pinned-anchors document (a file or /.well-known/trust-anchor.json) strictly: private key
 * material anywhere refuses it (ERR_JWKS_PRIVATE_KEY), so does a document with no usable key
 * (ERR_JWKS_INVALID). Keys of unknown algorithms are skipped.
 */
export async function readPinnedAnchors(document: unknown, label: string): Promise<{ anchors: Array<{ id?: string; keys: JWK[] }>; skipped: string[] }> {
  const groups = groupsOf(document);
  if (groups.length === 0 || groups.every((g) => g.keys.length === 0)) {
    throw new ElicenceError('ERR_JWKS_INVALID', `${label}: expected { "anchorId", "keys": [...] }, a JWKS, an array of JWKs or [{ "id", "keys" }], with at least one key`, {
      field: 'anchors',
    });
  }
  for (const group of groups) {
    for (const [i, key] of group.keys.entries()) {
      if (!isRecord(key)) throw new ElicenceError('ERR_JWKS_INVALID', `${label}: key ${i} is not a JWK object`, { field: 'anchors' });
      const checked = checkPublicJwk(key);
      if (!checked.ok && checked.problem === 'private-member') {
        throw new ElicenceError('ERR_JWKS_PRIVATE_KEY', `${label}: key ${i} carries private key material; pin public keys only`, { field: 'anchors' });
      }
      if (!checked.ok && checked.problem === 'bad-coordinates') throw new ElicenceError('ERR_JWKS_INVALID', `${label}: key ${i} is not a usable public key`, { field: 'anchors' });
    }
  }
  const pinned = await pinnedAnchors(groups.map((g) => ({ ...(g.id === undefined ? {} : { id: g.id }), keys: g.keys as JWK[] })));
  if (pinned.byKid.size === 0) throw new ElicenceError('ERR_JWKS_INVALID', `${label}: no key of a known algorithm (${pinned.skipped.join('; ')})`, { field: 'anchors' });
  return {
    anchors: pinned.anchors.filter((a) => a.keys.size > 0).map((a) => ({ ...(a.id === undefined ? {} : { id: a.id }), keys: [...a.keys.values()] })),
    skipped: [...pinned.skipped],
  };
}
