/**
 * Opening one trust list: strict JWS decoding, the signature with a pinned anchor key or a federation
 * entry's key, the payload's shape, then the time and replay rules. Federation is one hop: a list
 * accepted through federation cannot vouch for another.
 */
import type { JWK } from 'jose';
import { ElicenceError } from '../errors.js';
import { jwkThumbprint, publicJwk } from '../jws-sign.js';
import { decodeJws, verifyJwsSignature, type DecodedJws } from '../jws-verify.js';
import { parseTrustListPayload } from './parse.js';
import { TRUST_LIST_POLICY, type FederatedAnchor, type OpenedTrustList, type TrustedKey, type VerifiedTrustList } from './types.js';

/** Pinned anchor keys: a JWKS or an array of public JWKs (kid optional: the thumbprint is used). */
export type AnchorKeys = { keys: readonly JWK[] } | readonly JWK[];

const anchorCache = new Map<string, Promise<Map<string, JWK>>>();
const MAX_CACHED_ANCHOR_SETS = 64;

/** Indexes pinned anchor keys by RFC 7638 thumbprint (a `kid` that disagrees is ignored). */
export function anchorKeyMap(anchors: AnchorKeys): Promise<Map<string, JWK>> {
  const raw: unknown = Array.isArray(anchors) ? anchors : (anchors as { keys?: unknown } | null | undefined)?.keys;
  const list: JWK[] = Array.isArray(raw) ? raw.filter((k): k is JWK => typeof k === 'object' && k !== null) : [];
  // Cached by key material, not by object identity: callers often rebuild the options per call.
  const identity = list.map((k) => `${String(k.kty)}|${String(k.crv)}|${String(k.x)}|${String(k.y)}`).join('\n');
  let cached = anchorCache.get(identity);
  if (!cached) {
    cached = (async () => {
      const map = new Map<string, JWK>();
      for (const jwk of list) {
        try {
          const kid = await jwkThumbprint(jwk);
          map.set(kid, { ...publicJwk(jwk), kid });
        } catch {
          // An unusable configured key trusts nothing.
        }
      }
      return map;
    })();
    if (anchorCache.size >= MAX_CACHED_ANCHOR_SETS) anchorCache.clear();
    anchorCache.set(identity, cached);
  }
  return cached;
}

/** Decodes a trust list JWS strictly and returns its header (to pick the key) without trusting it. */
export function decodeTrustList(jws: unknown): DecodedJws {
  return decodeJws(jws, TRUST_LIST_POLICY);
}

/** Checks a decoded trust list's signature with `key` and its payload's shape. */
export async function openTrustList(decoded: DecodedJws, key: JWK): Promise<OpenedTrustList> {
  await verifyJwsSignature(decoded, key);
  return { ...(await parseTrustListPayload(decoded.payload)), signedBy: decoded.header.kid };
}

export interface TrustListTimeOptions {
  /** Verification time, epoch ms. */
  now: number;
  /** How long after `expiresAt` a list is still accepted (seconds, default 86,400). */
  graceSeconds?: number;
  /** Tolerated clock difference for `issuedAt` in the future (seconds, default 300). */
  skewSeconds?: number;
  /** The highest sequence already seen from this anchor; older lists are refused. */
  minSequence?: number;
}

export const DEFAULT_TRUST_LIST_GRACE_SECONDS = 86_400;
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

/** Applies the time and replay rules. Returns whether the list is in its grace period. */
export function checkTrustListTimes(list: OpenedTrustList, options: TrustListTimeOptions): { inGrace: boolean } {
  const grace = (options.graceSeconds ?? DEFAULT_TRUST_LIST_GRACE_SECONDS) * 1000;
  const skew = (options.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  if (list.issuedAt > options.now + skew) {
    throw new ElicenceError('ERR_TRUST_LIST_NOT_YET_VALID', `trust list ${list.anchorId} #${list.sequence} is issued in the future`);
  }
  if (options.now > list.expiresAt + grace) {
    throw new ElicenceError('ERR_TRUST_LIST_EXPIRED', `trust list ${list.anchorId} #${list.sequence} expired at ${list.payload.expiresAt}`);
  }
  if (options.minSequence !== undefined && list.sequence < options.minSequence) {
    throw new ElicenceError('ERR_TRUST_LIST_REPLAYED', `trust list ${list.anchorId} #${list.sequence} is older than #${options.minSequence} already seen`);
  }
  return { inGrace: options.now > list.expiresAt };
}

export interface VerifyTrustListOptions extends TrustListTimeOptions {
  anchors: AnchorKeys;
}

/**
 * Verifies a trust list signed by one of the pinned anchor keys: ERR_JWS_* for a malformed or
 * tampered token, ERR_TRUST_ANCHOR_UNKNOWN, ERR_TRUST_LIST_MALFORMED, ERR_TRUST_LIST_NOT_YET_VALID,
 * ERR_TRUST_LIST_EXPIRED (beyond the grace period) or ERR_TRUST_LIST_REPLAYED.
 */
export async function verifyTrustList(jws: unknown, options: VerifyTrustListOptions): Promise<VerifiedTrustList> {
  const decoded = decodeTrustList(jws);
  const key = (await anchorKeyMap(options.anchors)).get(decoded.header.kid);
  if (!key) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by unknown key ${decoded.header.kid}`, { field: 'kid' });
  const opened = await openTrustList(decoded, key);
  return { ...opened, ...checkTrustListTimes(opened, options) };
}

export interface FederationKey {
  entry: FederatedAnchor;
  key: TrustedKey;
  vouchedBy: string;
}

/** The federation entry (and key) under which `decoded` would be accepted, or undefined. */
export function findFederationKey(decoded: DecodedJws, vouching: readonly VerifiedTrustList[]): FederationKey | undefined {
  for (const list of vouching) {
    if (list.federation) continue; // one hop only: a federated list cannot vouch further
    for (const entry of list.federatedAnchors) {
      const key = entry.keys.get(decoded.header.kid);
      if (key) return { entry, key, vouchedBy: list.anchorId };
    }
  }
  return undefined;
}

export function keyValidAt(key: TrustedKey, atMs: number): boolean {
  return atMs >= key.validFrom && (key.validUntil === undefined || atMs < key.validUntil);
}

/**
 * The federation rules for an opened list: the list names the entry's anchor id and the entry's key
 * was valid at its `issuedAt`. Throws ERR_TRUST_ANCHOR_UNKNOWN otherwise.
 */
export function checkFederation(opened: OpenedTrustList, found: FederationKey): void {
  if (opened.anchorId !== found.entry.id) {
    throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list names ${opened.anchorId}, but its key belongs to ${found.entry.id}`);
  }
  if (!keyValidAt(found.key, opened.issuedAt)) {
    throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `federated anchor key ${found.key.kid} was not valid when the list was issued`);
  }
}

/**
 * Verifies a trust list published by an anchor that a directly trusted list federates with. The
 * signing key must be in that federation entry and valid at the list's `issuedAt`; the list must
 * name the same anchor id; its own federation entries are ignored (no transitive trust).
 */
export async function verifyFederatedTrustList(jws: unknown, vouching: readonly VerifiedTrustList[], options: TrustListTimeOptions): Promise<VerifiedTrustList> {
  const decoded = decodeTrustList(jws);
  const found = findFederationKey(decoded, vouching);
  if (!found) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by unknown key ${decoded.header.kid}`, { field: 'kid' });
  const opened = await openTrustList(decoded, found.key.jwk);
  checkFederation(opened, found);
  return { ...opened, ...checkTrustListTimes(opened, options), federation: { vouchedBy: found.vouchedBy, scope: found.entry.scope } };
}
