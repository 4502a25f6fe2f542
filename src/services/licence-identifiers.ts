/**
 * Licence identifiers (证照标识, GB/T 36904) handed out at issue: the type's catalogue code, the
 * authority's unified social credit code, the next serial of that authority and type, version 01.
 * An amendment carries its licence's identifier at the next version (lifecycle.ts), with no new serial.
 *
 * Serials are drawn from what this process knows, per authority and type: the next serial (advanced
 * as soon as a draft takes one, so concurrent drafts here never collide) and the serials of drafts
 * whose commit failed for another reason (a status slot or list taken meanwhile), handed out again
 * first so such failures leave no gaps. They are claimed in the issuing commit by one `licence_serials`
 * row each: the primary key is the final word. A commit that loses a serial to another process or
 * isolate fails; the next draw reads the database and starts after the last serial there and after
 * every serial this process has handed out, whichever is later. A committed serial is never used again
 * (rows are never deleted); a serial may be skipped (taken by a draft that failed in another way, or
 * given up after a race between processes), never repeated.
 */
import { and, desc, eq } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import { formatLicenceIdentifier, MAX_SERIAL } from '../core/licence-identifier.js';
import { licenceSerials, licenceTypes } from '../db/schema.js';
import type { Db, Statement, Store } from '../db/store.js';
import type { Authority } from './authorities.js';
import { cached } from './hot-cache.js';

/** What this process knows of an authority's serials of one type. */
interface SerialState {
  /** The next serial never handed out by this process. */
  next: number;
  /** Serials handed out to drafts whose commit failed, not in the database: handed out again first. */
  free: number[];
  /** Another process took a serial this one handed out: read the database before the next draw. */
  unsure: boolean;
}

/** Per database, by authority and type. */
const serialStates = new WeakMap<Db, Map<string, SerialState>>();
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

function statesOf(db: Db): Map<string, SerialState> {
  let states = serialStates.get(db);
  if (!states) {
    states = new Map();
    serialStates.set(db, states);
  }
  return states;
}

/**
 * `count` serials for new licences of `type` from the authority, in order: freed ones first, then new
 * ones. Read from the database on the first draw, and after another process took one of ours.
 */
export async function drawSerials(db: Db, authorityId: string, type: string, count: number): Promise<number[]> {
  const states = statesOf(db);
  const key = serialKey(authorityId, type);
  let state = states.get(key);
  if (!state || state.unsure) {
    const afterCommitted = (await lastSerial(db, authorityId, type)) + 1;
    // Drafts of this process may have taken serials while this one read: start after them too (else
    // every draft that read at the same time would take the same serial).
    state = states.get(key);
    if (!state) {
      state = { next: afterCommitted, free: [], unsure: false };
      states.set(key, state);
    } else if (state.unsure) {
      // Freed serials may be what the other process took: give them up.
      Object.assign(state, { next: Math.max(state.next, afterCommitted), free: [], unsure: false });
    }
  }
  const drawn = state.free.splice(0, count);
  const fresh = count - drawn.length;
  if (state.next + fresh - 1 > MAX_SERIAL) {
    state.free.unshift(...drawn);
    throw new ElicenceError('ERR_IDENTIFIER_UNAVAILABLE', `the serial numbers of ${type} licences of authority ${authorityId} are used up (${MAX_SERIAL})`, { field: 'type' });
  }
  for (let i = 0; i < fresh; i++) drawn.push(state.next++);
  return drawn;
}

/**
 * After a commit failed: its serials were not stored. When a serial was what failed it (another process
 * took it), the next draw reads the database; otherwise they are handed out again.
 */
export function releaseSerials(db: Db, authorityId: string, claims: readonly SerialClaim[], serialTaken: boolean): void {
  const states = statesOf(db);
  for (const claim of claims) {
    const state = states.get(serialKey(authorityId, claim.type));
    if (!state) continue;
    if (serialTaken) state.unsure = true;
    else state.free.push(claim.serial);
  }
  for (const state of states.values()) state.free.sort((a, b) => a - b);
}

/** After a commit whose outcome is unknown (it was applied, then did not become durable): read the database before the next draw. */
export function distrustSerials(db: Db, authorityId: string): void {
  for (const [key, state] of statesOf(db)) if (key.startsWith(`${authorityId}\u0000`)) state.unsure = true;
}

/** Whether a constraint failure is a serial (or the identifier it makes) taken meanwhile by another process or isolate. */
export const isSerialConflict = (detail: string): boolean => detail.startsWith('licence_serials.') || detail === 'licences.licence_identifier';

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
