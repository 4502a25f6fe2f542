/**
 * Prepared forms of the queries on the issuing hot path. drizzle's query builder rebuilds SQL on every
 * call (several times the cost of running it); a prepared query is built once per database handle.
 * Cached per Db object, so each app instance (and each test) gets its own.
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { agentAuthorisations, apiTokens, auditLog, authorities, boundCopies, holderSlots, idempotencyKeys, licences, signingKeys, statusLists } from '../db/schema.js';
import type { Db } from '../db/store.js';

const p = (name: string) => sql.placeholder(name);

function build(db: Db) {
  return {
    tokenByHash: db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.tokenHash, p('hash')), isNull(apiTokens.revokedAt)))
      .limit(1)
      .prepare(),
    authorityById: db
      .select()
      .from(authorities)
      .where(eq(authorities.id, p('id')))
      .prepare(),
    activeKeyOf: db
      .select({ kid: signingKeys.kid })
      .from(signingKeys)
      .where(and(eq(signingKeys.ownerKind, p('kind')), eq(signingKeys.ownerId, p('id')), eq(signingKeys.status, 'active')))
      .limit(1)
      .prepare(),
    auditHead: db.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.seq)).limit(1).prepare(),
    latestList: db
      .select()
      .from(statusLists)
      .where(and(eq(statusLists.authorityId, p('authorityId')), eq(statusLists.purpose, p('purpose'))))
      .orderBy(desc(statusLists.seq))
      .limit(1)
      .prepare(),
    listById: db
      .select()
      .from(statusLists)
      .where(eq(statusLists.id, p('id')))
      .prepare(),
    revocationSlotUsed: db
      .select({ one: sql<number>`1` })
      .from(licences)
      .where(and(eq(licences.revocationListId, p('list')), eq(licences.revocationIndex, p('index'))))
      .limit(1)
      .prepare(),
    // Revocation slots held by bound copies and agent authorisations (their own entry).
    ownRevocationSlotUsed: db
      .select({ one: sql<number>`1` })
      .from(boundCopies)
      .where(and(eq(boundCopies.revocationListId, p('list')), eq(boundCopies.revocationIndex, p('index'))))
      .unionAll(
        db
          .select({ one: sql<number>`1` })
          .from(agentAuthorisations)
          .where(and(eq(agentAuthorisations.revocationListId, p('list')), eq(agentAuthorisations.revocationIndex, p('index')))),
      )
      .prepare(),
    suspensionSlotUsed: db
      .select({ one: sql<number>`1` })
      .from(licences)
      .where(and(eq(licences.suspensionListId, p('list')), eq(licences.suspensionIndex, p('index'))))
      .limit(1)
      .prepare(),
    liveSlotOf: db
      .select({ type: holderSlots.type, holderCreditCode: holderSlots.holderCreditCode, licenceId: holderSlots.licenceId, validUntil: holderSlots.validUntil })
      .from(holderSlots)
      .innerJoin(licences, eq(licences.id, holderSlots.licenceId))
      .where(
        and(
          eq(holderSlots.authorityId, p('authorityId')),
          eq(holderSlots.type, p('type')),
          eq(holderSlots.holderCreditCode, p('holder')),
          sql`(${holderSlots.validUntil} is null or ${holderSlots.validUntil} > ${p('now')})`,
          sql`${licences.status} in ('active', 'suspended')`,
        ),
      )
      .prepare(),
    idempotencyKey: db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.authorityId, p('authorityId')), eq(idempotencyKeys.key, p('key'))))
      .prepare(),
  };
}

export type PreparedQueries = ReturnType<typeof build>;

const byDb = new WeakMap<Db, PreparedQueries>();

export function prepared(db: Db): PreparedQueries {
  let queries = byDb.get(db);
  if (!queries) {
    queries = build(db);
    byDb.set(db, queries);
  }
  return queries;
}
