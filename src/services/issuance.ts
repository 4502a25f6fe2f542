/**
 * Issuing licences: validate every request first, draw status slots and identifier serials and sign
 * (outside the write lock), then commit the licences, slot counters, serial claims, idempotency records
 * and audit entries in one transaction.
 */
import { inArray } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { canonicalJson } from '../core/canonical-json.js';
import { buildLicenceCredential, signLicenceCredential } from '../core/credential.js';
import { parseValidityField } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import type { SubjectValidator } from '../core/licence-types.js';
import { assertJsonDepth } from '../core/strict-json.js';
import { idempotencyKeys, licences } from '../db/schema.js';
import { asConstraintViolation, type Db, type Statement } from '../db/store.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from './audit.js';
import { requireAuthority } from './authorities.js';
import { sha256Hex } from './hashing.js';
import { claimSlotStatements, duplicateActive, liveSlots, slotOf } from './holder-slots.js';
import { activeSigner } from './keys.js';
import {
  claimSerialStatements,
  distrustSerials,
  drawSerials,
  isSerialConflict,
  newLicenceIdentifier,
  releaseSerials,
  requireAuthorityCode,
  requireCatalogueCode,
  type SerialClaim,
} from './licence-identifiers.js';
import type { LicenceTypeRegistry } from './licence-types.js';
import { nameIndexStatements } from './name-search.js';
import type { ServiceDeps } from './ports.js';
import { prepared } from './prepared.js';
import { forgetListStates, planSlots, recordCommittedPlan, type SlotPlan, type StatusSlot, slotPlanStatements, statusListUrl } from './status-allocation.js';
import { type Principal, requireLicenceType } from './tokens.js';
import { assertMayIssue } from './trust/issuing-policy.js';

export type LicenceRow = typeof licences.$inferSelect;

export interface IssueRequest {
  type: string;
  subject: Record<string, unknown>;
  validFrom?: string | undefined;
  /** `null`: no expiry (有效期：长期), the credential has no validUntil; absent: the default validity. */
  validUntil?: string | null | undefined;
  /** VC 2.0 `name` / `description` kept in the credential (the VC API's issue route). */
  name?: unknown;
  description?: unknown;
}

interface ValidatedRequest {
  type: string;
  subject: Record<string, unknown>;
  validFrom: number;
  /** Null: no expiry. */
  validUntil: number | null;
  name?: unknown;
  description?: unknown;
  /** The type allows one live licence per holder (holder-slots.ts). */
  uniquePerHolder: boolean;
  /** The type's catalogue code (first segment of the licence identifier) and the subject field with the holder's name. */
  catalogueCode: string;
  holderNameField: string | undefined;
}

export interface ItemError {
  index: number;
  code: string;
  message: string;
  field?: string | undefined;
}

/** Statements another operation adds to the same commit (e.g. an amendment revoking the old licence). */
export interface IssuanceExtension {
  supersedes?: string;
  /** The identifier the one licence issued carries (an amendment: the old one's, next version); absent: a new serial. */
  licenceIdentifier?: string;
  statements(db: Db, issued: LicenceRow[]): Promise<{ statements: Statement[]; audit: AuditEntryInput[] }>;
}

export interface IssueOptions {
  /** One key for the whole request (the Idempotency-Key header). */
  idempotency?: { key: string; requestHash: string };
  /**
   * Keys per item (batch items' `idempotencyKey`): an item whose key was seen with the same content is
   * answered with its existing licence and not issued again, so a re-run import issues each row once.
   */
  itemIdempotency?: ({ key: string; requestHash: string } | undefined)[];
  extension?: IssuanceExtension;
}

/** What an Idempotency-Key is stored with: the request it answered, hashed with the route it came to. */
export function requestHash(path: string, body: unknown): string {
  return sha256Hex(canonicalJson({ path, body }));
}

/**
 * The idempotency record of one batch item that carries its own key. Shared by the batch route and
 * the local import, so an HTTP run and a --local run of the same file recognise each other's licences.
 */
export function batchItemIdempotency(item: IssueRequest, key: string): { key: string; requestHash: string } {
  return { key: `item:${key}`, requestHash: requestHash('/v1/licences/batch#item', { ...item, idempotencyKey: undefined }) };
}

const DAY_MS = 86_400_000;
const MAX_ATTEMPTS = 6;

async function validateRequest(
  deps: ServiceDeps,
  registry: LicenceTypeRegistry,
  principal: Principal,
  request: IssueRequest,
  now: number,
  prefix: string,
): Promise<ValidatedRequest> {
  requireLicenceType(principal, request.type, `${prefix}type`);
  const validator: SubjectValidator = await registry.validator(request.type, `${prefix}type`);
  const catalogueCode = await requireCatalogueCode(deps.store.db, request.type, `${prefix}type`);
  assertJsonDepth(request.subject, `${prefix}subject`);
  // The trust register must authorise the type for this authority (trust/issuing-policy.ts).
  await assertMayIssue(deps, await requireAuthority(deps.store.db, principal.authorityId), request.type, `${prefix}type`);
  try {
    validator.assertValid(request.subject);
  } catch (error) {
    if (error instanceof ElicenceError && prefix) {
      throw new ElicenceError(error.code, error.message, { field: `${prefix}${error.field ?? 'subject'}` });
    }
    throw error;
  }
  // A date alone is a China date: validFrom 00:00 CST that day, validUntil 00:00 CST of the day after (the last valid day).
  const validFrom = request.validFrom === undefined ? Math.floor(now / 1000) * 1000 : parseValidityField(request.validFrom, `${prefix}validFrom`, 'from');
  // null: no expiry (有效期：长期); absent: the type's default validity.
  const validUntil =
    request.validUntil === null
      ? null
      : request.validUntil === undefined
        ? validFrom + deps.config.defaultValidityDays * DAY_MS
        : parseValidityField(request.validUntil, `${prefix}validUntil`, 'until');
  if (validUntil !== null && validUntil <= validFrom) {
    throw new ElicenceError('ERR_VALIDITY_WINDOW', 'validUntil must be after validFrom', { field: `${prefix}validUntil` });
  }
  if (validUntil !== null && validUntil <= now) {
    throw new ElicenceError('ERR_VALIDITY_WINDOW', 'the licence would already have expired: validUntil is in the past', { field: `${prefix}validUntil` });
  }
  return {
    type: request.type,
    subject: request.subject,
    validFrom,
    validUntil,
    uniquePerHolder: validator.definition.uniquePerHolder === true,
    catalogueCode,
    holderNameField: validator.definition.holderNameField,
    ...(request.name === undefined ? {} : { name: request.name }),
    ...(request.description === undefined ? {} : { description: request.description }),
  };
}

/** Validates every request; throws ERR_BATCH_FAILED listing each bad item, or the single error for one item. */
async function validateAll(deps: ServiceDeps, registry: LicenceTypeRegistry, principal: Principal, requests: readonly IssueRequest[], batch: boolean) {
  const now = deps.clock.now();
  const validated: ValidatedRequest[] = [];
  const errors: ItemError[] = [];
  // Two items for one holder of a type unique per holder cannot both be live: the later ones are refused.
  const firstOfHolder = new Map<string, number>();
  for (const [index, request] of requests.entries()) {
    try {
      const item = await validateRequest(deps, registry, principal, request, now, batch ? `items[${index}].` : '');
      validated.push(item);
      if (!item.uniquePerHolder) continue;
      const key = `${item.type}\u0000${String(item.subject['creditCode'])}`;
      const first = firstOfHolder.get(key);
      if (first === undefined) firstOfHolder.set(key, index);
      else {
        const message = `items[${first}] is a ${item.type} for the same holder: one active licence per holder`;
        errors.push({ index, code: 'ERR_DUPLICATE_ACTIVE', message, field: `items[${index}].subject.creditCode` });
      }
    } catch (error) {
      if (!batch || !(error instanceof ElicenceError)) throw error;
      errors.push({ index, code: error.code, message: error.message, field: error.field });
    }
  }
  if (errors.length > 0) {
    throw new ElicenceError('ERR_BATCH_FAILED', `${errors.length} of ${requests.length} items are invalid; nothing was issued`, {
      field: errors[0]!.field,
      details: errors,
    });
  }
  return validated;
}

async function findIdempotent(db: Db, authorityId: string, key: string, requestHash: string, field: string): Promise<string[] | undefined> {
  const [record] = await prepared(db).idempotencyKey.all({ authorityId, key });
  if (!record) return undefined;
  if (record.requestHash !== requestHash) {
    throw new ElicenceError('ERR_IDEMPOTENCY_CONFLICT', `idempotency key "${key}" was already used with a different request`, { field });
  }
  return (JSON.parse(record.resultJson) as { licenceIds: string[] }).licenceIds;
}

async function loadLicences(db: Db, ids: readonly string[]): Promise<LicenceRow[]> {
  const byId = new Map<string, LicenceRow>();
  // 90 ids per query: D1 binds at most 100 parameters per statement.
  for (const part of chunk(ids, 90)) {
    for (const row of await db.select().from(licences).where(inArray(licences.id, part))) byId.set(row.id, row);
  }
  return ids.map((id) => byId.get(id)!);
}

export interface IssueResult {
  licences: LicenceRow[];
  /** true when an Idempotency-Key matched an earlier request and nothing new was issued. */
  replayed: boolean;
  /** How many of the licences answered were issued before (idempotency keys seen), not now. */
  alreadyIssued?: number;
}

/** Licences drawn and signed, not yet committed. */
interface Draft {
  seen: IdempotencyState;
  fresh: { request: ValidatedRequest; index: number }[];
  now: number;
  revocation: SlotPlan;
  suspension: SlotPlan;
  rows: LicenceRow[];
  /** The identifier serials the new licences claim. */
  serials: SerialClaim[];
}

const isDraft = (value: IssueResult | Draft): value is Draft => 'rows' in value;

/** A draft applied under the lock, durable once `durable` settles. */
interface Applied {
  result: IssueResult;
  durable: Promise<void>;
}

/** What the idempotency keys say before anything is issued. */
interface IdempotencyState {
  /** The whole request was seen before: its licences. */
  replay?: string[];
  /** Per item: the licence an item key already issued. */
  existingIds: (string | undefined)[];
}

async function readIdempotency(db: Db, authorityId: string, options: IssueOptions): Promise<IdempotencyState> {
  if (options.idempotency) {
    const ids = await findIdempotent(db, authorityId, options.idempotency.key, options.idempotency.requestHash, 'Idempotency-Key');
    if (ids) return { replay: ids, existingIds: [] };
  }
  const existingIds: (string | undefined)[] = [];
  for (const [index, item] of (options.itemIdempotency ?? []).entries()) {
    if (item) existingIds[index] = (await findIdempotent(db, authorityId, item.key, item.requestHash, `items[${index}].idempotencyKey`))?.[0];
  }
  return { existingIds };
}

/**
 * Issues licences. Validation, slot drawing and signing happen outside the write lock (signing is the
 * slow part); under the lock only short checks and the commit run, so concurrent requests overlap.
 * When the checks find the plan stale (a slot or list taken meanwhile), it is drawn and signed again.
 */
export async function issueLicences(
  deps: ServiceDeps,
  registry: LicenceTypeRegistry,
  principal: Principal,
  requests: readonly IssueRequest[],
  options: IssueOptions & { batch?: boolean } = {},
): Promise<IssueResult> {
  const { store, config, clock } = deps;
  const db = store.db;
  // Two items under one key could never both be recorded (the key's primary key): every commit would
  // fail and the request would end in ERR_CONFLICT "retry", which no retry can cure.
  const firstWithKey = new Map<string, number>();
  for (const [index, item] of (options.itemIdempotency ?? []).entries()) {
    if (!item) continue;
    const first = firstWithKey.get(item.key);
    if (first !== undefined) {
      throw new ElicenceError('ERR_VALIDATION', `items[${first}] has the same idempotencyKey: each item needs its own`, { field: `items[${index}].idempotencyKey` });
    }
    firstWithKey.set(item.key, index);
  }
  const validated = await validateAll(deps, registry, principal, requests, options.batch ?? false);
  const authority = await requireAuthority(db, principal.authorityId);
  if (authority.status !== 'active') throw new ElicenceError('ERR_FORBIDDEN', `authority ${authority.id} is ${authority.status} and cannot issue`);
  const authorityCode = requireAuthorityCode(authority);
  const signer = await activeSigner(deps, { kind: 'authority', id: authority.id });

  /**
   * One live licence per holder of a type unique per holder: refuses items whose holder already has one
   * (other than the licence an amendment supersedes). The holder slots' primary key is the final word
   * when another request commits meanwhile: the commit fails, the draft is redone, and this refuses it.
   */
  const refuseDuplicates = async (fresh: readonly { request: ValidatedRequest; index: number }[]) => {
    const unique = fresh.filter(({ request }) => request.uniquePerHolder);
    if (unique.length === 0) return;
    const slots = await liveSlots(
      db,
      authority.id,
      unique.map(({ request }) => ({ type: request.type, holderCreditCode: String(request.subject['creditCode']) })),
      clock.now(),
    );
    const errors: ItemError[] = [];
    for (const { request, index } of unique) {
      const slot = slotOf(slots, request.type, String(request.subject['creditCode']));
      if (!slot || slot.licenceId === options.extension?.supersedes) continue;
      const error = duplicateActive(slot, options.batch ? `items[${index}].subject.creditCode` : 'subject.creditCode');
      if (!options.batch) throw error;
      errors.push({ index, code: error.code, message: error.message, field: error.field });
    }
    if (errors.length > 0) {
      throw new ElicenceError('ERR_BATCH_FAILED', `${errors.length} of ${requests.length} items are invalid; nothing was issued`, { field: errors[0]!.field, details: errors });
    }
  };

  /** Reads idempotency state, draws slots and signs: everything before the commit. */
  const draft = async (refresh: boolean): Promise<IssueResult | Draft> => {
    const seen = await readIdempotency(db, authority.id, options);
    if (seen.replay) return { licences: await loadLicences(db, seen.replay), replayed: true, alreadyIssued: seen.replay.length };
    const fresh = validated.map((request, index) => ({ request, index })).filter(({ index }) => seen.existingIds[index] === undefined);
    if (fresh.length === 0) return { licences: await loadLicences(db, seen.existingIds as string[]), replayed: true, alreadyIssued: validated.length };
    await refuseDuplicates(fresh);

    const now = clock.now();
    const revocation = await planSlots(db, authority.id, 'revocation', fresh.length, config.statusListSize, { fresh: refresh });
    const suspension = await planSlots(db, authority.id, 'suspension', fresh.length, config.statusListSize, { fresh: refresh });
    // Licence identifiers: an amendment's is given (its licence's, next version); others take the next serial of their type.
    const carried = options.extension?.licenceIdentifier;
    const serialOf: (number | undefined)[] = [];
    if (carried === undefined) {
      const indicesByType = new Map<string, number[]>();
      for (const [i, { request }] of fresh.entries()) indicesByType.set(request.type, [...(indicesByType.get(request.type) ?? []), i]);
      for (const [type, indices] of indicesByType) {
        const drawn = await drawSerials(db, authority.id, type, indices.length);
        indices.forEach((index, k) => {
          serialOf[index] = drawn[k];
        });
      }
    }
    const serials: SerialClaim[] = [];
    const rows = await Promise.all(
      fresh.map(async ({ request }, i): Promise<LicenceRow> => {
        const id = uuidv7();
        const serial = serialOf[i];
        if (serial !== undefined) serials.push({ type: request.type, serial, licenceId: id });
        const licenceIdentifier = carried ?? newLicenceIdentifier(request.catalogueCode, authorityCode, serial!);
        const slot = (s: StatusSlot) => ({ listUrl: statusListUrl(config.publicUrl, s.listId), index: s.index });
        const credential = buildLicenceCredential({
          id,
          type: request.type,
          issuer: { id: authority.did, name: authority.nameZh },
          validFrom: new Date(request.validFrom),
          ...(request.validUntil === null ? {} : { validUntil: new Date(request.validUntil) }),
          licenceIdentifier,
          subject: request.subject,
          status: { revocation: slot(revocation.slots[i]!), suspension: slot(suspension.slots[i]!) },
          issuedAt: new Date(now),
          ...(options.extension?.supersedes ? { supersedes: options.extension.supersedes } : {}),
          ...(request.name === undefined ? {} : { name: request.name }),
          ...(request.description === undefined ? {} : { description: request.description }),
        });
        const subject = request.subject;
        return {
          id,
          authorityId: authority.id,
          type: request.type,
          holderCreditCode: String(subject['creditCode']),
          // The field the type declares as the holder's name (GB/T 36903 持证主体).
          holderName: request.holderNameField !== undefined && typeof subject[request.holderNameField] === 'string' ? (subject[request.holderNameField] as string) : null,
          status: 'active',
          statusReason: null,
          validFrom: request.validFrom,
          validUntil: request.validUntil,
          issuedAt: Math.floor(now / 1000) * 1000,
          updatedAt: now,
          kid: signer.kid,
          jws: await signLicenceCredential(signer, credential),
          revocationListId: revocation.slots[i]!.listId,
          revocationIndex: revocation.slots[i]!.index,
          suspensionListId: suspension.slots[i]!.listId,
          suspensionIndex: suspension.slots[i]!.index,
          supersedes: options.extension?.supersedes ?? null,
          supersededBy: null,
          licenceIdentifier,
        };
      }),
    );
    return { seen, fresh, now, revocation, suspension, rows, serials };
  };

  /**
   * Under the lock: applies the draft, or reports it stale when a constraint says it went stale. The
   * caller awaits `durable` after releasing the lock, so requests behind it join the same commit.
   */
  const commitDraft = async ({ seen, fresh, now, revocation, suspension, rows, serials }: Draft): Promise<Applied | 'stale'> => {
    // Another request may have used the same idempotency keys while we signed: their primary key
    // makes this commit fail, and the next draft answers with that request's licences.
    const slotStatements = [...slotPlanStatements(store, revocation, now), ...slotPlanStatements(store, suspension, now)];
    const extension = options.extension ? await options.extension.statements(db, rows) : { statements: [], audit: [] };
    const auditEntries: AuditEntryInput[] = [
      ...rows.map((row) => ({
        action: 'licence.issued',
        actor: principal.tokenId,
        staffId: principal.staffId,
        authorityId: authority.id,
        subjectId: row.id,
        content: {
          type: row.type,
          holderCreditCode: row.holderCreditCode,
          validFrom: row.validFrom,
          validUntil: row.validUntil,
          licenceIdentifier: row.licenceIdentifier,
          kid: row.kid,
          revocation: { list: row.revocationListId, index: row.revocationIndex },
          suspension: { list: row.suspensionListId, index: row.suspensionIndex },
          supersedes: row.supersedes,
          // The signature identifies the signed credential (it covers header and payload) and is
          // 86 characters: the audit entry commits to exactly what was issued without hashing 2 KB.
          signature: row.jws.slice(row.jws.lastIndexOf('.') + 1),
        },
      })),
      ...extension.audit,
    ];
    const audit = auditStatements(db, await readAuditHead(db), auditEntries, now, store.insert);
    // Answers in request order: fresh rows and earlier ones interleaved as the items came.
    const freshByIndex = new Map(fresh.map(({ index }, i) => [index, rows[i]!]));
    const existing = new Map(
      (
        await loadLicences(
          db,
          seen.existingIds.filter((id): id is string => id !== undefined),
        )
      ).map((r) => [r.id, r]),
    );
    const ordered = validated.map((_, index) => freshByIndex.get(index) ?? existing.get(seen.existingIds[index]!)!);
    const keyRecords = [
      ...(options.idempotency ? [{ ...options.idempotency, licenceIds: ordered.map((r) => r.id) }] : []),
      ...fresh.flatMap(({ index }) => {
        const item = options.itemIdempotency?.[index];
        return item ? [{ ...item, licenceIds: [freshByIndex.get(index)!.id] }] : [];
      }),
    ];
    const uniqueRows = rows.filter((_, i) => fresh[i]!.request.uniquePerHolder);
    const statements: Statement[] = [
      ...slotStatements,
      // A serial another commit took meanwhile fails this one (licence_serials' primary key).
      ...claimSerialStatements(store, authority.id, serials),
      // Chunked so a 1000-licence batch stays under the drivers' bound-parameter limits.
      ...chunk(rows, 4).map((part) => store.insert(licences, part)),
      ...nameIndexStatements(store, rows),
      ...extension.statements,
      // After the extension: an amendment's revocation of the old licence frees its holder slot first.
      ...(uniqueRows.length === 0
        ? []
        : claimSlotStatements(
            store,
            authority.id,
            uniqueRows.map((row) => ({ type: row.type, holderCreditCode: row.holderCreditCode, licenceId: row.id, validUntil: row.validUntil })),
            now,
          )),
      ...audit.statements,
      ...chunk(keyRecords, 15).map((part) =>
        store.insert(
          idempotencyKeys,
          part.map((record) => ({
            authorityId: authority.id,
            key: record.key,
            requestHash: record.requestHash,
            resultJson: JSON.stringify({ licenceIds: record.licenceIds }),
            createdAt: now,
          })),
        ),
      ),
    ];
    let durable: Promise<void>;
    try {
      ({ durable } = await store.apply(statements));
    } catch (error) {
      // A slot, a list, a serial or the audit head was taken first (by a request drafted alongside, or
      // by another process): forget what we believed and draw and sign again.
      forgetListStates(db, authority.id);
      // The serials were not stored: handed out again, unless another process took one of them.
      const violation = asConstraintViolation(error);
      releaseSerials(db, authority.id, serials, violation === undefined || isSerialConflict(violation.detail));
      if (violation) return 'stale';
      throw error;
    }
    // Applied: later drafts in this process must see these slots as taken. Should the commit fail
    // after all, the list states are forgotten below and read again from the database.
    recordCommittedPlan(db, revocation);
    recordCommittedPlan(db, suspension);
    return { result: { licences: ordered, replayed: false, alreadyIssued: validated.length - fresh.length }, durable };
  };

  const settle = async (applied: IssueResult | Applied | 'stale'): Promise<IssueResult | 'stale'> => {
    if (applied === 'stale' || !('durable' in applied)) return applied;
    try {
      await applied.durable;
    } catch (error) {
      forgetListStates(db, authority.id);
      distrustSerials(db, authority.id);
      throw error;
    }
    return applied.result;
  };

  for (let attempt = 1; ; attempt++) {
    // First try: sign outside the lock so requests overlap. If that draft went stale (a list filled
    // or a key was used meanwhile), draw and sign under the lock, which cannot go stale in-process.
    const result = await settle(
      attempt === 1
        ? await (async () => {
            const first = await draft(false);
            return isDraft(first) ? store.exclusive(() => commitDraft(first)) : first;
          })()
        : await store.exclusive(async () => {
            const again = await draft(true);
            return isDraft(again) ? commitDraft(again) : again;
          }),
    );
    if (result !== 'stale') return result;
    if (attempt >= MAX_ATTEMPTS) throw new ElicenceError('ERR_CONFLICT', 'could not issue under contention; retry the request');
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}
