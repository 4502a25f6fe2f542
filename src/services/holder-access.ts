/**
 * Holder access (docs/holder-app.md): a business holds its own licences with no account at the agency.
 *
 * - **The holder code.** One per (authority, holder credit code): `<authority id>.<26 base32 chars>`,
 *   128 random bits after the authority prefix (the prefix lets the exchange be rate limited per
 *   authority before any lookup). Only its SHA-256 is stored. Creating it again (for any licence of the
 *   same holder) rotates it: the old hash is replaced and `generation` grows, and every session made
 *   from an older generation ends in the same commit, and so does every agent invitation still pending
 *   (made by those sessions; the holder can neither list nor cancel one). Create and rotate are audited
 *   (never the code).
 * - **The holder session.** The code is exchanged once per device for a bearer token (`hs_` + 256
 *   random bits, stored as its SHA-256): read-only, scoped to that holder at that authority, ending
 *   after `HOLDER_SESSION_IDLE_MS` without use, at `HOLDER_SESSION_MAX_MS` at the latest, on sign-out
 *   and on rotation. (Issue 24 adds device keys registered through a session; a session row then gains
 *   the device it belongs to, nothing here changes.)
 */
import { and, desc, eq, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import { base32Encode, base64url } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { agentInvitations, holderAccess, holderSessions, licences } from '../db/schema.js';
import type { Db } from '../db/store.js';
import { auditStatements, readAuditHead } from './audit.js';
import { requireAuthority } from './authorities.js';
import { sha256Hex } from './hashing.js';
import type { LicenceRow } from './issuance.js';
import { requireLicence } from './licences.js';
import type { ServiceDeps } from './ports.js';

/** A session ends after this long without a request (30 days)... */
export const HOLDER_SESSION_IDLE_MS = 30 * 24 * 3_600_000;
/** ...and at most this long after the exchange (a year); then the code is exchanged again. */
export const HOLDER_SESSION_MAX_MS = 365 * 24 * 3_600_000;
/** How long a session that ended (signed out, rotated, idle or at its end) is kept before it is purged. */
const ENDED_SESSION_KEPT_MS = 30 * 24 * 3_600_000;
/** lastSeenAt is written at most this often. */
const TOUCH_EVERY_MS = 3_600_000;
/** Most licences one holder listing returns (newest first). */
export const HOLDER_LICENCE_LIMIT = 200;

const SECRET_BYTES = 16;
const SECRET_CHARS = 26; // ceil(128 / 5)
const AUTHORITY = /^[a-z0-9][a-z0-9-]{1,62}$/;
const SESSION_TOKEN = /^hs_[A-Za-z0-9_-]{43}$/;

/** The holder a session speaks for. */
export interface HolderPrincipal {
  sessionId: string;
  authorityId: string;
  holderCreditCode: string;
  expiresAt: number;
}

export interface ParsedHolderCode {
  authorityId: string;
  /** The code in its one canonical form (what is hashed). */
  canonical: string;
}

/**
 * Reads a code as a person may type it: the secret part case-insensitive, with spaces and dashes
 * (the printed notice groups it) ignored. Undefined when it cannot be a code.
 */
export function parseHolderCode(text: string): ParsedHolderCode | undefined {
  if (text.length > 200) return undefined;
  const dot = text.lastIndexOf('.');
  if (dot < 0) return undefined;
  const authorityId = text.slice(0, dot).trim().toLowerCase();
  const secret = text
    .slice(dot + 1)
    .replace(/[\s-]/g, '')
    .toUpperCase();
  if (!AUTHORITY.test(authorityId) || !/^[A-Z2-7]+$/.test(secret) || secret.length !== SECRET_CHARS) return undefined;
  return { authorityId, canonical: `${authorityId}.${secret}` };
}

/** "ABCD EFGH ..." groups of four, for a printed notice (parseHolderCode reads it back). */
export function groupedHolderCode(code: string): string {
  const dot = code.lastIndexOf('.');
  const groups = code.slice(dot + 1).match(/.{1,4}/g) ?? [];
  return `${code.slice(0, dot)}.${groups.join('-')}`;
}

export const holderLink = (publicUrl: string, code: string): string => `${publicUrl}/holder/#c=${encodeURIComponent(code)}`;

export interface CreatedHolderAccess {
  code: string;
  link: string;
  authorityId: string;
  holderCreditCode: string;
  holderName: string | null;
  /** 1 for the first code, +1 per rotation. */
  generation: number;
  rotated: boolean;
  createdAt: number;
}

/**
 * Creates the holder code of the licence's holder at the licence's authority, or rotates it (ending
 * every session made from the old one). The code opens every licence of that holder here, so an actor
 * limited to some licence types may do this only when all of them are of its types (ERR_FORBIDDEN).
 */
export async function createHolderAccess(
  deps: ServiceDeps,
  input: { authorityId: string; licenceId: string },
  actor: { actor: string; staffId?: string | undefined; licenceTypes?: ReadonlySet<string> | undefined },
): Promise<CreatedHolderAccess> {
  const { store, clock } = deps;
  const licence = await requireLicence(store.db, input.authorityId, input.licenceId);
  const code = `${input.authorityId}.${base32Encode(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
  return store.exclusive(async () => {
    const now = clock.now();
    const key = and(eq(holderAccess.authorityId, input.authorityId), eq(holderAccess.holderCreditCode, licence.holderCreditCode));
    if (actor.licenceTypes) await assertHolderLicencesInTypes(store.db, input.authorityId, licence.holderCreditCode, actor.licenceTypes);
    const [existing] = await store.db.select().from(holderAccess).where(key);
    const generation = (existing?.generation ?? 0) + 1;
    const rotated = existing !== undefined;
    // Invitations made by the old code's sessions: nobody can see or cancel them, so they end with it.
    const pendingInvitations = (
      await store.db
        .select({ id: agentInvitations.id })
        .from(agentInvitations)
        .where(and(eq(agentInvitations.authorityId, input.authorityId), eq(agentInvitations.holderCreditCode, licence.holderCreditCode), eq(agentInvitations.status, 'pending')))
    ).map((row) => row.id);
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [
        {
          action: rotated ? 'holder-access.rotated' : 'holder-access.created',
          actor: actor.actor,
          staffId: actor.staffId,
          authorityId: input.authorityId,
          subjectId: `urn:uscc:${licence.holderCreditCode}`,
          content: { licenceId: licence.id, generation, ...(pendingInvitations.length === 0 ? {} : { cancelledInvitations: pendingInvitations }) },
        },
      ],
      now,
    );
    const row = { codeHash: sha256Hex(code), generation, rotatedAt: now };
    await store.commit([
      rotated
        ? store.db.update(holderAccess).set(row).where(key)
        : store.db.insert(holderAccess).values({ ...row, authorityId: input.authorityId, holderCreditCode: licence.holderCreditCode, createdAt: now }),
      // Sessions of the old code end now (readHolderSession also refuses any older generation).
      store.db
        .update(holderSessions)
        .set({ revokedAt: now })
        .where(
          and(
            eq(holderSessions.authorityId, input.authorityId),
            eq(holderSessions.holderCreditCode, licence.holderCreditCode),
            lt(holderSessions.generation, generation),
            isNull(holderSessions.revokedAt),
          ),
        ),
      // Pending agent invitations made from the old code's sessions can no longer be accepted.
      ...(pendingInvitations.length === 0
        ? []
        : [
            store.db
              .update(agentInvitations)
              .set({ status: 'cancelled' })
              .where(and(inArray(agentInvitations.id, pendingInvitations), eq(agentInvitations.status, 'pending'))),
          ]),
      ...audit.statements,
    ]);
    return {
      code,
      link: holderLink(deps.config.publicUrl, code),
      authorityId: input.authorityId,
      holderCreditCode: licence.holderCreditCode,
      holderName: licence.holderName,
      generation,
      rotated,
      createdAt: now,
    };
  });
}

async function assertHolderLicencesInTypes(db: Db, authorityId: string, creditCode: string, types: ReadonlySet<string>): Promise<void> {
  const held = await db
    .selectDistinct({ type: licences.type })
    .from(licences)
    .where(and(eq(licences.authorityId, authorityId), eq(licences.holderCreditCode, creditCode)));
  const outside = held.find((row) => !types.has(row.type));
  if (outside) {
    throw new ElicenceError('ERR_FORBIDDEN', `the holder also holds a ${outside.type} here, which its code would open: this token may not act on that type`, { field: 'id' });
  }
}

export interface HolderSessionGrant {
  token: string;
  principal: HolderPrincipal;
}

/** A new session for a valid current code; undefined for anything else (the caller answers 401). */
export async function exchangeHolderCode(deps: ServiceDeps, parsed: ParsedHolderCode): Promise<HolderSessionGrant | undefined> {
  const { store, clock } = deps;
  const [access] = await store.db
    .select()
    .from(holderAccess)
    .where(eq(holderAccess.codeHash, sha256Hex(parsed.canonical)));
  if (!access || access.authorityId !== parsed.authorityId) return undefined;
  const token = `hs_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const now = clock.now();
  const session = {
    id: sha256Hex(token),
    authorityId: access.authorityId,
    holderCreditCode: access.holderCreditCode,
    generation: access.generation,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + HOLDER_SESSION_MAX_MS,
    revokedAt: null,
  };
  // The holder's sessions that ended over a month ago go in the same commit (no secret in them; kept a
  // month for the record), so the table holds live sessions and recent history only.
  const longAgo = now - ENDED_SESSION_KEPT_MS;
  await store.commit([
    store.db.insert(holderSessions).values(session),
    store.db
      .delete(holderSessions)
      .where(
        and(
          eq(holderSessions.authorityId, access.authorityId),
          eq(holderSessions.holderCreditCode, access.holderCreditCode),
          or(lte(holderSessions.revokedAt, longAgo), lte(holderSessions.expiresAt, longAgo), lte(holderSessions.lastSeenAt, longAgo - HOLDER_SESSION_IDLE_MS)),
        ),
      ),
  ]);
  return { token, principal: { sessionId: session.id, authorityId: session.authorityId, holderCreditCode: session.holderCreditCode, expiresAt: idleEnd(session) } };
}

const idleEnd = (session: { lastSeenAt: number; expiresAt: number }) => Math.min(session.expiresAt, session.lastSeenAt + HOLDER_SESSION_IDLE_MS);

/** The holder behind a session token, or undefined (unknown, ended, expired, idle, or its code rotated since). */
export async function readHolderSession(deps: ServiceDeps, token: string): Promise<HolderPrincipal | undefined> {
  if (!SESSION_TOKEN.test(token)) return undefined;
  const { store, clock } = deps;
  const [row] = await store.db
    .select({ session: holderSessions, generation: holderAccess.generation })
    .from(holderSessions)
    .innerJoin(holderAccess, and(eq(holderAccess.authorityId, holderSessions.authorityId), eq(holderAccess.holderCreditCode, holderSessions.holderCreditCode)))
    .where(eq(holderSessions.id, sha256Hex(token)));
  if (!row) return undefined;
  const { session } = row;
  const now = clock.now();
  if (session.revokedAt !== null || session.generation !== row.generation || now >= idleEnd(session)) return undefined;
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
    await store.commit([store.db.update(holderSessions).set({ lastSeenAt: now }).where(eq(holderSessions.id, session.id))]);
    session.lastSeenAt = now;
  }
  return { sessionId: session.id, authorityId: session.authorityId, holderCreditCode: session.holderCreditCode, expiresAt: idleEnd(session) };
}

export async function endHolderSession(deps: ServiceDeps, sessionId: string): Promise<void> {
  await deps.store.commit([
    deps.store.db
      .update(holderSessions)
      .set({ revokedAt: deps.clock.now() })
      .where(and(eq(holderSessions.id, sessionId), isNull(holderSessions.revokedAt))),
  ]);
}

/** The holder's licences at its authority, newest first (revoked and superseded ones included: they are its history). */
export async function holderLicences(db: Db, holder: HolderPrincipal): Promise<LicenceRow[]> {
  return db
    .select()
    .from(licences)
    .where(and(eq(licences.authorityId, holder.authorityId), eq(licences.holderCreditCode, holder.holderCreditCode)))
    .orderBy(desc(licences.id))
    .limit(HOLDER_LICENCE_LIMIT);
}

/** One of the holder's licences; ERR_NOT_FOUND for any other licence, whoever holds it, wherever it is. */
export async function requireHolderLicence(db: Db, holder: HolderPrincipal, id: string): Promise<LicenceRow> {
  const [row] = await db
    .select()
    .from(licences)
    .where(and(eq(licences.id, id), eq(licences.authorityId, holder.authorityId), eq(licences.holderCreditCode, holder.holderCreditCode)));
  if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no licence ${id}`, { field: 'id' });
  return row;
}

/** The authority a holder session belongs to (for names on screen). */
export const holderAuthority = (db: Db, holder: HolderPrincipal) => requireAuthority(db, holder.authorityId);
