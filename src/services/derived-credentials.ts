/**
 * What bound copies (devices.ts) and agent authorisations (agent-authorisations.ts) share: who acts
 * (`HolderScope`: an agency token, a staff member, or later a holder session limited to its own credit
 * code), reading a licence within that scope, the licence payload they are derived from, signing, and
 * one locked commit that draws their own revocation slots (status-allocation.ts, checked against every
 * table that holds revocation slots) with the rows and audit entries that use them.
 */
import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { StatusSlot as CredentialSlot } from '../core/credential.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../core/credential.js';
import { ElicenceError } from '../core/errors.js';
import { signCompact } from '../core/jws-sign.js';
import { decodeJws } from '../core/jws-verify.js';
import { licences, statusLists } from '../db/schema.js';
import { asConstraintViolation, ConstraintViolation, type Db, type Statement } from '../db/store.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from './audit.js';
import type { LicenceRow } from './issuance.js';
import { activeSigner } from './keys.js';
import { effectiveStatus, requireLicence } from './licences.js';
import type { ServiceDeps } from './ports.js';
import { forgetListStates, planSlots, recordCommittedPlan, type SlotPlan, type StatusSlot, slotPlanStatements, statusListUrl } from './status-allocation.js';
import type { Principal } from './tokens.js';

/** Who acts on a holder's devices and agents, within one authority. */
export interface HolderScope {
  authorityId: string;
  /** Recorded as the audit entries' actor (token id, session id). */
  actor: string;
  staffId?: string | undefined;
  /** A holder session: only this holder's licences exist for it (others are 404). Undefined: any holder. */
  holderCreditCode?: string | undefined;
  /** Licence types the actor may act on; undefined: every type. */
  licenceTypes?: ReadonlySet<string> | undefined;
}

/**
 * A bound copy or authorisation still active in its own right ends with its licence's revocation (it
 * carries the licence's entries; its own stays clear): its view says `revoked`, reason `licence-revoked`,
 * so no list or app offers to show it.
 */
export function withLicenceStatus<V extends { status: string; statusReason: string | null }>(
  view: V,
  licence: Pick<LicenceRow, 'status' | 'validUntil'> | undefined,
  now: number,
): V {
  if (view.status !== 'active' || (licence && effectiveStatus(licence, now) !== 'revoked')) return view;
  return { ...view, status: 'revoked', statusReason: 'licence-revoked' };
}

/** The scope of an agency token or a console staff member. */
export function agencyScope(principal: Principal): HolderScope {
  return { authorityId: principal.authorityId, actor: principal.tokenId, staffId: principal.staffId, licenceTypes: principal.licenceTypes };
}

/** A holder outside the scope looks like a holder with no licences here: 404. */
export function assertHolderInScope(scope: HolderScope, creditCode: string, field = 'creditCode'): void {
  if (scope.holderCreditCode !== undefined && scope.holderCreditCode !== creditCode) {
    throw new ElicenceError('ERR_NOT_FOUND', `no holder ${creditCode}`, { field });
  }
}

/** The licence if the scope may see it: another authority's or another holder's is 404, a type outside the token 403. */
export async function requireScopedLicence(db: Db, scope: HolderScope, licenceId: string): Promise<LicenceRow> {
  const row = await requireLicence(db, scope.authorityId, licenceId);
  if (scope.holderCreditCode !== undefined && row.holderCreditCode !== scope.holderCreditCode) {
    throw new ElicenceError('ERR_NOT_FOUND', `no licence ${licenceId}`, { field: 'id' });
  }
  if (scope.licenceTypes && !scope.licenceTypes.has(row.type)) throw new ElicenceError('ERR_FORBIDDEN', `this token may not act on licence type ${row.type}`, { field: 'type' });
  return row;
}

/** Licences of a holder that may carry derived credentials at `now`: active or suspended, not expired, of the scope's types. */
export async function currentLicencesOf(db: Db, scope: HolderScope, creditCode: string, now: number): Promise<LicenceRow[]> {
  const rows = await db
    .select()
    .from(licences)
    .where(
      and(
        eq(licences.authorityId, scope.authorityId),
        eq(licences.holderCreditCode, creditCode),
        inArray(licences.status, ['active', 'suspended']),
        or(isNull(licences.validUntil), gt(licences.validUntil, now)),
      ),
    );
  return rows.filter((row) => !scope.licenceTypes || scope.licenceTypes.has(row.type));
}

/** The signed payload of a stored licence. */
export function licencePayload(row: Pick<LicenceRow, 'jws'>): Record<string, unknown> {
  return decodeJws(row.jws, { typ: VC_JWT_TYP, cty: VC_JWT_CTY }).payload;
}

/** A drawn slot as a credential names it. */
export function credentialSlot(deps: ServiceDeps, slot: Pick<StatusSlot, 'listId' | 'index'>): CredentialSlot {
  return { listUrl: statusListUrl(deps.config.publicUrl, slot.listId), index: slot.index };
}

/** Signs a derived credential as licences are signed (vc+jwt, cty vc, the authority's active key). */
export async function signerFor(deps: ServiceDeps, authorityId: string) {
  const signer = await activeSigner(deps, { kind: 'authority', id: authorityId });
  return { kid: signer.kid, sign: (payload: Record<string, unknown>) => signCompact(signer, payload, VC_JWT_TYP, VC_JWT_CTY) };
}

/** Bumps a status list's version: its bits changed, the published copy is rebuilt on the next GET. */
export const bumpListVersion = (db: Db, listId: string): Statement =>
  db
    .update(statusLists)
    .set({ version: sql`${statusLists.version} + 1` })
    .where(eq(statusLists.id, listId));

export interface LockedWrite<T> {
  statements: Statement[];
  audit: AuditEntryInput[];
  result: T;
}

const MAX_ATTEMPTS = 5;

/**
 * Runs `build` under the store's lock, then commits the slot counters of the revocation slots it drew
 * (`draw(n)`, once: fresh slots of the authority, checked against every table that holds them), its
 * statements and its audit entries at once. A constraint that refuses the commit (a slot, a device
 * number, the audit head taken by another process) makes it build again; `build` re-reads what it
 * depends on each time.
 */
export async function lockedWrite<T>(
  deps: ServiceDeps,
  authorityId: string,
  build: (draw: (count: number) => Promise<StatusSlot[]>, now: number) => Promise<LockedWrite<T>>,
): Promise<T> {
  const { store, clock, config } = deps;
  const db = store.db;
  const { result, durable } = await store.exclusive(async () => {
    for (let attempt = 1; ; attempt++) {
      const now = clock.now();
      let plan: SlotPlan | undefined;
      const draw = async (count: number): Promise<StatusSlot[]> => {
        if (plan) throw new Error('draw slots once per write');
        if (count === 0) return [];
        plan = await planSlots(db, authorityId, 'revocation', count, config.statusListSize, { fresh: true });
        return plan.slots;
      };
      const written = await build(draw, now);
      const audit = auditStatements(db, await readAuditHead(db), written.audit, now);
      const drawn = plan as SlotPlan | undefined;
      try {
        const { durable } = await store.apply([...(drawn ? slotPlanStatements(store, drawn, now) : []), ...written.statements, ...audit.statements]);
        if (drawn) recordCommittedPlan(db, drawn);
        return { result: written.result, durable };
      } catch (error) {
        forgetListStates(db, authorityId);
        const violation = error instanceof ConstraintViolation ? error : asConstraintViolation(error);
        if (!violation || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  });
  await durable;
  return result;
}
