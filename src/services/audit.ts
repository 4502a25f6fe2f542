/**
 * The append-only, hash-chained audit log. Each entry's hash commits to the previous entry's hash and
 * to everything the entry records, so editing or deleting any row breaks the chain from there on.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { asc, gt } from 'drizzle-orm';
import { canonicalJson } from '../core/canonical-json.js';
import { utf8 } from '../core/encoding.js';
import { auditLog } from '../db/schema.js';
import { type Db, insertBuilder, type Statement, type Store } from '../db/store.js';
import { prepared } from './prepared.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntryInput {
  action: string;
  actor: string;
  authorityId?: string | null;
  subjectId?: string | null;
  content: Record<string, unknown>;
  /** The staff account behind a console action (the `actor` is then its session). */
  staffId?: string | null | undefined;
}

/**
 * Who acts, as a service takes it: a token or system name, or a principal (a console sign-in names its
 * staff account, which the entry then records in `staffId`).
 */
export type Actor = string | { readonly tokenId: string; readonly staffId?: string | undefined };

/** The `actor` and `staffId` fields of an audit entry made by `actor`. */
export function actorFields(actor: Actor): { actor: string; staffId?: string } {
  if (typeof actor === 'string') return { actor };
  return actor.staffId === undefined ? { actor: actor.tokenId } : { actor: actor.tokenId, staffId: actor.staffId };
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export async function readAuditHead(db: Db): Promise<AuditHead> {
  const [last] = await prepared(db).auditHead.all();
  return last ?? { seq: 0, hash: GENESIS_HASH };
}

interface HashedFields {
  seq: number;
  at: number;
  authorityId: string | null;
  actor: string;
  action: string;
  subjectId: string | null;
  contentJson: string;
  prevHash: string;
  /** Absent or null: an entry without a staff member (hashed as before the column existed). */
  staffId?: string | null;
}

/**
 * SHA-256 over the previous hash and every recorded column, as a JSON array in a fixed order (the
 * content is already canonical JSON text): any edit to any column, or a re-linked row, changes it.
 * `staffId` (added with the console) is appended only when set, so every entry written before it
 * existed, and every token or system entry since, hashes exactly as it always did.
 */
export function entryHash(fields: HashedFields): string {
  const { prevHash, seq, at, authorityId, actor, action, subjectId, contentJson, staffId } = fields;
  const hashed: unknown[] = [prevHash, seq, at, authorityId, actor, action, subjectId, contentJson];
  if (staffId !== null && staffId !== undefined) hashed.push(staffId);
  return bytesToHex(sha256(utf8(JSON.stringify(hashed))));
}

/**
 * Insert statements for `entries` chained after `head`; returns the new head too. Pass the store's
 * `insert` on hot paths (prepared once on better-sqlite3).
 */
export function auditStatements(
  db: Db,
  head: AuditHead,
  entries: readonly AuditEntryInput[],
  at: number,
  insert: Store['insert'] = (table, rows) => insertBuilder(db, table, rows),
): { statements: Statement[]; head: AuditHead } {
  const statements: Statement[] = [];
  let { seq, hash } = head;
  for (const entry of entries) {
    const fields: HashedFields = {
      seq: seq + 1,
      at,
      authorityId: entry.authorityId ?? null,
      actor: entry.actor,
      action: entry.action,
      subjectId: entry.subjectId ?? null,
      contentJson: canonicalJson(entry.content),
      prevHash: hash,
      staffId: entry.staffId ?? null,
    };
    const entryHashValue = entryHash(fields);
    statements.push(insert(auditLog, [{ ...fields, hash: entryHashValue }]));
    seq = fields.seq;
    hash = entryHashValue;
  }
  return { statements, head: { seq, hash } };
}

export type AuditVerification = { ok: true; entries: number; head: AuditHead } | { ok: false; entries: number; firstBrokenSeq: number; reason: string };

/** Re-derives the whole chain, page by page; reports the first entry that does not fit. */
export async function verifyAuditChain(db: Db, pageSize = 5000): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (;;) {
    const rows = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.seq, expectedSeq - 1))
      .orderBy(asc(auditLog.seq))
      .limit(pageSize);
    for (const row of rows) {
      const broken = (reason: string): AuditVerification => ({ ok: false, entries: expectedSeq - 1, firstBrokenSeq: expectedSeq, reason });
      if (row.seq !== expectedSeq) return broken(`entry ${expectedSeq} is missing (next is ${row.seq})`);
      if (row.prevHash !== prevHash) return broken(`entry ${row.seq} does not link to the previous entry's hash`);
      const { hash, ...fields } = row;
      if (entryHash(fields) !== hash) return broken(`entry ${row.seq} was altered: its content does not match its hash`);
      prevHash = hash;
      expectedSeq++;
    }
    if (rows.length < pageSize) return { ok: true, entries: expectedSeq - 1, head: { seq: expectedSeq - 1, hash: prevHash } };
  }
}
