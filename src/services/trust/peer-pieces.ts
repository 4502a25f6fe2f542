/**
 * Stored peer pieces (`peer_pieces`): the newest valid copy of each trust list and status list fetched
 * from a peer's verifier bundle, kept exactly as the peer signed it, with the time this deployment
 * received it. A copy only ever replaces an older one (a higher trust-list sequence, a later signed
 * status list), also when two refreshes race: the upsert itself compares.
 */
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { peerPieces } from '../../db/schema.js';
import type { Db, Statement } from '../../db/store.js';

export type StoredPiece = typeof peerPieces.$inferSelect;

export const trustPieceKey = (anchorId: string): string => `trust:${anchorId}`;
/** One per (issuer, URL): a peer cannot displace another issuer's list by signing one with the same URL. */
export const statusPieceKey = (issuerId: string, url: string): string => `status:${issuerId} ${url}`;

export async function storedPieces(db: Db, filter: { peerId?: string; kind?: StoredPiece['kind'] } = {}): Promise<StoredPiece[]> {
  const conditions: SQL[] = [];
  if (filter.peerId !== undefined) conditions.push(eq(peerPieces.peerId, filter.peerId));
  if (filter.kind !== undefined) conditions.push(eq(peerPieces.kind, filter.kind));
  return db
    .select()
    .from(peerPieces)
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(asc(peerPieces.key));
}

/** An insert of `piece`, or an update of the stored copy when `piece` is newer than it. */
export function pieceUpsert(db: Db, piece: StoredPiece): Statement {
  const newer = piece.kind === 'trust-list' ? sql`excluded.sequence > ${peerPieces.sequence} OR ${peerPieces.sequence} IS NULL` : sql`excluded.signed_at > ${peerPieces.signedAt}`;
  return db
    .insert(peerPieces)
    .values(piece)
    .onConflictDoUpdate({
      target: peerPieces.key,
      set: {
        peerId: piece.peerId,
        url: piece.url,
        jws: piece.jws,
        sequence: piece.sequence,
        signedAt: piece.signedAt,
        expiresAt: piece.expiresAt,
        receivedAt: piece.receivedAt,
      },
      setWhere: newer,
    });
}
