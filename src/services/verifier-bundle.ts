/**
 * The verifier bundle this deployment serves (docs/trust-anchor.md §Bundle): the current trust list of
 * its anchor (if it is one) and the current signed status lists of every authority it hosts with the
 * status reasons document of each revocation list, each still as its own JWS, and the pieces it stored
 * from its peers (federated anchors' trust lists and status lists, docs/trust-anchor.md "Federation"),
 * unchanged. Refresh is incremental: the whole bundle has a weak ETag (If-None-Match gives 304), and
 * `since` (the previous bundle's `generatedAt`) returns only the pieces this deployment stored after
 * that moment (its own when it signed them, a peer's when it received them).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { type BundleStatusList, type BundleStatusReasons, type BundleTrustList, buildBundle, type VerifierBundle } from '../core/bundle.js';
import { formatDateTime } from '../core/dates.js';
import { base64url, utf8 } from '../core/encoding.js';
import type { ServiceDeps } from './ports.js';
import { publishedStatusList, statusListIdsOf, statusReasonsUrl } from './status-publishing.js';
import { deploymentTrustView, servablePeerPieces } from './trust/deployment-view.js';
import { currentTrustList } from './trust/publishing.js';

/**
 * A `since` request also returns pieces signed up to this long before it, so a piece committed just
 * after the previous bundle was assembled (with an earlier signing time) is not missed. Duplicates
 * are harmless: a verifier keeps the newest piece per URL / anchor.
 */
export const SINCE_OVERLAP_MS = 60_000;

export interface BundleOptions {
  /** Only pieces stored at or after this time (epoch ms), minus SINCE_OVERLAP_MS. */
  since?: number;
}

export interface BuiltBundle {
  bundle: VerifierBundle;
  /** Weak ETag over every current piece (not only those returned): unchanged pieces, same tag. */
  etag: string;
  /** True when `since` left pieces out: merge it into the previous bundle rather than replace it. */
  delta: boolean;
  /** How many pieces exist now, and how many were returned. */
  pieces: { total: number; returned: number };
}

interface Piece<T> {
  entry: T;
  /** When this deployment stored it: the signing time of its own pieces, the receipt time of a peer's. */
  signedAt: number;
}

/** Path of the trust list on this deployment (public, no token). */
export const TRUST_LIST_PATH = '/trust-list';

export async function buildVerifierBundle(deps: ServiceDeps, options: BundleOptions = {}): Promise<BuiltBundle> {
  const { store, clock, config } = deps;
  const now = clock.now();
  const fetchedAt = formatDateTime(now);

  const trust: Array<Piece<BundleTrustList>> = [];
  const list = await currentTrustList(deps);
  if (list) trust.push({ entry: { url: `${config.publicUrl}${TRUST_LIST_PATH}`, jws: list.jws, fetchedAt }, signedAt: list.issuedAt });

  const status: Array<Piece<BundleStatusList>> = [];
  const reasons: Array<Piece<BundleStatusReasons>> = [];
  for (const id of await statusListIdsOf(store.db)) {
    const published = await publishedStatusList(deps, id);
    if (!published) continue;
    status.push({ entry: { url: published.url, jws: published.jws, fetchedAt }, signedAt: published.publishedAt });
    // Signed in the same rebuild as its list, so `since` keeps or drops both together.
    if (published.reasonsJws) reasons.push({ entry: { url: statusReasonsUrl(published.url), jws: published.reasonsJws, fetchedAt }, signedAt: published.publishedAt });
  }

  // Peers' pieces (federated anchors, or the upstream anchor), unchanged, each dated by its receipt
  // here: a piece signed before an inspector's last sync but received after it must still reach them.
  const federated = await deploymentTrustView(deps, list);
  for (const piece of federated ? await servablePeerPieces(deps, federated) : []) {
    const entry = { ...(piece.url === null ? {} : { url: piece.url }), jws: piece.jws, fetchedAt: formatDateTime(piece.receivedAt) };
    if (piece.kind === 'trust-list') trust.push({ entry, signedAt: piece.receivedAt });
    else status.push({ entry: { ...entry, url: piece.url! }, signedAt: piece.receivedAt });
  }

  const all = [...trust, ...status, ...reasons];
  const etag = `W/"${base64url(sha256(utf8(all.map((p) => p.entry.jws).join('\n'))).subarray(0, 18))}"`;
  const since = options.since;
  const keep = <T>(pieces: Array<Piece<T>>) => pieces.filter((p) => since === undefined || p.signedAt >= since - SINCE_OVERLAP_MS).map((p) => p.entry);
  const bundle = buildBundle({ trustLists: keep(trust), statusLists: keep(status), statusReasons: keep(reasons), generatedAt: new Date(now) });
  const returned = bundle.trustLists.length + bundle.statusLists.length + (bundle.statusReasons?.length ?? 0);
  return { bundle, etag, delta: since !== undefined, pieces: { total: all.length, returned } };
}

/** Does an If-None-Match header name this (weak) ETag? Weak comparison, as RFC 9110 asks for GET. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
}
