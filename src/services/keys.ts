/**
 * Signing keys of authorities and trust anchors: creation, rotation, retirement, and the public key
 * sets that are published. Rotation keeps the old key published for verification until it is retired.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import { ElicenceError } from '../core/errors.js';
import type { JwsSigner, SigningAlgorithm } from '../core/jws-sign.js';
import { licences, signingKeys } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import { type Actor, actorFields, auditStatements, readAuditHead } from './audit.js';
import { cached, invalidate } from './hot-cache.js';
import type { ServiceDeps } from './ports.js';
import { prepared } from './prepared.js';

export type KeyOwnerKind = 'authority' | 'anchor';

export interface PublishedKey {
  kid: string;
  alg: SigningAlgorithm;
  ownerKind: KeyOwnerKind;
  ownerId: string;
  status: 'active' | 'published';
  publicJwk: JWK;
  validFrom: number;
  validUntil: number | null;
}

/**
 * Creates a key for an owner and makes it the active one; the previous active key stays published.
 * The private half is written by the key store before the database learns of the key.
 */
export async function createActiveKey(
  deps: ServiceDeps,
  owner: { kind: KeyOwnerKind; id: string },
  alg: SigningAlgorithm,
  actor: string,
  /** The staff account behind a console action, named in the audit entry. */
  staffId?: string,
): Promise<PublishedKey> {
  const { store, keys, clock } = deps;
  const generated = await keys.generate(alg);
  return store.exclusive(async () => {
    const now = clock.now();
    const statements: Statement[] = [
      store.db
        .update(signingKeys)
        .set({ status: 'published' })
        .where(and(eq(signingKeys.ownerKind, owner.kind), eq(signingKeys.ownerId, owner.id), eq(signingKeys.status, 'active'))),
      store.db.insert(signingKeys).values({
        kid: generated.kid,
        ownerKind: owner.kind,
        ownerId: owner.id,
        alg,
        publicJwk: JSON.stringify(generated.publicJwk),
        status: 'active',
        validFrom: now,
        createdAt: now,
      }),
    ];
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [
        {
          action: 'key.activated',
          actor,
          staffId,
          authorityId: owner.kind === 'authority' ? owner.id : null,
          subjectId: generated.kid,
          content: { ownerKind: owner.kind, ownerId: owner.id, alg, publicJwk: generated.publicJwk },
        },
      ],
      now,
    );
    await store.commit([...statements, ...audit.statements]);
    invalidate(store.db, `activeKey:${owner.kind}:${owner.id}`);
    return {
      kid: generated.kid,
      alg,
      ownerKind: owner.kind,
      ownerId: owner.id,
      status: 'active',
      publicJwk: generated.publicJwk,
      validFrom: now,
      validUntil: null,
    };
  });
}

/**
 * Stops publishing a non-active key; its validity window closes now, and every credential it signed
 * stops verifying. An actor limited to some licence types may not (ERR_FORBIDDEN).
 */
export async function retireKey(
  deps: ServiceDeps,
  owner: { kind: KeyOwnerKind; id: string },
  kid: string,
  actor: Actor & { readonly licenceTypes?: ReadonlySet<string> | undefined },
): Promise<void> {
  const { store, clock } = deps;
  await store.exclusive(async () => {
    const [key] = await store.db
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.kid, kid), eq(signingKeys.ownerKind, owner.kind), eq(signingKeys.ownerId, owner.id)));
    if (!key) throw new ElicenceError('ERR_NOT_FOUND', `no key ${kid}`, { field: 'kid' });
    if (key.status === 'active') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', 'the active key cannot be retired: rotate first', { field: 'kid' });
    if (key.status === 'retired') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', 'the key is already retired', { field: 'kid' });
    const now = clock.now();
    // A key signs every type: one limited to some types could break the others' licences by retiring it.
    if (typeof actor === 'object' && actor.licenceTypes)
      throw new ElicenceError('ERR_FORBIDDEN', 'a key signs licences of every type: only a token or admin not limited to some types retires one', { field: 'kid' });
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [
        {
          action: 'key.retired',
          ...actorFields(actor),
          authorityId: owner.kind === 'authority' ? owner.id : null,
          subjectId: kid,
          content: { ownerKind: owner.kind, ownerId: owner.id },
        },
      ],
      now,
    );
    await store.commit([store.db.update(signingKeys).set({ status: 'retired', validUntil: now }).where(eq(signingKeys.kid, kid)), ...audit.statements]);
  });
}

export async function publishedKeys(db: Db, filter: { kind?: KeyOwnerKind; id?: string } = {}): Promise<PublishedKey[]> {
  const conditions = [inArray(signingKeys.status, ['active', 'published'])];
  if (filter.kind) conditions.push(eq(signingKeys.ownerKind, filter.kind));
  if (filter.id) conditions.push(eq(signingKeys.ownerId, filter.id));
  const rows = await db
    .select()
    .from(signingKeys)
    .where(and(...conditions))
    .orderBy(signingKeys.createdAt);
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    ownerKind: row.ownerKind,
    ownerId: row.ownerId,
    status: row.status as 'active' | 'published',
    publicJwk: JSON.parse(row.publicJwk) as JWK,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
  }));
}

/** A key of an authority with what it affects: the licences it signed, and how many of them are still valid. */
export interface KeyWithUsage {
  kid: string;
  alg: SigningAlgorithm;
  status: 'active' | 'published' | 'retired';
  validFrom: number;
  validUntil: number | null;
  /** Licences signed with the key (amendments are licences of their own). */
  signed: number;
  /**
   * Of those, the ones a verifier would still accept today (not revoked, not superseded by an
   * amendment, not expired): retiring the key makes them fail verification.
   */
  stillValid: number;
}

/** Every key of an authority, retired ones too, oldest first, with what each affects at `now`. */
export async function authorityKeysWithUsage(db: Db, authorityId: string, now: number): Promise<KeyWithUsage[]> {
  const [keys, counts] = await Promise.all([
    db
      .select()
      .from(signingKeys)
      .where(and(eq(signingKeys.ownerKind, 'authority'), eq(signingKeys.ownerId, authorityId)))
      .orderBy(signingKeys.createdAt),
    db
      .select({
        kid: licences.kid,
        signed: sql<number>`count(*)`,
        stillValid: sql<number>`sum(case when ${licences.status} != 'revoked' and ${licences.supersededBy} is null and (${licences.validUntil} is null or ${licences.validUntil} > ${now}) then 1 else 0 end)`,
      })
      .from(licences)
      .where(eq(licences.authorityId, authorityId))
      .groupBy(licences.kid),
  ]);
  const byKid = new Map(counts.map((c) => [c.kid, c]));
  return keys.map((k) => ({
    kid: k.kid,
    alg: k.alg,
    status: k.status,
    validFrom: k.validFrom,
    validUntil: k.validUntil,
    signed: Number(byKid.get(k.kid)?.signed ?? 0),
    stillValid: Number(byKid.get(k.kid)?.stillValid ?? 0),
  }));
}

/** The signer of an owner's active key. */
export async function activeSigner(deps: ServiceDeps, owner: { kind: KeyOwnerKind; id: string }): Promise<JwsSigner> {
  const db = deps.store.db;
  const kid = await cached(db, `activeKey:${owner.kind}:${owner.id}`, async () => (await prepared(db).activeKeyOf.all({ kind: owner.kind, id: owner.id }))[0]?.kid);
  if (!kid) throw new ElicenceError('ERR_NO_ACTIVE_KEY', `${owner.kind} ${owner.id} has no active signing key`);
  return deps.keys.signer(kid);
}
