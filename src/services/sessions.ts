/**
 * Console sessions: a server-side row per sign-in, so that a session can be revoked (sign-out, password
 * change, account disabled) and expires after `sessionIdleMs` without a request (default 30 minutes)
 * and at most 12 hours after sign-in. The cookie carries 256 random bits; the row is keyed by their
 * SHA-256, so a leaked database does not hand out live sessions. Each session has its own CSRF token,
 * which every state-changing request must echo (src/console/session.ts).
 */
import { and, eq, isNull, ne } from 'drizzle-orm';
import { base64url } from '../core/encoding.js';
import { staffAccounts, staffSessions } from '../db/schema.js';
import type { Statement } from '../db/store.js';
import { sha256Hex } from './hashing.js';
import type { ServiceDeps } from './ports.js';

export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_MAX_MS = 12 * 3_600_000;
/** lastSeenAt is written at most this often (a write per page view would be wasted). */
const TOUCH_EVERY_MS = 60_000;

export type SessionRow = typeof staffSessions.$inferSelect;
type StaffAccount = typeof staffAccounts.$inferSelect;

export interface LiveSession {
  session: SessionRow;
  account: StaffAccount;
}

const randomToken = () => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** Starts a session; returns the cookie value (never stored) and the row. */
export async function createSession(deps: ServiceDeps, account: StaffAccount, stage: SessionRow['stage']): Promise<{ cookie: string; session: SessionRow }> {
  const cookie = randomToken();
  const now = deps.clock.now();
  const session: SessionRow = {
    id: sha256Hex(cookie),
    accountId: account.id,
    stage,
    csrfToken: randomToken(),
    createdAt: now,
    lastSeenAt: now,
    // A second-factor step must be finished within five minutes.
    expiresAt: now + (stage === 'totp' ? 5 * 60_000 : SESSION_MAX_MS),
    revokedAt: null,
  };
  await deps.store.commit([deps.store.db.insert(staffSessions).values(session)]);
  return { cookie, session };
}

/** The live session behind a cookie value, or undefined (unknown, revoked, expired, idle, account disabled). */
export async function readSession(deps: ServiceDeps, cookie: string): Promise<LiveSession | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
  const { store, clock } = deps;
  const [row] = await store.db
    .select({ session: staffSessions, account: staffAccounts })
    .from(staffSessions)
    .innerJoin(staffAccounts, eq(staffAccounts.id, staffSessions.accountId))
    .where(eq(staffSessions.id, sha256Hex(cookie)));
  if (!row) return undefined;
  const { session, account } = row;
  const now = clock.now();
  const idle = deps.config.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  if (session.revokedAt !== null || now >= session.expiresAt || now - session.lastSeenAt >= idle || account.disabledAt !== null) return undefined;
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
    await store.commit([store.db.update(staffSessions).set({ lastSeenAt: now }).where(eq(staffSessions.id, session.id))]);
    session.lastSeenAt = now;
  }
  return { session, account };
}

export async function revokeSession(deps: ServiceDeps, sessionId: string): Promise<void> {
  const now = deps.clock.now();
  await deps.store.commit([
    deps.store.db
      .update(staffSessions)
      .set({ revokedAt: now })
      .where(and(eq(staffSessions.id, sessionId), isNull(staffSessions.revokedAt))),
  ]);
}

/** Statements that end every session of an account (but `keep`, the one making the change). */
export function revokeSessionsOf(deps: ServiceDeps, accountId: string, now: number, keep?: string): Statement[] {
  const conditions = [eq(staffSessions.accountId, accountId), isNull(staffSessions.revokedAt)];
  if (keep !== undefined) conditions.push(ne(staffSessions.id, keep));
  return [
    deps.store.db
      .update(staffSessions)
      .set({ revokedAt: now })
      .where(and(...conditions)),
  ];
}
