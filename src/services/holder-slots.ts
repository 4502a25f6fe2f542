/**
 * One active licence per holder where the law says so. A licence type that declares `uniquePerHolder`
 * (BusinessLicence) allows at most one active or suspended, unexpired licence per holder (credit code)
 * from one authority. The database enforces it: each such licence claims a row of `holder_slots` keyed
 * by (authority, type, credit code) in the same commit that inserts it, after deleting a slot whose
 * licence expired or is no longer active or suspended; a second live licence fails on the primary key,
 * whichever process or isolate commits first. Revoking releases the slot; an amendment revokes the old
 * licence before its successor claims the slot, in one commit, so it never trips the rule.
 */
import { and, eq, gt, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import { holderSlots, licences } from '../db/schema.js';
import type { Db, Statement, Store } from '../db/store.js';
import { prepared } from './prepared.js';

/** What a claim needs of a licence about to be inserted. */
export interface SlotClaim {
  type: string;
  holderCreditCode: string;
  licenceId: string;
  /** Null: the licence does not expire. */
  validUntil: number | null;
}

export interface LiveSlot {
  type: string;
  holderCreditCode: string;
  licenceId: string;
  validUntil: number | null;
}

/** D1 binds at most 100 parameters per statement. */
const HOLDERS_PER_QUERY = 90;
const SLOT_ROWS_PER_INSERT = 19;
/** Up to this many holders, one prepared statement per holder (the common single issue); more, grouped queries. */
const ONE_BY_ONE = 8;

const chunk = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const slotKey = (type: string, holder: string) => `${type}\u0000${holder}`;

/** The live slots (licence active or suspended, unexpired at `now`) of these holders, by type and holder. */
export async function liveSlots(db: Db, authorityId: string, wanted: readonly { type: string; holderCreditCode: string }[], now: number): Promise<Map<string, LiveSlot>> {
  const found = new Map<string, LiveSlot>();
  if (wanted.length <= ONE_BY_ONE) {
    for (const w of wanted) {
      const [row] = await prepared(db).liveSlotOf.all({ authorityId, type: w.type, holder: w.holderCreditCode, now });
      if (row) found.set(slotKey(row.type, row.holderCreditCode), row);
    }
    return found;
  }
  const types = new Set(wanted.map((w) => w.type));
  const keys = new Set(wanted.map((w) => slotKey(w.type, w.holderCreditCode)));
  for (const part of chunk([...new Set(wanted.map((w) => w.holderCreditCode))], HOLDERS_PER_QUERY)) {
    const rows = await db
      .select({ type: holderSlots.type, holderCreditCode: holderSlots.holderCreditCode, licenceId: holderSlots.licenceId, validUntil: holderSlots.validUntil })
      .from(holderSlots)
      .innerJoin(licences, eq(licences.id, holderSlots.licenceId))
      .where(
        and(
          eq(holderSlots.authorityId, authorityId),
          inArray(holderSlots.holderCreditCode, part),
          or(isNull(holderSlots.validUntil), gt(holderSlots.validUntil, now)),
          sql`${licences.status} in ('active', 'suspended')`,
        ),
      );
    for (const row of rows) if (types.has(row.type) && keys.has(slotKey(row.type, row.holderCreditCode))) found.set(slotKey(row.type, row.holderCreditCode), row);
  }
  return found;
}

/** The live slot of one holder, if any. */
export function slotOf(slots: ReadonlyMap<string, LiveSlot>, type: string, holderCreditCode: string): LiveSlot | undefined {
  return slots.get(slotKey(type, holderCreditCode));
}

/** The refusal of a second live licence, naming the one that holds the slot. */
export function duplicateActive(slot: LiveSlot, field: string): ElicenceError {
  return new ElicenceError(
    'ERR_DUPLICATE_ACTIVE',
    `holder ${slot.holderCreditCode} already has an active or suspended ${slot.type}, licence ${slot.licenceId}: amend it, or revoke it first`,
    { field, details: { licenceId: slot.licenceId } },
  );
}

/**
 * Statements claiming the slots of licences inserted in the same commit (put them after the inserts and
 * after any revocation in that commit): per type and group of holders, delete slots whose licence has
 * expired at `now` (a slot without validUntil never expires) or is no longer active or suspended, then insert one row per licence. A live slot
 * makes the insert fail with a unique-constraint violation.
 */
export function claimSlotStatements(store: Store, authorityId: string, claims: readonly SlotClaim[], now: number): Statement[] {
  const db = store.db;
  const statements: Statement[] = [];
  const stale = sql`not exists (select 1 from ${licences} where ${licences.id} = ${holderSlots.licenceId} and ${licences.status} in ('active', 'suspended'))`;
  if (claims.length <= ONE_BY_ONE) {
    // Prepared once per shape on better-sqlite3 (the hot path of single issues).
    for (const claim of claims) {
      statements.push(
        store.bound(
          'holder_slots.release_stale',
          (param) =>
            db
              .delete(holderSlots)
              .where(
                and(
                  eq(holderSlots.authorityId, sql`${param('authorityId')}`),
                  eq(holderSlots.type, sql`${param('type')}`),
                  eq(holderSlots.holderCreditCode, sql`${param('holder')}`),
                  or(lte(holderSlots.validUntil, sql`${param('now')}`), stale),
                ),
              ),
          { authorityId, type: claim.type, holder: claim.holderCreditCode, now },
        ),
      );
    }
  } else {
    const byType = new Map<string, SlotClaim[]>();
    for (const claim of claims) byType.set(claim.type, [...(byType.get(claim.type) ?? []), claim]);
    for (const [type, ofType] of byType) {
      for (const part of chunk(
        ofType.map((c) => c.holderCreditCode),
        HOLDERS_PER_QUERY,
      )) {
        statements.push(
          db
            .delete(holderSlots)
            .where(
              and(eq(holderSlots.authorityId, authorityId), eq(holderSlots.type, type), inArray(holderSlots.holderCreditCode, part), or(lte(holderSlots.validUntil, now), stale)),
            ),
        );
      }
    }
  }
  for (const part of chunk(claims, SLOT_ROWS_PER_INSERT)) {
    statements.push(
      store.insert(
        holderSlots,
        part.map((c) => ({ authorityId, type: c.type, holderCreditCode: c.holderCreditCode, licenceId: c.licenceId, validUntil: c.validUntil })),
      ),
    );
  }
  return statements;
}

/** Releases the slot a licence holds (it is being revoked). */
export function releaseSlotStatement(db: Db, licenceId: string): Statement {
  return db.delete(holderSlots).where(eq(holderSlots.licenceId, licenceId));
}
