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
import {
  type BundleStatusCopies,
  type BundleStatusList,
  type BundleStatusPatch,
  type BundleStatusReasons,
  type BundleTrustList,
  buildBundle,
  type VerifierBundle,
} from '../core/bundle.js';
import { formatDateTime } from '../core/dates.js';
import { base64url, utf8 } from '../core/encoding.js';
import { peekStatusPatch } from '../core/trust/status-patches.js';
import type { peerStatus as peerStatusTable, statusCuts } from '../db/schema.js';

type PeerStatusRow = typeof peerStatusTable.$inferSelect;

import { type Authority, listAuthorities } from './authorities.js';
import type { ServiceDeps } from './ports.js';
import { statusListUrl } from './status-allocation.js';
import { copyOfCut, currentTail, cutIfDue, cutsOf, latestPatch, patchesSince, STATUS_PATCH_RETENTION_MS, type StoredPatch } from './status-cuts.js';
import { publishedStatusList, statusListIdsOf, statusReasonsUrl } from './status-publishing.js';
import { type DeploymentTrust, deploymentTrustView, servablePeerPieces } from './trust/deployment-view.js';
import { peerMayName, type StoredPiece } from './trust/peer-pieces.js';
import { servedPeerStatus } from './trust/peer-status.js';
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

/** Options of the patch protocol (`GET /verifier-bundle?patches=1`, docs/trust-list.md "Bundle sync"). */
export interface PatchBundleOptions {
  /** The previous bundle's generatedAt (epoch ms): a delta, unless older than 7 days. */
  since?: number;
  /** Province-only: the status data of the authorities this anchor lists directly, and only its trust lists. */
  anchor?: string;
}

/** Cut patches and manifests older than this are gone: a client that missed more gets a full bundle. */
export { STATUS_PATCH_RETENTION_MS } from './status-cuts.js';

interface HostedStatus {
  authority: Authority;
  manifest: StoredPatch;
  tail: StoredPatch | undefined;
  cuts: Map<string, typeof statusCuts.$inferSelect>;
}

/** Every hosted authority's status patches, cut first when a cut is due. */
async function hostedStatus(deps: ServiceDeps, include: (did: string) => boolean): Promise<HostedStatus[]> {
  const out: HostedStatus[] = [];
  for (const authority of await listAuthorities(deps.store.db)) {
    if (!include(authority.did)) continue;
    await cutIfDue(deps, authority);
    const manifest = await latestPatch(deps.store.db, authority.id, 'manifest');
    if (!manifest) continue;
    out.push({ authority, manifest, tail: await currentTail(deps, authority), cuts: await cutsOf(deps.store.db, authority.id) });
  }
  return out;
}

const isoAt = (ms: number) => formatDateTime(ms);

function copiesGroup(deps: ServiceDeps, hosted: HostedStatus, only?: (cut: typeof statusCuts.$inferSelect) => boolean): BundleStatusCopies | undefined {
  const lists = [...hosted.cuts.values()].filter((cut) => only === undefined || only(cut)).map((cut) => copyOfCut(cut, statusListUrl(deps.config.publicUrl, cut.listId)));
  return lists.length === 0 ? undefined : { jws: hosted.manifest.jws, fetchedAt: isoAt(hosted.manifest.issuedAt), lists };
}

const copiesBytes = (group: BundleStatusCopies | undefined) =>
  group ? group.jws.length + group.lists.reduce((n, l) => n + l.set.length + (l.reasons?.length ?? 0) + l.url.length + 40, 0) : 0;

/**
 * Peer status rows this deployment may serve: the peer still speaks for the issuer in its view (and the
 * issuer is wanted), and every list the row names is one the issuer may speak about (`peerMayName`;
 * checked when stored, and here again for rows stored before that check).
 */
function servablePeerStatus(deps: ServiceDeps, trust: DeploymentTrust | undefined, include: (did: string) => boolean): (row: PeerStatusRow) => boolean {
  if (!trust) return () => false;
  const mayName = peerMayName(deps.config.publicUrl);
  const urlsOf = (row: PeerStatusRow): string[] => {
    if (row.kind === 'copy') return [row.url ?? ''];
    const peeked = peekStatusPatch(row.jws);
    return peeked.ok ? [...peeked.value.patch.changes.keys(), ...peeked.value.patch.current.keys()] : [''];
  };
  return (row) => {
    if (!include(row.issuer)) return false;
    const acceptance = trust.view.accept({ issuerId: row.issuer, kid: '', issuedAt: 0 });
    return acceptance.list?.anchorId === row.peerId && urlsOf(row).every((url) => mayName(url, row.issuer));
  };
}

/** Who lists an issuer in this deployment's trust view (its anchor id), when there is a view. */
async function speakerOf(deps: ServiceDeps): Promise<(did: string) => string | undefined> {
  const trust = await deploymentTrustView(deps);
  if (!trust) return () => undefined;
  return (did) => trust.view.accept({ issuerId: did, kid: '', issuedAt: 0 }).list?.anchorId;
}

/**
 * The verifier bundle of the patch protocol: trust lists; per hosted authority its copies at the last cut
 * (attested by the cut's manifest) and its tail; with `since` (within 7 days) only what was stored since:
 * the cut patches, the newest tail, copies of lists first cut since then, and an authority's full copies
 * instead of its patches when those would be larger. Peers that send patches travel the same way.
 */
export async function buildPatchBundle(deps: ServiceDeps, options: PatchBundleOptions = {}): Promise<BuiltBundle> {
  const now = deps.clock.now();
  const fetchedAt = formatDateTime(now);
  const since = options.since !== undefined && options.since >= now - STATUS_PATCH_RETENTION_MS ? options.since - SINCE_OVERLAP_MS : undefined;
  const list = await currentTrustList(deps);
  const federated = await deploymentTrustView(deps, list);
  const speaker = options.anchor === undefined ? undefined : await speakerOf(deps);
  const include = (did: string) => speaker === undefined || speaker(did) === options.anchor;
  const ownAnchor = federated?.anchorId;
  const trustWanted = (anchorId: string | undefined) => options.anchor === undefined || anchorId === options.anchor || anchorId === ownAnchor;

  const trust: Array<Piece<BundleTrustList>> = [];
  if (list && trustWanted(ownAnchor)) trust.push({ entry: { url: `${deps.config.publicUrl}${TRUST_LIST_PATH}`, jws: list.jws, fetchedAt }, signedAt: list.issuedAt });
  const peerStatus: StoredPiece[] = [];
  for (const piece of federated ? await servablePeerPieces(deps, federated) : []) {
    const entry = { ...(piece.url === null ? {} : { url: piece.url }), jws: piece.jws, fetchedAt: formatDateTime(piece.receivedAt) };
    if (piece.kind === 'trust-list') {
      if (trustWanted(piece.key.slice('trust:'.length))) trust.push({ entry, signedAt: piece.receivedAt });
    } else if (piece.issuer !== null && include(piece.issuer)) peerStatus.push(piece);
  }

  const hosted = await hostedStatus(deps, include);
  const patches: BundleStatusPatch[] = [];
  const copies: BundleStatusCopies[] = [];
  // Peers that speak patches: their status data as this deployment keeps it (peer-status.ts).
  const servable = servablePeerStatus(deps, federated, include);
  const peerPatched = await servedPeerStatus(deps.store.db, { ...(since === undefined ? {} : { since, sinceExact: options.since! }), servable });
  copies.push(...peerPatched.statusCopies);
  patches.push(...peerPatched.statusPatches);
  for (const h of hosted) {
    const full = copiesGroup(deps, h);
    if (since === undefined) {
      if (full) copies.push(full);
    } else {
      const cutsSince = await patchesSince(deps.store.db, h.authority.id, 'cut', since);
      // Lists first cut after the client's bundle (no overlap here: a list it missed is asked for again, POST /verifier-bundle/lists).
      const fresh = copiesGroup(deps, h, (cut) => cut.firstCutAt > options.since!);
      const chainBytes = cutsSince.reduce((n, p) => n + p.jws.length, 0);
      if (full && chainBytes > copiesBytes(full)) copies.push(full);
      else {
        for (const p of cutsSince) patches.push({ jws: p.jws, fetchedAt: isoAt(p.issuedAt) });
        if (fresh) copies.push(fresh);
      }
    }
    if (h.tail && (since === undefined || h.tail.issuedAt >= since)) patches.push({ jws: h.tail.jws, fetchedAt: isoAt(h.tail.issuedAt) });
  }
  // Peers that do not send patches: their W3C lists, as in the first protocol.
  const peerLists = peerStatus
    .filter((p) => !peerPatched.issuers.has(p.issuer!) && (since === undefined || p.receivedAt >= since))
    .map((p) => ({ url: p.url!, jws: p.jws, fetchedAt: formatDateTime(p.receivedAt) }));
  const keptTrust = trust.filter((p) => since === undefined || p.signedAt >= since).map((p) => p.entry);

  const tagged = [
    ...trust.map((p) => p.entry.jws),
    ...hosted.flatMap((h) => [h.manifest.jws, h.tail?.jws ?? '']),
    ...peerStatus.map((p) => p.jws),
    ...peerPatched.tag,
    `anchor=${options.anchor ?? ''}`,
  ];
  const etag = `W/"p${base64url(sha256(utf8(tagged.join('\n'))).subarray(0, 18))}"`;
  const bundle = buildBundle({
    trustLists: keptTrust,
    statusLists: peerLists,
    statusPatches: patches,
    statusCopies: copies,
    generatedAt: new Date(now),
  });
  const total = trust.length + hosted.reduce((n, h) => n + 1 + (h.tail ? 1 : 0), 0) + peerStatus.length;
  const returned = keptTrust.length + peerLists.length + patches.length + copies.length;
  return { bundle, etag, delta: since !== undefined, pieces: { total, returned } };
}

/** Most list URLs one `POST /verifier-bundle/lists` may name. */
export const MAX_LISTS_PER_REQUEST = 10_000;

/**
 * Full copies of just these lists (`POST /verifier-bundle/lists`): for a client whose copy a patch
 * could not bring up to date. Each comes with the manifest that attests it and its authority's tail;
 * URLs this deployment does not serve are left out.
 */
export async function statusCopiesFor(deps: ServiceDeps, urls: readonly string[]): Promise<VerifierBundle> {
  const prefix = `${deps.config.publicUrl}/status/`;
  const wanted = new Set(urls.filter((u) => u.startsWith(prefix)).map((u) => u.slice(prefix.length)));
  const byAuthority = new Set([...wanted].map((id) => id.split('/')[0]!));
  const hosted = await hostedStatus(deps, () => true);
  const copies: BundleStatusCopies[] = [];
  const patches: BundleStatusPatch[] = [];
  for (const h of hosted) {
    if (!byAuthority.has(h.authority.id)) continue;
    const group = copiesGroup(deps, h, (cut) => wanted.has(cut.listId));
    if (group) copies.push(group);
    if (h.tail) patches.push({ jws: h.tail.jws, fetchedAt: isoAt(h.tail.issuedAt) });
  }
  // Peers' lists, as this deployment keeps them, with their issuers' newest patches.
  const asked = new Set(urls);
  const servable = servablePeerStatus(deps, await deploymentTrustView(deps), () => true);
  const copyRows = await servedPeerStatus(deps.store.db, { servable: (row) => servable(row) && row.kind === 'copy' && asked.has(row.url!) });
  const issuers = new Set([...copyRows.issuers]);
  const kept = await servedPeerStatus(deps.store.db, { servable: (row) => servable(row) && row.kind === 'patch' && issuers.has(row.issuer) });
  copies.push(...copyRows.statusCopies);
  patches.push(...kept.statusPatches);
  return buildBundle({ trustLists: [], statusLists: [], statusPatches: patches, statusCopies: copies, generatedAt: new Date(deps.clock.now()) });
}
