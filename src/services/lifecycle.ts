/**
 * The licence lifecycle after issuance: suspend, reinstate, revoke and amend (supersede), and the
 * licence's history read back from the audit log.
 *
 * State machine (stored status; "expired" is derived from validUntil, never stored):
 *
 *   action     from active        from suspended     from revoked   when expired (validUntil <= now)
 *   suspend    -> suspended       409                409            409 (an expired licence has no effect to pause)
 *   reinstate  409                -> active          409            409 (nothing to give back)
 *   revoke     -> revoked         -> revoked         409 (final)    allowed (records fraud etc. after expiry)
 *   amend      old -> revoked     409 (reinstate     409            409 (issue a new licence instead)
 *              (superseded),      first: amending
 *              new licence        must not lift a
 *                                 suspension)
 *
 * Every change commits the licence update, the version bump of each status list whose bit changes
 * (suspension list for suspend/reinstate, revocation list for revoke, both when a suspended licence
 * is revoked since its suspension bit clears) and the audit entry in one `store.commit`, inside
 * `store.exclusive`, after re-reading the licence there: a refused request commits nothing.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { formatTimestamp } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { auditLog, licences, statusLists } from '../db/schema.js';
import { asConstraintViolation, ConstraintViolation, type Db, type Statement } from '../db/store.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from './audit.js';
import { issueLicences, type LicenceRow } from './issuance.js';
import type { LicenceTypeRegistry } from './licence-types.js';
import { effectiveStatus, requireLicence } from './licences.js';
import type { ServiceDeps } from './ports.js';
import { type Principal, requireLicenceType } from './tokens.js';

/** Why a licence is suspended. */
export const SUSPENSION_REASONS = ['investigation', 'non_compliance', 'holder_request', 'other'] as const;
/** Why a suspension ends. */
export const REINSTATEMENT_REASONS = ['investigation_closed', 'remedied', 'suspended_in_error', 'other'] as const;
/** Why a licence is revoked through the API. `superseded` is set only by an amendment. */
export const REVOCATION_REASONS = ['cancelled', 'fraud', 'holder_request', 'other'] as const;
export const SUPERSEDED = 'superseded';

export type SuspensionReason = (typeof SUSPENSION_REASONS)[number];
export type ReinstatementReason = (typeof REINSTATEMENT_REASONS)[number];
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const MAX_NOTE_LENGTH = 500;

export type StatusAction = 'suspend' | 'reinstate' | 'revoke';

export interface StatusChange {
  reason: string;
  note?: string | undefined;
}

const MAX_ATTEMPTS = 6;

function illegal(message: string): ElicenceError {
  return new ElicenceError('ERR_ILLEGAL_TRANSITION', message, { field: 'id' });
}

/** Throws ERR_ILLEGAL_TRANSITION unless `action` is allowed on the licence as it is at `now`. */
export function assertTransition(row: Pick<LicenceRow, 'status' | 'validUntil'>, action: StatusAction | 'amend', now: number): void {
  const state = effectiveStatus(row, now);
  const allowed: Record<StatusAction | 'amend', readonly string[]> = {
    suspend: ['active'],
    reinstate: ['suspended'],
    // Revocation is final and also recorded after expiry; effectiveStatus reports a non-revoked expired licence as 'expired'.
    revoke: ['active', 'suspended', 'expired'],
    amend: ['active'],
  };
  if (!allowed[action].includes(state)) throw illegal(`cannot ${action} a licence that is ${state}`);
}

const bumpVersion = (db: Db, listId: string): Statement =>
  db
    .update(statusLists)
    .set({ version: sql`${statusLists.version} + 1` })
    .where(eq(statusLists.id, listId));

/** Runs a read-check-commit section, retrying when another process took the audit head first. */
async function exclusiveWithRetry<T>(deps: ServiceDeps, fn: () => Promise<T>): Promise<T> {
  return deps.store.exclusive(async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const violation = error instanceof ConstraintViolation ? error : asConstraintViolation(error);
        if (!violation || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  });
}

/** Suspends, reinstates or revokes one licence of the principal's authority; returns the updated row. */
export async function changeStatus(deps: ServiceDeps, principal: Principal, licenceId: string, action: StatusAction, change: StatusChange): Promise<LicenceRow> {
  const { store, clock } = deps;
  // Applied under the lock, awaited as durable outside it, so changes queued behind join the same commit.
  const { updated, durable } = await exclusiveWithRetry(deps, async () => {
    const db = store.db;
    const row = await requireLicence(db, principal.authorityId, licenceId);
    requireLicenceType(principal, row.type);
    const now = clock.now();
    assertTransition(row, action, now);
    const to = action === 'suspend' ? 'suspended' : action === 'reinstate' ? 'active' : 'revoked';
    const statusReason = action === 'reinstate' ? null : change.reason;
    // Bits that change: suspension bit on suspend/reinstate and when a suspended licence is revoked.
    const touched = [...(action === 'revoke' ? [row.revocationListId] : []), ...(action !== 'revoke' || row.status === 'suspended' ? [row.suspensionListId] : [])];
    const audit = auditStatements(
      db,
      await readAuditHead(db),
      [
        {
          action: `licence.${action === 'suspend' ? 'suspended' : action === 'reinstate' ? 'reinstated' : 'revoked'}`,
          actor: principal.tokenId,
          staffId: principal.staffId,
          authorityId: row.authorityId,
          subjectId: row.id,
          content: {
            from: row.status,
            to,
            reason: change.reason,
            ...(change.note === undefined ? {} : { note: change.note }),
            lists: touched,
          },
        },
      ],
      now,
    );
    const { durable } = await store.apply([
      // The status guard makes the update a no-op if the row moved since it was read (another process).
      db
        .update(licences)
        .set({ status: to, statusReason, updatedAt: now })
        .where(and(eq(licences.id, row.id), eq(licences.status, row.status))),
      ...touched.map((listId) => bumpVersion(db, listId)),
      ...audit.statements,
    ]);
    const updated: LicenceRow = { ...row, status: to, statusReason, updatedAt: now };
    return { updated, durable };
  });
  await durable;
  return updated;
}

export interface AmendRequest {
  subject: Record<string, unknown>;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  note?: string | undefined;
}

/**
 * Issues a licence of the same type that supersedes `licenceId`, and revokes the old one with reason
 * `superseded`, in the same commit as the issuance (through issuance's extension hook).
 */
export async function amendLicence(
  deps: ServiceDeps,
  registry: LicenceTypeRegistry,
  principal: Principal,
  licenceId: string,
  request: AmendRequest,
): Promise<{ amended: LicenceRow; previous: LicenceRow }> {
  const { store, clock } = deps;
  const before = await requireLicence(store.db, principal.authorityId, licenceId);
  requireLicenceType(principal, before.type);
  assertTransition(before, 'amend', clock.now());
  let previous: LicenceRow | undefined;
  const result = await issueLicences(deps, registry, principal, [{ type: before.type, subject: request.subject, validFrom: request.validFrom, validUntil: request.validUntil }], {
    extension: {
      supersedes: before.id,
      // Runs inside issuance's exclusive section: the old licence is re-read and re-checked there.
      async statements(db, issued) {
        const old = await requireLicence(db, principal.authorityId, licenceId);
        const now = clock.now();
        assertTransition(old, 'amend', now);
        const successor = issued[0]!;
        previous = { ...old, status: 'revoked', statusReason: SUPERSEDED, supersededBy: successor.id, updatedAt: now };
        const audit: AuditEntryInput[] = [
          {
            action: 'licence.revoked',
            actor: principal.tokenId,
            staffId: principal.staffId,
            authorityId: old.authorityId,
            subjectId: old.id,
            content: {
              from: old.status,
              to: 'revoked',
              reason: SUPERSEDED,
              supersededBy: successor.id,
              ...(request.note === undefined ? {} : { note: request.note }),
              lists: [old.revocationListId],
            },
          },
        ];
        return {
          statements: [
            db
              .update(licences)
              .set({ status: 'revoked', statusReason: SUPERSEDED, supersededBy: successor.id, updatedAt: now })
              .where(and(eq(licences.id, old.id), eq(licences.status, old.status))),
            bumpVersion(db, old.revocationListId),
          ],
          audit,
        };
      },
    },
  });
  return { amended: result.licences[0]!, previous: previous! };
}

export interface HistoryEvent {
  seq: number;
  action: string;
  at: string;
  actor: string;
  reason: string | null;
  note: string | null;
  supersedes?: string;
  supersededBy?: string;
  /** The staff account behind a console action. */
  staffId?: string;
}

/** Every audit entry about the licence, oldest first. */
export async function licenceHistory(db: Db, authorityId: string, licenceId: string): Promise<HistoryEvent[]> {
  await requireLicence(db, authorityId, licenceId);
  const rows = await db
    .select({ seq: auditLog.seq, at: auditLog.at, actor: auditLog.actor, action: auditLog.action, contentJson: auditLog.contentJson, staffId: auditLog.staffId })
    .from(auditLog)
    .where(and(eq(auditLog.subjectId, licenceId), eq(auditLog.authorityId, authorityId)))
    .orderBy(asc(auditLog.seq));
  return rows.map((row) => {
    const content = JSON.parse(row.contentJson) as Record<string, unknown>;
    const text = (key: string) => (typeof content[key] === 'string' ? (content[key] as string) : null);
    const supersedes = text('supersedes');
    const supersededBy = text('supersededBy');
    return {
      seq: row.seq,
      action: row.action,
      at: formatTimestamp(row.at),
      actor: row.actor,
      reason: text('reason'),
      note: text('note'),
      ...(supersedes ? { supersedes } : {}),
      ...(supersededBy ? { supersededBy } : {}),
      ...(row.staffId ? { staffId: row.staffId } : {}),
    };
  });
}
