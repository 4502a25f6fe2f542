/**
 * How fresh a federated province's data is here: when its bundle was last fetched, whether that
 * failed, the trust list held (sequence, signed, expiry) and how many of its status lists are held.
 * The console's provinces page reads it; the state names what an operator should look at first.
 */
import type { Db } from '../../db/store.js';
import { storedPieces, trustPieceKey } from './peer-pieces.js';
import type { PeerAnchor } from './peers.js';

/**
 * `never`: not fetched yet; `expired`: the held trust list has expired (verifiers stop trusting it);
 * `failing`: the last fetch failed (the last good copies are still served); `stale`: no successful
 * fetch for longer than `staleAfterMs`; `fresh` otherwise.
 */
export type FreshnessState = 'never' | 'fresh' | 'stale' | 'failing' | 'expired';

export interface PeerFreshness {
  state: FreshnessState;
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  trustList: { sequence: number; issuedAt: number; expiresAt: number | null; receivedAt: number } | null;
  statusLists: number;
  newestReceivedAt: number | null;
}

export async function peerFreshness(db: Db, peer: PeerAnchor, now: number, staleAfterMs: number): Promise<PeerFreshness> {
  const pieces = await storedPieces(db, { peerId: peer.id });
  const list = pieces.find((piece) => piece.kind === 'trust-list' && piece.key === trustPieceKey(peer.id));
  const newest = pieces.reduce<number | null>((at, piece) => (at === null || piece.receivedAt > at ? piece.receivedAt : at), null);
  const { lastAttemptAt, lastSuccessAt, lastError } = peer.sync;
  const state: FreshnessState =
    lastSuccessAt === null && !list
      ? 'never'
      : list?.expiresAt !== null && list?.expiresAt !== undefined && list.expiresAt <= now
        ? 'expired'
        : lastError !== null
          ? 'failing'
          : lastSuccessAt === null || now - lastSuccessAt > staleAfterMs
            ? 'stale'
            : 'fresh';
  return {
    state,
    lastAttemptAt,
    lastSuccessAt,
    lastError,
    trustList: list ? { sequence: list.sequence ?? 0, issuedAt: list.signedAt, expiresAt: list.expiresAt, receivedAt: list.receivedAt } : null,
    statusLists: pieces.filter((piece) => piece.kind === 'status-list').length,
    newestReceivedAt: newest,
  };
}
