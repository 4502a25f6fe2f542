/**
 * Reads a credential payload into the few facts the checks need: a licence (docs/credential-format.md),
 * a bound copy of one (a licence with `cnf` and its own third status entry) or an agent authorisation
 * (authorisation.ts). Shape only: nothing here is trusted until the signature and the trust list say so.
 */
import type { JWK } from 'jose';
import { checkPublicJwk, ES256 } from '../src/core/algorithms.js';
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

/** What an agent authorisation says about whom (authorisation.ts reads it). */
export interface AuthorisationSubject {
  licence: { id: string; identifier: string; type: string; validUntil: number | undefined };
  company: { name: string; creditCode: string };
  agent: { name: string; idNumberMasked: string };
  matters: 'all' | string[];
}

/** A licence, a licence bound to a holder device (it has `cnf`), or an agent authorisation (授权用证). */
export type CredentialKind = 'licence' | 'boundCopy' | 'agentAuthorisation';

export interface ParsedLicence {
  kind: CredentialKind;
  id: string;
  /** The credential's own type: the licence type, or `AgentAuthorisation`. */
  type: string;
  /** The licence type the issuer must be trusted for: the licence's own, or the one an authorisation names. */
  trustType: string;
  issuerId: string;
  issuerName: string;
  /** Epoch ms. */
  validFrom: number;
  /** Absent: no expiry. */
  validUntil: number | undefined;
  issuedAt: number;
  subject: Record<string, unknown>;
  /** The licence's revocation and suspension entries. */
  status: Record<StatusPurpose, StatusEntry>;
  /** The bound copy's or the authorisation's own revocation entry (removing the device / revoking the authorisation sets it). */
  ownRevocation: StatusEntry | undefined;
  /** The holder device's public key (`cnf.jwk`), checked: P-256, public members only. */
  cnf: JWK | undefined;
  supersedes: string | undefined;
  /** What an agent authorisation says (authorisation.ts); absent for licences and bound copies. */
  authorisation?: AuthorisationSubject;
  /** `licenceIdentifier` as signed (证照标识, GB/T 36904), whatever its shape: display checks it; absent before identifiers. */
  licenceIdentifier: unknown;
  payload: Record<string, unknown>;
}

const MAX_STATUS_INDEX = 2 ** 31 - 1;

export function bad(message: string, field: string): ElicenceError {
  return new ElicenceError('ERR_INVALID_CREDENTIAL', message, { field });
}

export function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw bad(`${field} must be a non-empty string`, field);
  return value;
}

const MAX_STATUS_ENTRIES = 16;

function statusEntry(entry: Record<string, unknown>, purpose: StatusPurpose): StatusEntry {
  const index = entry.statusListIndex;
  if (typeof index !== 'string' || !/^(0|[1-9]\d{0,9})$/.test(index) || Number(index) > MAX_STATUS_INDEX) {
    throw bad('statusListIndex must be a decimal string', 'credentialStatus');
  }
  return { purpose, index: Number(index), listUrl: nonEmpty(entry.statusListCredential, 'statusListCredential') };
}

/**
 * The `BitstringStatusListEntry` entries of the purposes this verifier knows, in order. Forward
 * compatible: entries of another type or with a purpose this verifier does not know (added by a later
 * issuer) are ignored, so a verifier in the field keeps working.
 */
export function knownStatusEntries(value: unknown): StatusEntry[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_STATUS_ENTRIES)
    throw bad('credentialStatus must hold a revocation and a suspension entry', 'credentialStatus');
  const found: StatusEntry[] = [];
  for (const entry of value) {
    if (!isRecord(entry)) throw bad('credentialStatus entries must be objects', 'credentialStatus');
    const purpose = entry.statusPurpose;
    if (entry.type !== 'BitstringStatusListEntry' || (purpose !== 'revocation' && purpose !== 'suspension')) continue;
    found.push(statusEntry(entry, purpose));
  }
  return found;
}

/**
 * The revocation and suspension entries, exactly one of each; a bound copy (`bound`) has one more
 * revocation entry after the licence's, its own (the issue 24 contract), and any set bit revokes it.
 */
function statusEntries(value: unknown, bound: boolean): { status: Record<StatusPurpose, StatusEntry>; own: StatusEntry | undefined } {
  const entries = knownStatusEntries(value);
  const revocations = entries.filter((e) => e.purpose === 'revocation');
  const suspensions = entries.filter((e) => e.purpose === 'suspension');
  if (suspensions.length > 1) throw bad('credentialStatus has two suspension entries', 'credentialStatus');
  if (revocations.length > (bound ? 2 : 1))
    throw bad(bound ? 'a bound copy has at most two revocation entries' : 'credentialStatus has two revocation entries', 'credentialStatus');
  if (revocations.length === 0 || suspensions.length === 0) throw bad('credentialStatus needs one revocation and one suspension entry', 'credentialStatus');
  if (bound && revocations.length !== 2) throw bad("a bound copy needs its own revocation entry after the licence's", 'credentialStatus');
  return { status: { revocation: revocations[0]!, suspension: suspensions[0]! }, own: revocations[1] };
}

/**
 * `cnf` (RFC 7800) of a bound credential: `{ jwk }` with a P-256 public key and nothing else (no `d`,
 * no `kid` or `alg`): the live proof is checked with ES256 and this key only, whatever it says of itself.
 */
export function parseCnf(value: unknown): JWK {
  if (!isRecord(value) || Object.keys(value).length !== 1 || !isRecord(value.jwk)) throw bad('cnf must be { "jwk": <P-256 public key> }', 'cnf');
  const jwk = value.jwk;
  const checked = checkPublicJwk(jwk);
  if (!checked.ok && checked.problem === 'private-member') throw bad('cnf.jwk carries private key material', 'cnf.jwk');
  if (!checked.ok || checked.algorithm !== ES256) throw bad('cnf.jwk must be a P-256 public key (kty EC, crv P-256, x, y)', 'cnf.jwk');
  const extra = Object.keys(jwk).filter((member) => !['kty', 'crv', 'x', 'y'].includes(member));
  if (extra.length > 0) throw bad(`cnf.jwk may carry only kty, crv, x and y (not ${extra.join(', ')})`, 'cnf.jwk');
  return checked.jwk;
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
  const cnf = payload.cnf === undefined ? undefined : parseCnf(payload.cnf);
  if (cnf !== undefined && validUntil === undefined) throw bad('a bound copy must have a validUntil', 'validUntil');
  const { status, own } = statusEntries(payload.credentialStatus, cnf !== undefined);
  return {
    kind: cnf === undefined ? 'licence' : 'boundCopy',
    id: nonEmpty(payload.id, 'id'),
    type: type[1],
    trustType: type[1],
    issuerId: nonEmpty(issuer.id, 'issuer.id'),
    issuerName: nonEmpty(issuer.name, 'issuer.name'),
    validFrom,
    validUntil,
    issuedAt: iat * 1000,
    subject,
    status,
    ownRevocation: own,
    cnf,
    supersedes,
    licenceIdentifier: payload.licenceIdentifier,
    payload,
  };
}
