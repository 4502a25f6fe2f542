/**
 * The trust view this deployment decides with, built by the same core operation every verifier runs
 * (`acceptTrustLists`): on an anchor, its own current list with its own keys pinned, plus the stored
 * lists of the peers it federates (accepted only through its own list's federation entries, inside the
 * scope it granted); on a deployment that is not an anchor, the stored lists of its configured upstream
 * anchor, with that anchor's keys pinned. The VC API's verification, the issuance check of a deployment
 * under an upstream anchor, the peer refresh and the verifier bundle all use it.
 */
import type { JWK } from 'jose';
import { type AnchorKeys, acceptTrustLists, type TrustView } from '../../core/trust-list.js';
import type { ServiceDeps } from '../ports.js';
import { anchorJwks } from './anchor.js';
import { peerMayName, type StoredPiece, storedPieces } from './peer-pieces.js';
import { listPeers } from './peers.js';
import { currentTrustList, type StoredTrustList } from './publishing.js';

export interface DeploymentTrust {
  /** `anchor`: this deployment is an anchor; `upstream`: it decides with its configured anchor's lists. */
  source: 'anchor' | 'upstream';
  /** The pinned keys the view was built with (bound to their anchor id). */
  anchors: { anchorId: string; keys: JWK[] };
  /** The id of the anchor that vouches (this one, or the upstream one). */
  anchorId: string;
  /** Own current trust list (an anchor only). */
  ownList?: StoredTrustList;
  /** The stored peer trust lists the view was built with, after the own list. */
  storedLists: StoredPiece[];
  view: TrustView;
}

/** Stored pieces this deployment may serve and decide with: those of registered peers, or of its upstream anchor. */
async function decidingPieces(deps: ServiceDeps, source: DeploymentTrust['source']): Promise<StoredPiece[]> {
  const peers = new Set((await listPeers(deps.store.db, source === 'anchor' ? 'federated' : 'upstream')).map((p) => p.id));
  return (await storedPieces(deps.store.db)).filter((p) => peers.has(p.peerId));
}

/**
 * The core trust view of this deployment at its clock's now, or undefined when it has none (not an
 * anchor, and no upstream anchor configured). `own` saves a second read when the caller holds the
 * current list already.
 */
export async function deploymentTrustView(deps: ServiceDeps, own?: StoredTrustList): Promise<DeploymentTrust | undefined> {
  const now = deps.clock.now();
  const jwks = await anchorJwks(deps);
  if (jwks) {
    const ownList = own ?? (await currentTrustList(deps));
    if (!ownList) return undefined;
    const stored = (await decidingPieces(deps, 'anchor')).filter((p) => p.kind === 'trust-list');
    const view = await acceptTrustLists([{ jws: ownList.jws }, ...stored], { anchors: jwks, now });
    return { source: 'anchor', anchors: jwks, anchorId: jwks.anchorId, ownList, storedLists: stored, view };
  }
  const upstream = deps.config.upstreamAnchor;
  if (!upstream) return undefined;
  const stored = (await decidingPieces(deps, 'upstream')).filter((p) => p.kind === 'trust-list');
  const view = await acceptTrustLists(stored, { anchors: upstream.anchor as AnchorKeys, now });
  return { source: 'upstream', anchors: upstream.anchor, anchorId: upstream.anchor.anchorId, storedLists: stored, view };
}

/**
 * The stored peer pieces an inspector who pins this deployment's anchor can use, as its bundle carries
 * them: trust lists the view accepts or holds genuine (an expired one still gives its grace or expiry
 * result), and status lists that still open against the view: the view gives their issuer the key
 * that signed them (their signature was verified with that very key, named by its thumbprint, when
 * they were stored, with their signed id as their URL). Anything else (a peer removed or re-keyed
 * since, a key withdrawn) is left out, so one stale piece cannot make a sync refuse the whole bundle.
 * No signature is verified again here: a national bundle holds tens of thousands of lists.
 */
export async function servablePeerPieces(deps: ServiceDeps, trust: DeploymentTrust): Promise<StoredPiece[]> {
  // The view's inputs: the own list (an anchor) first, then the stored lists.
  const offset = trust.source === 'anchor' ? 1 : 0;
  const servable: StoredPiece[] = [];
  trust.storedLists.forEach((piece, i) => {
    const outcome = trust.view.pieces[i + offset];
    if (outcome && (outcome.status === 'accepted' || (outcome.status === 'refused' && outcome.genuine))) servable.push(piece);
  });
  const mayName = peerMayName(deps.config.publicUrl);
  for (const piece of await decidingPieces(deps, trust.source)) {
    if (piece.kind !== 'status-list' || piece.issuer === null || piece.kid === null) continue;
    // A list at a URL its issuer may not speak about (stored before that was checked): never served.
    if (piece.url === null || !mayName(piece.url, piece.issuer)) continue;
    // As openStatusList decides which key a list is checked with: accepted, or genuine but refused.
    const acceptance = trust.view.accept({ issuerId: piece.issuer, kid: piece.kid, issuedAt: piece.signedAt });
    const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(piece.kid);
    if (key) servable.push(piece);
  }
  return servable;
}
