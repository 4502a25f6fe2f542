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
import { apply as applyMergePatch } from 'json-merge-patch';
import { VC_JWT_CTY, VC_JWT_TYP } from '../core/credential.js';
import { formatDateTime, formatTimestamp } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { decodeJws } from '../core/jws-verify.js';
import { nextVersionIdentifier } from '../core/licence-identifier.js';
import { canonicalRevocationReason, REVOCATION_REASON_INPUTS, type RevocationReason } from '../core/status-reasons.js';
import { auditLog, licences, statusLists } from '../db/schema.js';
import { asConstraintViolation, ConstraintViolation, type Db, type Statement } from '../db/store.js';
import { reissueAuthorisationsAfterAmendment } from './agent-authorisations.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from './audit.js';
import { agencyScope } from './derived-credentials.js';
import { reissueBoundCopiesAfterAmendment } from './devices.js';
import { releaseSlotStatement } from './holder-slots.js';
import { issueLicences, type LicenceRow } from './issuance.js';
import type { LicenceTypeRegistry } from './licence-types.js';
import { effectiveStatus, licenceSubject, requireLicence } from './licences.js';
import type { ServiceDeps } from './ports.js';
import { type Principal, requireLicenceType } from './tokens.js';

/** Why a licence is suspended (its grounds, kept in the record; people are shown the one code `suspended`). */
export const SUSPENSION_REASONS = ['investigation', 'non_compliance', 'holder_request', 'other'] as const;
/** Why a suspension ends. */
export const REINSTATEMENT_REASONS = ['investigation_closed', 'remedied', 'suspended_in_error', 'other'] as const;
/**
 * Why a licence is revoked through the API: the legal act (src/core/status-reasons.ts), or one of the
 * values accepted before the codes (`fraud`, `cancelled` -> `rescinded`, `holder_request` -> `deregistered`).
 * `superseded` is set only by an amendment.
 */
export const REVOCATION_REASONS = REVOCATION_REASON_INPUTS;
export const SUPERSEDED: RevocationReason = 'superseded';

export type SuspensionReason = (typeof SUSPENSION_REASONS)[number];
export type ReinstatementReason = (typeof REINSTATEMENT_REASONS)[number];

export const MAX_NOTE_LENGTH = 500;

export type StatusAction = 'suspend' | 'reinstate' | 'revoke';

export interface StatusChange {
  reason: string;
  note?: string | undefined;
}

const MAX_ATTEMPTS = 6;

/** The reason code for a revoke request's reason (a code or an alias); ERR_VALIDATION otherwise, `superseded` included. */
export function revocationReasonInput(value: string): RevocationReason {
  const reason = (REVOCATION_REASON_INPUTS as readonly string[]).includes(value) ? canonicalRevocationReason(value) : undefined;
  if (!reason) {
    throw new ElicenceError('ERR_VALIDATION', `reason must be one of ${REVOCATION_REASON_INPUTS.join(', ')} (superseded is set only by amend)`, { field: 'reason' });
  }
  return reason;
}

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
    // A revocation stores its reason code; an alias the caller sent is recorded beside it in the audit entry.
    const reason = action === 'revoke' ? revocationReasonInput(change.reason) : change.reason;
    const statusReason = action === 'reinstate' ? null : reason;
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
            reason,
            ...(reason === change.reason ? {} : { requestedReason: change.reason }),
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
      // A revoked licence no longer holds its holder's slot (one active licence per holder).
      ...(action === 'revoke' ? [releaseSlotStatement(db, row.id)] : []),
      ...audit.statements,
    ]);
    const updated: LicenceRow = { ...row, status: to, statusReason, updatedAt: now };
    return { updated, durable };
  });
  await durable;
  return updated;
}

export interface AmendRequest {
  /** The whole new subject (issue-request shape). Exactly one of `subject` and `subjectPatch`. */
  subject?: Record<string, unknown> | undefined;
  /** A JSON Merge Patch (RFC 7396) of the current subject: `null` deletes a member, arrays are replaced. */
  subjectPatch?: Record<string, unknown> | undefined;
  /** New validity; each bound not given stays as it is on the licence amended (`validUntil: null`: no expiry). */
  validFrom?: string | undefined;
  validUntil?: string | null | undefined;
  note?: string | undefined;
}

/** Members a merge patch may not name: the patch library stops at them silently, so they are refused. */
const FORBIDDEN_PATCH_MEMBERS = new Set(['__proto__', 'constructor', 'prototype']);

function assertPatchMembers(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  for (const [key, member] of Object.entries(value)) {
    if (FORBIDDEN_PATCH_MEMBERS.has(key)) throw new ElicenceError('ERR_VALIDATION', `"${key}" cannot be patched`, { field: `${path}.${key}` });
    assertPatchMembers(member, `${path}.${key}`);
  }
}

/** The subject an amendment issues: the full `subject` given, or the current one with `subjectPatch` applied. */
export function amendedSubject(current: Record<string, unknown>, request: Pick<AmendRequest, 'subject' | 'subjectPatch'>): Record<string, unknown> {
  if ((request.subject === undefined) === (request.subjectPatch === undefined)) {
    throw new ElicenceError('ERR_VALIDATION', 'give exactly one of subject (the whole new subject) and subjectPatch (a JSON Merge Patch of it)', {
      field: request.subject === undefined ? 'subjectPatch' : 'subject',
    });
  }
  if (request.subject !== undefined) return request.subject;
  assertPatchMembers(request.subjectPatch, 'subjectPatch');
  return applyMergePatch(structuredClone(current), request.subjectPatch) as Record<string, unknown>;
}

/** `name` and `description` of a stored credential, when it has them. */
function namesOf(jws: string): { name?: unknown; description?: unknown } {
  const payload = decodeJws(jws, { typ: VC_JWT_TYP, cty: VC_JWT_CTY }).payload;
  return { ...(payload.name === undefined ? {} : { name: payload.name }), ...(payload.description === undefined ? {} : { description: payload.description }) };
}

/**
 * Issues a licence of the same type that supersedes `licenceId`, and revokes the old one with reason
 * `superseded`, in the same commit as the issuance (through issuance's extension hook); then re-issues
 * its bound copies and agent authorisations for the successor. The new subject
 * is the full one given or the current one merge-patched; it is validated against the type's schema.
 * Validity stays as it was unless new bounds are given.
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
  const subject = amendedSubject(licenceSubject(before), request);
  const issueRequest = {
    type: before.type,
    subject,
    validFrom: request.validFrom ?? formatDateTime(before.validFrom),
    validUntil: request.validUntil !== undefined ? request.validUntil : before.validUntil === null ? null : formatDateTime(before.validUntil),
    // A credential's own name and description (VC API issue) carry over to its successor.
    ...namesOf(before.jws),
  };
  let previous: LicenceRow | undefined;
  // The successor keeps the licence identifier at the next version; a licence from before identifiers gets a new one.
  const licenceIdentifier = before.licenceIdentifier === null ? undefined : nextVersionIdentifier(before.licenceIdentifier);
  const result = await issueLicences(deps, registry, principal, [issueRequest], {
    extension: {
      supersedes: before.id,
      ...(licenceIdentifier === undefined ? {} : { licenceIdentifier }),
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
            releaseSlotStatement(db, old.id),
          ],
          audit,
        };
      },
    },
  });
  const amended = result.licences[0]!;
  // The old licence's bound copies and agent authorisations end with it (its revocation bit, and their
  // own): issue them again for the successor, in a commit of their own after the amendment's.
  if (previous) {
    await reissueBoundCopiesAfterAmendment(deps, agencyScope(principal), previous, amended);
    await reissueAuthorisationsAfterAmendment(deps, agencyScope(principal), previous, amended);
  }
  return { amended, previous: previous! };
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
    // Revocations recorded before the reason codes carry today's aliases: shown as their codes.
    const reason = text('reason');
    return {
      seq: row.seq,
      action: row.action,
      at: formatTimestamp(row.at),
      actor: row.actor,
      reason: row.action === 'licence.revoked' && reason !== null ? (canonicalRevocationReason(reason) ?? reason) : reason,
      note: text('note'),
      ...(supersedes ? { supersedes } : {}),
      ...(supersededBy ? { supersededBy } : {}),
      ...(row.staffId ? { staffId: row.staffId } : {}),
    };
  });
}
