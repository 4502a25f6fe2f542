/**
 * The console's side of the legal-status contract (reason codes, amendment by JSON Merge Patch,
 * `subject` in the issue-request shape, one active licence per holder) where this branch's services
 * do not offer it yet.
 *
 * MERGE NOTE: once the legal-status services are merged,
 * - `amendByPatch` becomes a direct call of the service's merge-patch amendment (it takes
 *   `{ subjectPatch, validFrom?, validUntil?, note? }`, as the console already builds it);
 * - `currentSubject` becomes the service's `subject` of the licence view;
 * - `duplicateOf` reads the existing licence from ERR_DUPLICATE_ACTIVE's details.
 */
import { fromBase64url, fromUtf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { isRecord } from '../core/strict-json.js';
import type { LicenceRow } from '../services/issuance.js';
import type { LicenceTypeRegistry } from '../services/licence-types.js';
import { requireLicence } from '../services/licences.js';
import { amendLicence } from '../services/lifecycle.js';
import type { ServiceDeps } from '../services/ports.js';
import type { Principal } from '../services/tokens.js';

const CREDIT_CODE_URN = 'urn:uscc:';

/** The licence's subject as it was submitted (`creditCode` instead of the credential's `id`). */
export function currentSubject(row: Pick<LicenceRow, 'jws'>): Record<string, unknown> {
  const payload = fromBase64url(row.jws.split('.')[1] ?? '');
  const credential = payload ? (JSON.parse(fromUtf8(payload)) as { credentialSubject?: unknown }) : undefined;
  const subject = credential?.credentialSubject;
  if (!isRecord(subject)) throw new ElicenceError('ERR_INTERNAL', 'stored credential has no credentialSubject');
  const { id, ...fields } = subject;
  const creditCode = typeof id === 'string' && id.startsWith(CREDIT_CODE_URN) ? id.slice(CREDIT_CODE_URN.length) : undefined;
  return { ...(creditCode === undefined ? {} : { creditCode }), ...fields };
}

/** RFC 7396 JSON Merge Patch: null removes a member, objects merge, anything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

export interface AmendByPatch {
  subjectPatch: Record<string, unknown>;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  note?: string | undefined;
}

/** Amends a licence by a merge patch of its subject, through the lifecycle service. */
export async function amendByPatch(
  deps: ServiceDeps,
  registry: LicenceTypeRegistry,
  principal: Principal,
  licenceId: string,
  request: AmendByPatch,
): Promise<{ amended: LicenceRow; previous: LicenceRow }> {
  const before = await requireLicence(deps.store.db, principal.authorityId, licenceId);
  const subject = applyMergePatch(currentSubject(before), request.subjectPatch) as Record<string, unknown>;
  return amendLicence(deps, registry, principal, licenceId, { subject, validFrom: request.validFrom, validUntil: request.validUntil, note: request.note });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The existing licence named by an ERR_DUPLICATE_ACTIVE refusal (uniquePerHolder), or undefined for any other error. */
export function duplicateOf(error: unknown): string | undefined {
  if (!(error instanceof ElicenceError) || (error.code as string) !== 'ERR_DUPLICATE_ACTIVE') return undefined;
  const details = error.details;
  if (isRecord(details)) {
    for (const key of ['existingLicenceId', 'existingId', 'licenceId', 'existing', 'id']) {
      const value = details[key];
      if (typeof value === 'string' && UUID.test(value)) return UUID.exec(value)![0];
      if (isRecord(value) && typeof value['id'] === 'string' && UUID.test(value['id'])) return UUID.exec(value['id'])![0];
    }
  }
  return UUID.exec(error.message)?.[0];
}
