/**
 * Reads a licence credential payload (docs/credential-format.md) into the few facts the checks need.
 * Shape only: nothing here is trusted until the signature and the trust list say so.
 */
import { checkJwtClaims } from '../src/core/claims.js';
import { type StatusPurpose, VC_CONTEXT_V2 } from '../src/core/credential.js';
import { parseDateTimeMs } from '../src/core/dates.js';
import { ElicenceError } from '../src/core/errors.js';
import { isRecord } from '../src/core/strict-json.js';

export interface StatusEntry {
  purpose: StatusPurpose;
  index: number;
  listUrl: string;
}

export interface ParsedLicence {
  id: string;
  type: string;
  issuerId: string;
  issuerName: string;
  /** Epoch ms. */
  validFrom: number;
  /** Absent: no expiry. */
  validUntil: number | undefined;
  issuedAt: number;
  subject: Record<string, unknown>;
  status: Record<StatusPurpose, StatusEntry>;
  supersedes: string | undefined;
  /** `licenceIdentifier` as signed (证照标识, GB/T 36904), whatever its shape: display checks it; absent before identifiers. */
  licenceIdentifier: unknown;
  payload: Record<string, unknown>;
}

const MAX_STATUS_INDEX = 2 ** 31 - 1;

function bad(message: string, field: string): ElicenceError {
  return new ElicenceError('ERR_INVALID_CREDENTIAL', message, { field });
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw bad(`${field} must be a non-empty string`, field);
  return value;
}

const MAX_STATUS_ENTRIES = 16;

/**
 * The revocation and suspension entries, exactly one of each. Forward compatible: entries of another
 * type or with a purpose this verifier does not know (added by a later issuer) are ignored, so a
 * verifier in the field keeps working; the two it knows stay required.
 */
function statusEntries(value: unknown): Record<StatusPurpose, StatusEntry> {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATUS_ENTRIES)
    throw bad('credentialStatus must hold a revocation and a suspension entry', 'credentialStatus');
  const found: Partial<Record<StatusPurpose, StatusEntry>> = {};
  for (const entry of value) {
    if (!isRecord(entry)) throw bad('credentialStatus entries must be objects', 'credentialStatus');
    const purpose = entry.statusPurpose;
    if (entry.type !== 'BitstringStatusListEntry' || (purpose !== 'revocation' && purpose !== 'suspension')) continue;
    if (found[purpose]) throw bad(`credentialStatus has two ${purpose} entries`, 'credentialStatus');
    const index = entry.statusListIndex;
    if (typeof index !== 'string' || !/^(0|[1-9]\d{0,9})$/.test(index) || Number(index) > MAX_STATUS_INDEX) {
      throw bad('statusListIndex must be a decimal string', 'credentialStatus');
    }
    found[purpose] = { purpose, index: Number(index), listUrl: nonEmpty(entry.statusListCredential, 'statusListCredential') };
  }
  if (!found.revocation || !found.suspension) throw bad('credentialStatus needs one revocation and one suspension entry', 'credentialStatus');
  return found as Record<StatusPurpose, StatusEntry>;
}

/**
 * Throws ERR_INVALID_CREDENTIAL (with the offending field) when the payload is not a licence, and
 * ERR_CLAIMS_MISMATCH / ERR_CLAIMS_FORBIDDEN when JWT claims it carries disagree with it.
 */
export function parseLicence(payload: Record<string, unknown>): ParsedLicence {
  const context = payload['@context'];
  if (!Array.isArray(context) || context[0] !== VC_CONTEXT_V2) throw bad('@context must start with the VC 2.0 context', '@context');
  const type = payload.type;
  if (!Array.isArray(type) || type.length !== 2 || type[0] !== 'VerifiableCredential' || typeof type[1] !== 'string' || type[1].length === 0) {
    throw bad('type must be ["VerifiableCredential", "<LicenceType>"]', 'type');
  }
  const issuer = payload.issuer;
  if (!isRecord(issuer)) throw bad('issuer must be { id, name }', 'issuer');
  const validFrom = parseDateTimeMs(payload.validFrom);
  // validUntil is optional in VC 2.0: without it the licence does not expire (有效期：长期).
  const validUntil = payload.validUntil === undefined ? undefined : parseDateTimeMs(payload.validUntil);
  if (validFrom === undefined) throw bad('validFrom must be a dateTime', 'validFrom');
  if (payload.validUntil !== undefined && (validUntil === undefined || validUntil <= validFrom)) throw bad('validUntil must be a dateTime after validFrom', 'validUntil');
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) throw bad('iat must be seconds since the epoch', 'iat');
  const subject = payload.credentialSubject;
  if (!isRecord(subject)) throw bad('credentialSubject must be an object', 'credentialSubject');
  nonEmpty(subject.id, 'credentialSubject.id');
  // exp, nbf, iss, sub, jti, when present, must say what the credential says (one rule for every verifier).
  checkJwtClaims(payload);
  const supersedes = payload.supersedes;
  if (supersedes !== undefined && typeof supersedes !== 'string') throw bad('supersedes must be a string', 'supersedes');
  return {
    id: nonEmpty(payload.id, 'id'),
    type: type[1],
    issuerId: nonEmpty(issuer.id, 'issuer.id'),
    issuerName: nonEmpty(issuer.name, 'issuer.name'),
    validFrom,
    validUntil,
    issuedAt: iat * 1000,
    subject,
    status: statusEntries(payload.credentialStatus),
    supersedes,
    licenceIdentifier: payload.licenceIdentifier,
    payload,
  };
}
