/**
 * Licence identifiers (证照标识, GB/T 36904) handed out at issue: the type's catalogue code, the
 * authority's unified social credit code, the next serial of that authority and type, version 01.
 * An amendment carries its licence's identifier at the next version (lifecycle.ts), with no new serial.
 *
 * Serials are drawn from what this process knows (the last serial it saw per authority and type,
 * advanced as soon as a draft takes one, so concurrent drafts here never collide) and claimed in the
 * issuing commit by one `licence_serials` row each: the primary key is the final word. A commit that
 * loses the race (another process or isolate took the serial) fails, the caller forgets what it knew
 * and drafts again from the database. A serial taken by a draft that never committed is not used; a
 * committed one is never used again (rows are never deleted), so serials may skip but never repeat.
 */
import { and, desc, eq } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import { formatLicenceIdentifier, MAX_SERIAL } from '../core/licence-identifier.js';
import { licenceSerials, licenceTypes } from '../db/schema.js';
import type { Db, Statement, Store } from '../db/store.js';
import type { Authority } from './authorities.js';
import { cached } from './hot-cache.js';

/** Per database: the next serial this process would hand out, by authority and type. */
const nextSerials = new WeakMap<Db, Map<string, number>>();
const serialKey = (authorityId: string, type: string) => `${authorityId}\u0000${type}`;
/** 4 parameters per row; D1 binds at most 100 per statement. */
const SERIAL_ROWS_PER_INSERT = 24;

/** The catalogue code a type's licences carry now (cached a few seconds: an operator may set it while others issue). */
export async function catalogueCodeOf(db: Db, type: string): Promise<string | undefined> {
  return cached(db, `catalogue-code:${type}`, async () => {
    const [row] = await db.select({ code: licenceTypes.catalogueCode }).from(licenceTypes).where(eq(licenceTypes.code, type));
    return row?.code ?? undefined;
  });
}

/** ERR_IDENTIFIER_UNAVAILABLE unless the type has a catalogue code; the code otherwise. */
export async function requireCatalogueCode(db: Db, type: string, field: string): Promise<string> {
  const code = await catalogueCodeOf(db, type);
  if (code === undefined) {
    throw new ElicenceError(
      'ERR_IDENTIFIER_UNAVAILABLE',
      `licence type ${type} has no catalogue code, the first segment of its licence identifiers: set it (PATCH /v1/licence-types/${type} {"catalogueCode": "..."})`,
      { field },
    );
  }
  return code;
}

/** ERR_IDENTIFIER_UNAVAILABLE unless the authority has its unified social credit code; the code otherwise. */
export function requireAuthorityCode(authority: Pick<Authority, 'id' | 'creditCode'>): string {
  if (authority.creditCode === null) {
    throw new ElicenceError(
      'ERR_IDENTIFIER_UNAVAILABLE',
      `authority ${authority.id} has no unified social credit code, the issuing authority segment of its licence identifiers: set it (AUTHORITY_CREDIT_CODE on Node, creditCode in AUTHORITIES on Workers)`,
    );
  }
  return authority.creditCode;
}

async function lastSerial(db: Db, authorityId: string, type: string): Promise<number> {
  const [row] = await db
    .select({ serial: licenceSerials.serial })
    .from(licenceSerials)
    .where(and(eq(licenceSerials.authorityId, authorityId), eq(licenceSerials.type, type)))
    .orderBy(desc(licenceSerials.serial))
    .limit(1);
  return row?.serial ?? 0;
}

/**
 * `count` serials for new licences of `type` from the authority, in order. `fresh`: read the last one
 * from the database first (after a commit lost a race), rather than trusting this process's count.
 */
export async function drawSerials(db: Db, authorityId: string, type: string, count: number, options: { fresh: boolean }): Promise<number[]> {
  let known = nextSerials.get(db);
  if (!known) {
    known = new Map();
    nextSerials.set(db, known);
  }
  const key = serialKey(authorityId, type);
  let next = options.fresh ? undefined : known.get(key);
  if (next === undefined) next = (await lastSerial(db, authorityId, type)) + 1;
  // Taken now, before the commit: another draft in this process starts after these.
  if (next + count - 1 > MAX_SERIAL) {
    throw new ElicenceError('ERR_IDENTIFIER_UNAVAILABLE', `the serial numbers of ${type} licences of authority ${authorityId} are used up (${MAX_SERIAL})`, { field: 'type' });
  }
  known.set(key, Math.max(known.get(key) ?? 0, next + count));
  return Array.from({ length: count }, (_, i) => next + i);
}

/** Forgets what this process knew of an authority's serials (a commit failed: read them again). */
export function forgetSerials(db: Db, authorityId: string): void {
  const known = nextSerials.get(db);
  if (!known) return;
  for (const key of known.keys()) if (key.startsWith(`${authorityId}\u0000`)) known.delete(key);
}

/** The identifier of a new licence (version 01). */
export function newLicenceIdentifier(typeCode: string, authorityCode: string, serial: number): string {
  return formatLicenceIdentifier({ typeCode, authorityCode, serial, version: 1 });
}

export interface SerialClaim {
  type: string;
  serial: number;
  licenceId: string;
}

/** Inserts claiming the serials of licences inserted in the same commit: a serial taken meanwhile fails the commit. */
export function claimSerialStatements(store: Store, authorityId: string, claims: readonly SerialClaim[]): Statement[] {
  const statements: Statement[] = [];
  for (let i = 0; i < claims.length; i += SERIAL_ROWS_PER_INSERT) {
    statements.push(
      store.insert(
        licenceSerials,
        claims.slice(i, i + SERIAL_ROWS_PER_INSERT).map((c) => ({ authorityId, type: c.type, serial: c.serial, licenceId: c.licenceId })),
      ),
    );
  }
  return statements;
}
