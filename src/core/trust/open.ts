/**
 * Opening one trust list: strict JWS decoding, the signature with a pinned anchor key or a federation
 * entry's key, the payload's shape, then the time and replay rules. Federation is one hop: a list
 * accepted through federation cannot vouch for another.
 */
import type { JWK } from 'jose';
import { ElicenceError } from '../errors.js';
import { type DecodedJws, decodeJws, verifyJwsSignature } from '../jws-verify.js';
import { type AnchorKeys, pinnedAnchors } from './anchors.js';
import { parseTrustListPayload } from './parse.js';
import { scopeAuthorities } from './scope.js';
import { type FederatedAnchor, type OpenedTrustList, TRUST_LIST_POLICY, type TrustedKey, type VerifiedTrustList } from './types.js';

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

/** ERR_TRUST_ANCHOR_UNKNOWN unless a list signed by a key pinned for `anchorId` names that anchor. */
export function checkAnchorBinding(opened: OpenedTrustList, anchorId: string | undefined): void {
  if (anchorId !== undefined && opened.anchorId !== anchorId) {
    throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list names ${opened.anchorId}, but its key is pinned for ${anchorId}`, { field: 'id' });
  }
}

/**
 * Verifies one trust list signed by a pinned anchor key (bound to the list's id when the pin names
 * one): ERR_JWS_* for a malformed or tampered token, ERR_TRUST_ANCHOR_UNKNOWN, ERR_TRUST_LIST_MALFORMED,
 * ERR_TRUST_LIST_NOT_YET_VALID, ERR_TRUST_LIST_EXPIRED (beyond the grace period) or ERR_TRUST_LIST_REPLAYED.
 */
export async function verifyTrustList(jws: unknown, options: VerifyTrustListOptions): Promise<VerifiedTrustList> {
  const decoded = decodeTrustList(jws);
  const anchor = (await pinnedAnchors(options.anchors)).byKid.get(decoded.header.kid);
  const key = anchor?.keys.get(decoded.header.kid);
  if (!anchor || !key) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by unknown key ${decoded.header.kid}`, { field: 'kid' });
  const opened = await openTrustList(decoded, key);
  checkAnchorBinding(opened, anchor.id);
  return { ...opened, ...checkTrustListTimes(opened, options), outOfScope: new Map() };
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
  return { ...federatedForm(opened, found), ...checkTrustListTimes(opened, options) };
}

/** A federated list as the acceptance rules see it: only the authorities inside the vouched scope. */
export function federatedForm(opened: OpenedTrustList, found: FederationKey): Omit<VerifiedTrustList, 'inGrace'> {
  const scoped = scopeAuthorities(opened, found.entry.scope, found.vouchedBy);
  return {
    ...opened,
    authorities: scoped.inScope,
    outOfScope: scoped.outOfScope,
    notes: [...opened.notes, ...scoped.notes],
    federation: { vouchedBy: found.vouchedBy, scope: found.entry.scope },
  };
}
