/**
 * The console's side of the legal-status contract: the subject in the issue-request shape, amendment by
 * JSON Merge Patch and the existing licence named by a one-active-licence-per-holder refusal, each
 * through the same services the API routes call.
 */
import { ElicenceError } from '../core/errors.js';
import { isRecord } from '../core/strict-json.js';
import type { LicenceRow } from '../services/issuance.js';
import type { LicenceTypeRegistry } from '../services/licence-types.js';
import { licenceSubject } from '../services/licences.js';
import { amendLicence } from '../services/lifecycle.js';
import type { ServiceDeps } from '../services/ports.js';
import type { Principal } from '../services/tokens.js';

/** The licence's subject as it was submitted (`creditCode` instead of the credential's `id`). */
export const currentSubject = (row: Pick<LicenceRow, 'jws'>): Record<string, unknown> => licenceSubject(row);

export interface AmendByPatch {
  subjectPatch: Record<string, unknown>;
  validFrom?: string | undefined;
  validUntil?: string | undefined;
  note?: string | undefined;
}

/** Amends a licence by a merge patch of its subject (the lifecycle service validates the result). */
export function amendByPatch(
  deps: ServiceDeps,
  registry: LicenceTypeRegistry,
  principal: Principal,
  licenceId: string,
  request: AmendByPatch,
): Promise<{ amended: LicenceRow; previous: LicenceRow }> {
  return amendLicence(deps, registry, principal, licenceId, request);
}

/** The existing licence named by an ERR_DUPLICATE_ACTIVE refusal (uniquePerHolder), or undefined for any other error. */
export function duplicateOf(error: unknown): string | undefined {
  if (!(error instanceof ElicenceError) || error.code !== 'ERR_DUPLICATE_ACTIVE') return undefined;
  const details = error.details;
  return isRecord(details) && typeof details['licenceId'] === 'string' ? details['licenceId'] : undefined;
}
