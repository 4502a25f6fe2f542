/**
 * Agent authorisations (授权用证, docs/credential-format.md §Agent authorisations): the authority signs,
 * for a current licence, who may act for the company (name, masked ID number), for which matters and
 * for which period (at most one calendar year, never beyond the licence), bound to the agent's device
 * key. Each has a revocation slot of its own and carries the licence's status entries, so revoking or
 * suspending the licence ends it offline with no change here; revoking the authorisation sets its own
 * bit. An amendment re-issues the active ones for the successor. Every function takes a HolderScope,
 * so the agency API and the holder API call the same code.
 */
import { and, desc, eq, gt } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { type AgentInput, buildAgentAuthorisation, checkAgent, checkAuthorisationPeriod, checkDeviceJwk, checkMatters, type Matters } from '../core/bound-credentials.js';
import { credentialIdOf } from '../core/credential.js';
import { formatTimestamp, parseValidityField } from '../core/dates.js';
import { base64url, fromBase64url, fromUtf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { decodeLiveQr, liveSlotMidpointMs, verifyLiveProof } from '../core/qr/live.js';
import { agentAuthorisations, agentInvitations, licences } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import type { AuditEntryInput } from './audit.js';
import { bumpListVersion, credentialSlot, type HolderScope, licencePayload, lockedWrite, requireScopedLicence, signerFor, withLicenceStatus } from './derived-credentials.js';
import { sha256Hex } from './hashing.js';
import type { LicenceRow } from './issuance.js';
import { effectiveStatus } from './licences.js';
import type { ServiceDeps } from './ports.js';
import { type StatusSlot, statusListUrl } from './status-allocation.js';

export type AgentAuthorisationRow = typeof agentAuthorisations.$inferSelect;

export const MAX_NOTE_LENGTH = 500;

export interface AgentAuthorisationRequest {
  agent: AgentInput;
  matters: Matters;
  /** RFC 3339 or a China date; default: now. */
  validFrom?: string | undefined;
  /** RFC 3339 or a China date (the last valid day). */
  validUntil: string;
  /** The agent's device public key (P-256). */
  agentJwk: unknown;
  note?: string | undefined;
}

export interface AgentAuthorisationView {
  id: string;
  credentialId: string;
  licenceId: string;
  holderCreditCode: string;
  agent: AgentInput;
  matters: Matters;
  validFrom: string;
  validUntil: string;
  status: 'active' | 'revoked' | 'expired';
  statusReason: string | null;
  issuedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  ownStatus: { statusListCredential: string; statusListIndex: number };
  credential: string;
}

export function agentAuthorisationView(row: AgentAuthorisationRow, publicUrl: string, now: number): AgentAuthorisationView {
  return {
    id: row.id,
    credentialId: credentialIdOf(row.id),
    licenceId: row.licenceId,
    holderCreditCode: row.holderCreditCode,
    agent: { name: row.agentName, idNumberMasked: row.idNumberMasked },
    matters: JSON.parse(row.mattersJson) as Matters,
    validFrom: formatTimestamp(row.validFrom),
    validUntil: formatTimestamp(row.validUntil),
    status: row.status === 'revoked' ? 'revoked' : row.validUntil <= now ? 'expired' : 'active',
    statusReason: row.statusReason,
    issuedAt: formatTimestamp(row.issuedAt),
    supersedes: row.supersedes,
    supersededBy: row.supersededBy,
    ownStatus: { statusListCredential: statusListUrl(publicUrl, row.revocationListId), statusListIndex: row.revocationIndex },
    credential: row.jws,
  };
}

/** A licence an authorisation may be issued for: active (not suspended or revoked) and unexpired. */
function assertCurrent(licence: LicenceRow, now: number): void {
  const state = effectiveStatus(licence, now);
  if (state !== 'active') throw new ElicenceError('ERR_LICENCE_NOT_CURRENT', `the licence is ${state}: agents can be authorised only on a current licence`, { field: 'id' });
  // Verifiers tell whose licence an authorisation names by its identifier (its issuing-authority segment).
  if (licence.licenceIdentifier === null) {
    throw new ElicenceError(
      'ERR_LICENCE_WITHOUT_IDENTIFIER',
      'the licence was issued before licence identifiers: amend it (which assigns one), then authorise agents on the amended licence',
      { field: 'id' },
    );
  }
}

interface Signed {
  row: AgentAuthorisationRow;
}

async function signAuthorisation(
  deps: ServiceDeps,
  signer: Awaited<ReturnType<typeof signerFor>>,
  licence: LicenceRow,
  input: { agent: AgentInput; matters: Matters; validFrom: number; validUntil: number; agentJwk: unknown; supersedes: string | null },
  slot: Pick<StatusSlot, 'listId' | 'index'>,
  now: number,
): Promise<Signed> {
  const id = uuidv7();
  const payload = buildAgentAuthorisation(licencePayload(licence), {
    id,
    companyName: licence.holderName ?? licence.holderCreditCode,
    agent: input.agent,
    matters: input.matters,
    validFrom: new Date(input.validFrom),
    validUntil: new Date(input.validUntil),
    ownStatusEntry: credentialSlot(deps, slot),
    agentJwk: input.agentJwk,
    iat: new Date(now),
  });
  const jwk = checkDeviceJwk(input.agentJwk, 'agentJwk');
  return {
    row: {
      id,
      authorityId: licence.authorityId,
      licenceId: licence.id,
      holderCreditCode: licence.holderCreditCode,
      agentName: input.agent.name,
      idNumberMasked: input.agent.idNumberMasked,
      mattersJson: JSON.stringify(input.matters),
      agentJwk: JSON.stringify(jwk),
      validFrom: Math.floor(input.validFrom / 1000) * 1000,
      validUntil: Math.floor(input.validUntil / 1000) * 1000,
      status: 'active',
      statusReason: null,
      revocationListId: slot.listId,
      revocationIndex: slot.index,
      issuedAt: Math.floor(now / 1000) * 1000,
      updatedAt: now,
      kid: signer.kid,
      jws: await signer.sign(payload),
      supersedes: input.supersedes,
      supersededBy: null,
    },
  };
}

const auditOf = (scope: HolderScope, action: string, row: AgentAuthorisationRow, content: Record<string, unknown>): AuditEntryInput => ({
  action,
  actor: scope.actor,
  staffId: scope.staffId,
  authorityId: scope.authorityId,
  subjectId: row.id,
  content: { licenceId: row.licenceId, list: row.revocationListId, index: row.revocationIndex, ...content },
});

/** What an authorisation request says once its members are checked (dates parsed; the start may stay open: now). */
export interface CheckedAuthorisationRequest {
  agent: AgentInput;
  matters: Matters;
  /** Undefined: when it is issued. */
  validFrom: number | undefined;
  validUntil: number;
  note: string | undefined;
}

/** Checks an authorisation request's members (not yet against the licence): 400 naming the field. */
export function checkAuthorisationRequest(request: Omit<AgentAuthorisationRequest, 'agentJwk'>): CheckedAuthorisationRequest {
  const agent = checkAgent(request.agent);
  const matters = checkMatters(request.matters);
  if (request.note !== undefined && request.note.length > MAX_NOTE_LENGTH) {
    throw new ElicenceError('ERR_VALIDATION', `note is at most ${MAX_NOTE_LENGTH} characters`, { field: 'note' });
  }
  return {
    agent,
    matters,
    validFrom: request.validFrom === undefined ? undefined : parseValidityField(request.validFrom, 'validFrom', 'from'),
    validUntil: parseValidityField(request.validUntil, 'validUntil', 'until'),
    note: request.note,
  };
}

/** The period of a checked request against the licence at `now` (ERR_VALIDITY_WINDOW naming the field). */
function periodFor(checked: CheckedAuthorisationRequest, licence: LicenceRow, now: number): { validFrom: number; validUntil: number } {
  const validFrom = checked.validFrom ?? Math.floor(now / 1000) * 1000;
  const { validUntil } = checked;
  checkAuthorisationPeriod({ validFrom, validUntil }, { validFrom: licence.validFrom, validUntil: licence.validUntil ?? undefined });
  if (validUntil <= now) throw new ElicenceError('ERR_VALIDITY_WINDOW', 'the authorisation would already have ended: validUntil is in the past', { field: 'validUntil' });
  return { validFrom, validUntil };
}

/** Statements and audit entries another operation adds to an authorisation's commit (an invitation accepted). */
type Alongside = (db: Db, row: AgentAuthorisationRow, now: number) => Promise<{ statements: Statement[]; audit: AuditEntryInput[] }>;

async function issueChecked(
  deps: ServiceDeps,
  scope: HolderScope,
  licenceId: string,
  checked: CheckedAuthorisationRequest,
  agentJwk: unknown,
  alongside?: Alongside,
): Promise<AgentAuthorisationView> {
  checkDeviceJwk(agentJwk, 'agentJwk');
  const signer = await signerFor(deps, scope.authorityId);
  return lockedWrite(deps, scope.authorityId, async (draw, now) => {
    const db = deps.store.db;
    const licence = await requireScopedLicence(db, scope, licenceId);
    assertCurrent(licence, now);
    const { validFrom, validUntil } = periodFor(checked, licence, now);
    const [slot] = await draw(1);
    const { row } = await signAuthorisation(
      deps,
      signer,
      licence,
      { agent: checked.agent, matters: checked.matters, validFrom, validUntil, agentJwk, supersedes: null },
      slot!,
      now,
    );
    const more = alongside ? await alongside(db, row, now) : { statements: [], audit: [] };
    return {
      statements: [db.insert(agentAuthorisations).values(row), ...more.statements],
      audit: [
        auditOf(scope, 'agent-authorisation.issued', row, {
          agent: row.agentName,
          matters: checked.matters,
          validFrom: row.validFrom,
          validUntil: row.validUntil,
          signature: row.jws.slice(row.jws.lastIndexOf('.') + 1),
          ...(checked.note === undefined ? {} : { note: checked.note }),
        }),
        ...more.audit,
      ],
      result: agentAuthorisationView(row, deps.config.publicUrl, now),
    };
  });
}

/**
 * Issues an agent authorisation on a current licence of the scope. 400 (naming the field) for a bad
 * agent, masked ID number, matters, key or period (beyond the licence, or longer than a year); 409
 * ERR_LICENCE_NOT_CURRENT for a suspended, revoked or expired licence, ERR_LICENCE_WITHOUT_IDENTIFIER for
 * one issued before licence identifiers; 404 outside the scope.
 */
export async function issueAgentAuthorisation(deps: ServiceDeps, scope: HolderScope, licenceId: string, request: AgentAuthorisationRequest): Promise<AgentAuthorisationView> {
  const checked = checkAuthorisationRequest(request);
  checkDeviceJwk(request.agentJwk, 'agentJwk');
  return issueChecked(deps, scope, licenceId, checked, request.agentJwk);
}

/** How long an agent invitation can be accepted. */
export const INVITATION_TTL_MS = 72 * 3_600_000;

export interface AgentInvitation {
  id: string;
  licenceId: string;
  holderCreditCode: string;
  agent: AgentInput;
  matters: Matters;
  validFrom: string | null;
  validUntil: string;
  expiresAt: string;
  /** Shown once: the agent's link carries it (in the URL fragment); only its SHA-256 is stored. */
  code: string;
}

/**
 * The administrator's half of an authorisation whose agent has no key yet: checks everything but the key
 * now (agent, mask, matters, period against the licence, licence current) and stores the request with
 * the SHA-256 of a one-time code (256 bits) valid for 72 hours. The agent's phone creates its key and
 * calls acceptAgentInvitation with the code: only then is the authorisation signed (bound to that key).
 */
export async function inviteAgent(deps: ServiceDeps, scope: HolderScope, licenceId: string, request: Omit<AgentAuthorisationRequest, 'agentJwk'>): Promise<AgentInvitation> {
  const checked = checkAuthorisationRequest(request);
  const code = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const id = uuidv7();
  return lockedWrite(deps, scope.authorityId, async (_draw, now) => {
    const db = deps.store.db;
    const licence = await requireScopedLicence(db, scope, licenceId);
    assertCurrent(licence, now);
    periodFor(checked, licence, now);
    const expiresAt = now + INVITATION_TTL_MS;
    return {
      statements: [
        db.insert(agentInvitations).values({
          id,
          authorityId: scope.authorityId,
          licenceId: licence.id,
          holderCreditCode: licence.holderCreditCode,
          codeHash: sha256Hex(code),
          requestJson: JSON.stringify(checked),
          status: 'pending',
          authorisationId: null,
          createdAt: now,
          expiresAt,
        }),
      ],
      audit: [
        {
          action: 'agent-invitation.created',
          actor: scope.actor,
          staffId: scope.staffId,
          authorityId: scope.authorityId,
          subjectId: id,
          content: { licenceId, agent: checked.agent.name, expiresAt },
        },
      ],
      result: {
        id,
        licenceId: licence.id,
        holderCreditCode: licence.holderCreditCode,
        agent: checked.agent,
        matters: checked.matters,
        validFrom: checked.validFrom === undefined ? null : formatTimestamp(checked.validFrom),
        validUntil: formatTimestamp(checked.validUntil),
        expiresAt: formatTimestamp(expiresAt),
        code,
      },
    };
  });
}

/**
 * The agent's half: the invitation's code and the agent device's public key give the signed
 * authorisation, and use the invitation up in the same commit. An unknown, used, cancelled or expired
 * code is the same 404 (nothing to learn by guessing); the licence must still be current and the
 * period still fit. `authorityId`: the deployment may host several authorities, the link names it.
 */
export async function acceptAgentInvitation(deps: ServiceDeps, authorityId: string, code: string, agentJwk: unknown): Promise<AgentAuthorisationView> {
  checkDeviceJwk(agentJwk, 'agentJwk');
  const gone = () => new ElicenceError('ERR_NOT_FOUND', 'no such invitation: it may have been used, cancelled or have expired', { field: 'code' });
  const [invitation] = await deps.store.db
    .select()
    .from(agentInvitations)
    .where(and(eq(agentInvitations.authorityId, authorityId), eq(agentInvitations.codeHash, sha256Hex(code))));
  if (invitation?.status !== 'pending' || invitation.expiresAt <= deps.clock.now()) throw gone();
  const checked = JSON.parse(invitation.requestJson) as CheckedAuthorisationRequest;
  const scope: HolderScope = { authorityId, actor: `agent-invitation:${invitation.id}`, holderCreditCode: invitation.holderCreditCode };
  return issueChecked(deps, scope, invitation.licenceId, checked, agentJwk, async (db, row, now) => {
    // Re-read under the lock: the same code accepted twice at once signs once.
    const [current] = await db.select().from(agentInvitations).where(eq(agentInvitations.id, invitation.id));
    if (current?.status !== 'pending' || current.expiresAt <= now) throw gone();
    return {
      statements: [
        db
          .update(agentInvitations)
          .set({ status: 'accepted', authorisationId: row.id })
          .where(and(eq(agentInvitations.id, invitation.id), eq(agentInvitations.status, 'pending'))),
      ],
      audit: [],
    };
  });
}

/** The authorisations of a licence, newest first. */
export async function listAgentAuthorisations(deps: ServiceDeps, scope: HolderScope, licenceId: string): Promise<AgentAuthorisationView[]> {
  const db = deps.store.db;
  const licence = await requireScopedLicence(db, scope, licenceId);
  const rows = await db
    .select()
    .from(agentAuthorisations)
    .where(and(eq(agentAuthorisations.authorityId, scope.authorityId), eq(agentAuthorisations.licenceId, licence.id)))
    .orderBy(desc(agentAuthorisations.id));
  const now = deps.clock.now();
  return rows.map((row) => withLicenceStatus(agentAuthorisationView(row, deps.config.publicUrl, now), licence, now));
}

/** Revokes an authorisation (its own bit, reason `other`); 404 outside the scope, 409 when already revoked. */
export async function revokeAgentAuthorisation(deps: ServiceDeps, scope: HolderScope, licenceId: string, authorisationId: string, note?: string): Promise<AgentAuthorisationView> {
  if (note !== undefined && note.length > MAX_NOTE_LENGTH) throw new ElicenceError('ERR_VALIDATION', `note is at most ${MAX_NOTE_LENGTH} characters`, { field: 'note' });
  return lockedWrite(deps, scope.authorityId, async (_draw, now) => {
    const db = deps.store.db;
    const licence = await requireScopedLicence(db, scope, licenceId);
    const [row] = await db
      .select()
      .from(agentAuthorisations)
      .where(and(eq(agentAuthorisations.id, authorisationId), eq(agentAuthorisations.licenceId, licence.id), eq(agentAuthorisations.authorityId, scope.authorityId)));
    if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no agent authorisation ${authorisationId} of licence ${licenceId}`, { field: 'authId' });
    if (row.status === 'revoked') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', 'the authorisation is already revoked', { field: 'authId' });
    const updated: AgentAuthorisationRow = { ...row, status: 'revoked', statusReason: 'other', updatedAt: now };
    return {
      statements: [
        db
          .update(agentAuthorisations)
          .set({ status: 'revoked', statusReason: 'other', updatedAt: now })
          .where(and(eq(agentAuthorisations.id, row.id), eq(agentAuthorisations.status, 'active'))),
        bumpListVersion(db, row.revocationListId),
      ],
      audit: [auditOf(scope, 'agent-authorisation.revoked', row, { reason: 'other', ...(note === undefined ? {} : { note }) })],
      result: agentAuthorisationView(updated, deps.config.publicUrl, now),
    };
  });
}

/**
 * After an amendment: every active, unexpired authorisation of `previous` is issued again for `amended`
 * (same agent, matters, key and start; its end capped at the new licence's) with `supersedes`, and the
 * old one revoked as `superseded`. One whose period no longer fits the new licence, or whose licence the
 * amendment gave to another holder (credit code), is only revoked.
 */
export async function reissueAuthorisationsAfterAmendment(deps: ServiceDeps, scope: HolderScope, previous: LicenceRow, amended: LicenceRow): Promise<AgentAuthorisationView[]> {
  const signer = await signerFor(deps, scope.authorityId);
  return lockedWrite(deps, scope.authorityId, async (draw, now) => {
    const db = deps.store.db;
    const old = await db
      .select()
      .from(agentAuthorisations)
      .where(and(eq(agentAuthorisations.licenceId, previous.id), eq(agentAuthorisations.status, 'active'), gt(agentAuthorisations.validUntil, now)));
    if (old.length === 0) return { statements: [], audit: [], result: [] };
    // The company gave the authorisation: an amendment naming another holder (credit code) carries none over.
    const sameHolder = amended.holderCreditCode === previous.holderCreditCode;
    const plans = old.flatMap((row) => {
      if (!sameHolder) return [];
      const validFrom = Math.max(row.validFrom, amended.validFrom);
      const validUntil = Math.min(row.validUntil, amended.validUntil ?? Number.POSITIVE_INFINITY);
      try {
        checkAuthorisationPeriod({ validFrom, validUntil }, { validFrom: amended.validFrom, validUntil: amended.validUntil ?? undefined });
      } catch {
        return [];
      }
      return [{ row, validFrom, validUntil }];
    });
    const slots = await draw(plans.length);
    const fresh = await Promise.all(
      plans.map(async ({ row, validFrom, validUntil }, i) => {
        const agent = { name: row.agentName, idNumberMasked: row.idNumberMasked };
        const matters = JSON.parse(row.mattersJson) as Matters;
        return (await signAuthorisation(deps, signer, amended, { agent, matters, validFrom, validUntil, agentJwk: JSON.parse(row.agentJwk), supersedes: row.id }, slots[i]!, now))
          .row;
      }),
    );
    const successorOf = new Map(fresh.map((r) => [r.supersedes!, r.id]));
    return {
      statements: [
        ...old.map((row) =>
          db
            .update(agentAuthorisations)
            .set({ status: 'revoked', statusReason: 'superseded', supersededBy: successorOf.get(row.id) ?? null, updatedAt: now })
            .where(and(eq(agentAuthorisations.id, row.id), eq(agentAuthorisations.status, 'active'))),
        ),
        ...[...new Set(old.map((r) => r.revocationListId))].map((listId) => bumpListVersion(db, listId)),
        ...(fresh.length === 0 ? [] : [db.insert(agentAuthorisations).values(fresh)]),
      ],
      audit: [
        ...old.map((row) => auditOf(scope, 'agent-authorisation.revoked', row, { reason: 'superseded', supersededBy: successorOf.get(row.id) ?? null })),
        ...fresh.map((row) => auditOf(scope, 'agent-authorisation.issued', row, { supersedes: row.supersedes, validFrom: row.validFrom, validUntil: row.validUntil })),
      ],
      result: fresh.map((row) => agentAuthorisationView(row, deps.config.publicUrl, now)),
    };
  });
}

/** How far a refresh request's live proof may be from the server's clock (as a verifier's live window). */
export const REFRESH_WINDOW_MS = 90_000;

/**
 * The agent's phone asks, with no session, for the current form of an authorisation it holds: it sends
 * a live `EL2:` text of it (a proof by its own key over a current slot). The authorisation must be one
 * this service issued, byte for byte, the proof must verify with its `cnf` key and be within 90 s of
 * now; the answer follows `superseded_by` (an amendment re-issued it for the new licence, bound to the
 * same key) and says its status, so a revoked one is shown as such (also when its licence was revoked:
 * `licence-revoked`). Anything else is the same 404.
 */
export async function refreshAgentAuthorisation(deps: ServiceDeps, liveText: string): Promise<AgentAuthorisationView> {
  const gone = () => new ElicenceError('ERR_NOT_FOUND', 'no such authorisation, or the proof is not a current one by its key', { field: 'qr' });
  let live: ReturnType<typeof decodeLiveQr>;
  try {
    live = decodeLiveQr(liveText);
  } catch {
    throw gone();
  }
  const now = deps.clock.now();
  if (Math.abs(liveSlotMidpointMs(live.slot) - now) > REFRESH_WINDOW_MS) throw gone();
  let payload: { id?: unknown; cnf?: { jwk?: unknown } };
  try {
    const bytes = fromBase64url(live.jws.split('.')[1] ?? '');
    if (!bytes) throw gone();
    payload = JSON.parse(fromUtf8(bytes)) as typeof payload;
  } catch {
    throw gone();
  }
  const id = payload.id;
  if (typeof id !== 'string' || !id.startsWith('urn:uuid:')) throw gone();
  const db = deps.store.db;
  const [row] = await db
    .select()
    .from(agentAuthorisations)
    .where(eq(agentAuthorisations.id, id.slice('urn:uuid:'.length)));
  if (row?.jws !== live.jws) throw gone();
  if (!(await verifyLiveProof(live.jws, live.slot, live.signature, payload.cnf?.jwk))) throw gone();
  let current = row;
  for (let hops = 0; current.supersededBy && hops < 100; hops++) {
    const [next] = await db.select().from(agentAuthorisations).where(eq(agentAuthorisations.id, current.supersededBy));
    if (!next) break;
    current = next;
  }
  const [licence] = await db.select().from(licences).where(eq(licences.id, current.licenceId));
  return withLicenceStatus(agentAuthorisationView(current, deps.config.publicUrl, now), licence, now);
}
