/**
 * W3C VC API glue: turns an unsecured VC 2.0 licence credential into an issue request (refusing what
 * the data model forbids), and verifies enveloped vc+jwt credentials against this deployment's keys.
 */
import { eq } from 'drizzle-orm';
import { VC_CONTEXT_V2, VC_JWT_CTY, VC_JWT_ENVELOPE_PREFIX, VC_JWT_TYP } from '../core/credential.js';
import { parseDateTimeMs } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { type DecodedJws, decodeJws, verifyJwsSignature } from '../core/jws-verify.js';
import { isRecord } from '../core/strict-json.js';
import { licences } from '../db/schema.js';
import type { IssueRequest } from './issuance.js';
import { effectiveStatus } from './licences.js';
import type { ServiceDeps } from './ports.js';
import { credentialTrust, federatedStatus } from './trust/credential-trust.js';

const ALLOWED_CREDENTIAL_MEMBERS = new Set(['@context', 'type', 'issuer', 'credentialSubject', 'validFrom', 'validUntil', 'id', 'name', 'description']);

const invalid = (message: string, field: string) => new ElicenceError('ERR_INVALID_CREDENTIAL', message, { field });

export function envelope(jws: string) {
  return { '@context': [VC_CONTEXT_V2], type: 'EnvelopedVerifiableCredential', id: `${VC_JWT_ENVELOPE_PREFIX}${jws}` };
}

/**
 * Maps `credential` of POST /credentials/issue to an issue request. The service assigns `id`,
 * `credentialStatus` and signs; a caller cannot supply a proof, status or another issuer.
 */
export function credentialToIssueRequest(credential: unknown, issuerDid: string): IssueRequest {
  if (!isRecord(credential)) throw invalid('credential must be a JSON object', 'credential');
  const vc = credential;
  const context = vc['@context'];
  if (!Array.isArray(context) || context[0] !== VC_CONTEXT_V2) {
    throw invalid(`@context must be an array whose first item is ${VC_CONTEXT_V2}`, 'credential.@context');
  }
  if (context.some((c) => typeof c !== 'string' && (typeof c !== 'object' || c === null))) throw invalid('@context items must be URLs or objects', 'credential.@context');
  for (const member of Object.keys(vc)) {
    if (member === 'proof') throw invalid('an unsecured credential must not carry a proof', 'credential.proof');
    if (member === 'credentialStatus') throw invalid('credentialStatus is assigned by the issuer', 'credential.credentialStatus');
    if (member === 'issuanceDate' || member === 'expirationDate') throw invalid(`${member} is VC 1.1; use validFrom/validUntil`, `credential.${member}`);
    if (!ALLOWED_CREDENTIAL_MEMBERS.has(member)) throw new ElicenceError('ERR_UNKNOWN_FIELD', `unsupported credential member "${member}"`, { field: `credential.${member}` });
  }
  const type = vc['type'];
  if (!Array.isArray(type) || !type.includes('VerifiableCredential') || type.some((t) => typeof t !== 'string')) {
    throw invalid('type must be an array of strings including "VerifiableCredential"', 'credential.type');
  }
  const licenceTypes = type.filter((t) => t !== 'VerifiableCredential') as string[];
  if (licenceTypes.length !== 1) throw invalid('type must name exactly one licence type besides VerifiableCredential', 'credential.type');
  if (vc['id'] !== undefined && (typeof vc['id'] !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(vc['id']))) {
    throw invalid('id must be a URL', 'credential.id');
  }
  const issuer = vc['issuer'];
  if (issuer !== undefined) {
    const issuerId = typeof issuer === 'string' ? issuer : typeof issuer === 'object' && issuer !== null ? (issuer as { id?: unknown }).id : undefined;
    if (typeof issuerId !== 'string') throw invalid('issuer must be a URL or an object with an id', 'credential.issuer');
    if (issuerId !== issuerDid) throw new ElicenceError('ERR_FORBIDDEN', `this token issues as ${issuerDid}`, { field: 'credential.issuer' });
  }
  for (const field of ['validFrom', 'validUntil'] as const) {
    const value = vc[field];
    if (value !== undefined && parseDateTimeMs(value) === undefined) throw invalid(`${field} must be an XML Schema dateTime`, `credential.${field}`);
  }
  const subject = vc['credentialSubject'];
  if (!isRecord(subject)) throw invalid('credentialSubject must be one object', 'credential.credentialSubject');
  const { id: subjectId, ...fields } = subject;
  const creditCode = typeof subjectId === 'string' && subjectId.startsWith('urn:uscc:') ? subjectId.slice('urn:uscc:'.length) : undefined;
  if (creditCode === undefined) throw invalid('credentialSubject.id must be urn:uscc:<unified social credit code>', 'credential.credentialSubject.id');
  return {
    type: licenceTypes[0]!,
    subject: { creditCode, ...fields },
    ...(typeof vc['validFrom'] === 'string' ? { validFrom: vc['validFrom'] } : {}),
    ...(typeof vc['validUntil'] === 'string' ? { validUntil: vc['validUntil'] } : {}),
  };
}

export interface VerifyProblem {
  code: string;
  message: string;
}

export interface VcApiVerification {
  verified: boolean;
  checks: string[];
  warnings: VerifyProblem[];
  errors: VerifyProblem[];
}

/** Extracts the JWS from an EnvelopedVerifiableCredential; ERR_INVALID_CREDENTIAL when it is not one. */
export function unwrapEnvelope(value: unknown): string {
  if (typeof value !== 'object' || value === null) throw invalid('verifiableCredential must be an EnvelopedVerifiableCredential', 'verifiableCredential');
  const { type, id } = value as { type?: unknown; id?: unknown };
  if (type !== 'EnvelopedVerifiableCredential' && !(Array.isArray(type) && type.includes('EnvelopedVerifiableCredential'))) {
    throw invalid('verifiableCredential.type must be EnvelopedVerifiableCredential', 'verifiableCredential.type');
  }
  if (typeof id !== 'string' || !id.startsWith(VC_JWT_ENVELOPE_PREFIX)) {
    throw invalid(`verifiableCredential.id must be a ${VC_JWT_ENVELOPE_PREFIX}<jws> data URL`, 'verifiableCredential.id');
  }
  return id.slice(VC_JWT_ENVELOPE_PREFIX.length);
}

/**
 * Verifies a licence JWS: pinned algorithms and typ, the trust rules of the offline verifier with this
 * deployment's trust view (the key from the trust list only), the validity window with `skewMs`, and
 * the licence's current status (its own tables for a hosted authority, stored peer status lists for a
 * federated province). A JWS that cannot even be decoded is ERR_INVALID_CREDENTIAL.
 */
export async function verifyHostedCredential(deps: ServiceDeps, jws: string, now: number, skewMs = 60_000): Promise<VcApiVerification> {
  const db = deps.store.db;
  let decoded: DecodedJws;
  try {
    decoded = decodeJws(jws, { typ: VC_JWT_TYP, cty: VC_JWT_CTY });
  } catch (cause) {
    const reason = cause instanceof ElicenceError ? `${cause.code}: ${cause.message}` : 'undecodable';
    throw new ElicenceError('ERR_INVALID_CREDENTIAL', `not a vc+jwt credential (${reason})`, { field: 'verifiableCredential.id', cause });
  }
  const errors: VerifyProblem[] = [];
  const checks: string[] = [];
  const payload = decoded.payload;
  // The trust step: issuer listed and active, key valid at iat, type authorised (trust/credential-trust.ts).
  const trust = await credentialTrust(deps, decoded);
  if (!trust.ok) {
    errors.push(trust.problem);
    return { verified: false, checks, warnings: [], errors };
  }
  try {
    await verifyJwsSignature(decoded, trust.jwk);
    checks.push('proof', ...trust.checks);
  } catch (cause) {
    errors.push({ code: cause instanceof ElicenceError ? cause.code : 'ERR_JWS_SIGNATURE', message: 'signature does not verify' });
    return { verified: false, checks, warnings: trust.warnings, errors };
  }
  const validFrom = parseDateTimeMs(payload['validFrom']);
  const validUntil = parseDateTimeMs(payload['validUntil']);
  if (validFrom === undefined || validUntil === undefined) errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: 'validFrom/validUntil missing or invalid' });
  else if (now + skewMs < validFrom) errors.push({ code: 'ERR_NOT_YET_VALID', message: 'the credential is not valid yet' });
  else if (now - skewMs >= validUntil) errors.push({ code: 'ERR_EXPIRED', message: 'the credential has expired' });
  else checks.push('validityWindow');
  const credentialId = typeof payload['id'] === 'string' ? payload['id'] : '';
  const [licence] = credentialId.startsWith('urn:uuid:')
    ? await db
        .select()
        .from(licences)
        .where(eq(licences.id, credentialId.slice(9)))
    : [];
  if (licence) {
    const status = effectiveStatus(licence, now);
    if (status === 'revoked') errors.push({ code: 'ERR_REVOKED', message: `the licence was revoked${licence.statusReason ? ` (${licence.statusReason})` : ''}` });
    else if (status === 'suspended') errors.push({ code: 'ERR_SUSPENDED', message: 'the licence is suspended' });
    else checks.push('credentialStatus');
  } else if (!trust.hosted && trust.trust) {
    // A federated province's licence: its status from the lists stored from its anchor's bundle.
    const status = await federatedStatus(deps, trust.trust, payload, now);
    checks.push(...status.checks);
    errors.push(...status.errors);
  }
  return { verified: errors.length === 0, checks, warnings: trust.warnings, errors };
}
