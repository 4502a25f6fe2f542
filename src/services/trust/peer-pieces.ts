/**
 * Stored peer pieces (`peer_pieces`): the newest valid copy of each trust list and status list fetched
 * from a peer's verifier bundle, kept exactly as the peer signed it, with the time this deployment
 * received it. A copy only ever replaces an older one (a higher trust-list sequence, a later signed
 * status list), also when two refreshes race: the upsert itself compares.
 */
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import { urlOfDidWebIssuer } from '../../core/trust-list.js';
import { peerPieces } from '../../db/schema.js';
import type { Db, Statement, Store } from '../../db/store.js';

export type StoredPiece = typeof peerPieces.$inferSelect;

export const trustPieceKey = (anchorId: string): string => `trust:${anchorId}`;
/** One per (issuer, URL): a peer cannot displace another issuer's list by signing one with the same URL. */
export const statusPieceKey = (issuerId: string, url: string): string => `status:${issuerId} ${url}`;

/**
 * May a peer's piece signed by `issuerId` speak about the status list at `url`? Never about a list of
 * this deployment (under its public URL); and a did:web issuer only about lists on its own host (and
 * port). Otherwise an authority a peer may speak for could sign a list, patch or copy at the URL of
 * one of this deployment's authorities' lists, or another province's, and have it re-served here:
 * an inspector remembers the highest version (and newest time) seen per list URL, so a copy "of
 * Nanjing" at Hangzhou's URL at version 2,000,000,000 would make every genuine Hangzhou list a replay.
 */
export function peerMayName(publicUrl: string): (url: string, issuerId: string) => boolean {
  const own = new URL(publicUrl);
  const base = own.pathname.replace(/\/+$/, '');
  return (url, issuerId) => {
    let at: URL;
    try {
      at = new URL(url);
    } catch {
      return false;
    }
    if (at.origin === own.origin && (at.pathname === base || at.pathname.startsWith(`${base}/`))) return false;
    return urlOfDidWebIssuer(url, issuerId) ?? true;
  };
}

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

/**
 * An insert of `piece`, or an update of the stored copy when `piece` is newer than it. Prepared once
 * per kind on better-sqlite3 (`Store.bound`): a refresh writes hundreds of them while the service
 * issues, and building the SQL each time would cost more than running it.
 */
export function pieceUpsert(store: Store, piece: StoredPiece): Statement {
  const trust = piece.kind === 'trust-list';
  return store.bound(
    trust ? 'peer_pieces.upsert.trust' : 'peer_pieces.upsert.status',
    (param) =>
      store.db
        .insert(peerPieces)
        .values({
          key: sql`${param('key')}`,
          peerId: sql`${param('peerId')}`,
          kind: sql`${param('kind')}`,
          url: sql`${param('url')}`,
          jws: sql`${param('jws')}`,
          sequence: sql`${param('sequence')}`,
          issuer: sql`${param('issuer')}`,
          kid: sql`${param('kid')}`,
          signedAt: sql`${param('signedAt')}`,
          expiresAt: sql`${param('expiresAt')}`,
          receivedAt: sql`${param('receivedAt')}`,
        } as never)
        .onConflictDoUpdate({
          target: peerPieces.key,
          set: {
            peerId: sql`excluded.peer_id`,
            url: sql`excluded.url`,
            jws: sql`excluded.jws`,
            sequence: sql`excluded.sequence`,
            issuer: sql`excluded.issuer`,
            kid: sql`excluded.kid`,
            signedAt: sql`excluded.signed_at`,
            expiresAt: sql`excluded.expires_at`,
            receivedAt: sql`excluded.received_at`,
          },
          setWhere: trust ? sql`excluded.sequence > ${peerPieces.sequence} OR ${peerPieces.sequence} IS NULL` : sql`excluded.signed_at > ${peerPieces.signedAt}`,
        }),
    { ...piece },
  );
}
