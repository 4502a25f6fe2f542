/**
 * W3C VC API glue: turns an unsecured VC 2.0 licence credential into an issue request (refusing what
 * the data model forbids), and verifies enveloped vc+jwt credentials, and presentations carrying them,
 * against this deployment's keys. Verification of one credential is one function
 * (`verifyCredentialJws`) whose trust step is one function (`credentialTrust`, the deployment's trust view).
 */
import { and, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { AGENT_AUTHORISATION_TYPE } from '../core/bound-credentials.js';
import { checkJwtClaims } from '../core/claims.js';
import { VC_CONTEXT_V2, VC_JWT_CTY, VC_JWT_ENVELOPE_PREFIX, VC_JWT_TYP } from '../core/credential.js';
import { parseDateTimeMs } from '../core/dates.js';
import { ElicenceError, type ErrorCode } from '../core/errors.js';
import { resolveHolderKey } from '../core/holder-keys.js';
import { type DecodedJws, decodeJws, verifyJwsSignature } from '../core/jws-verify.js';
import { canonicalRevocationReason, type StatusReason, SUSPENDED_REASON, UNSPECIFIED_REASON } from '../core/status-reasons.js';
import { isRecord } from '../core/strict-json.js';
import { agentAuthorisations, authorities, boundCopies, licences, statusLists } from '../db/schema.js';
import type { Db } from '../db/store.js';
import type { IssueRequest } from './issuance.js';
import type { ServiceDeps } from './ports.js';
import { credentialTrust, federatedStatus } from './trust/credential-trust.js';

const ALLOWED_CREDENTIAL_MEMBERS = new Set(['@context', 'type', 'issuer', 'credentialSubject', 'validFrom', 'validUntil', 'id', 'name', 'description']);

/** `id` of a VC 2.0 EnvelopedVerifiablePresentation carrying a vp+jwt: this prefix, then the compact JWS. */
export const VP_JWT_ENVELOPE_PREFIX = 'data:application/vp+jwt,';
export const VP_JWT_TYP = 'vp+jwt';
export const VP_JWT_CTY = 'vp';

const invalid = (message: string, field: string) => new ElicenceError('ERR_INVALID_CREDENTIAL', message, { field });
/** An absolute URL (or URN): a scheme, a colon, no white space. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\S+$/i;

export function envelope(jws: string) {
  return { '@context': [VC_CONTEXT_V2], type: 'EnvelopedVerifiableCredential', id: `${VC_JWT_ENVELOPE_PREFIX}${jws}` };
}

/** A VC 2.0 language value: a plain string, or a language map / list of `{ "@value", "@language" }`. */
function isLanguageValue(value: unknown): boolean {
  const one = (v: unknown) =>
    typeof v === 'string' ||
    (isRecord(v) &&
      typeof v['@value'] === 'string' &&
      Object.keys(v).every((k) => k === '@value' || k === '@language' || k === '@direction') &&
      (v['@language'] === undefined || typeof v['@language'] === 'string') &&
      (v['@direction'] === undefined || v['@direction'] === 'ltr' || v['@direction'] === 'rtl'));
  return one(value) || (Array.isArray(value) && value.length > 0 && value.length <= 20 && value.every(one));
}

/**
 * Maps `credential` of POST /credentials/issue to an issue request. The service assigns `id`,
 * `licenceIdentifier` and `credentialStatus` and signs; `"validUntil": null` asks for no expiry; a caller cannot supply a proof, status or another issuer. `name` and
 * `description` (plain strings or language values) are kept in the issued credential.
 */
export function credentialToIssueRequest(credential: unknown, issuerDid: string): IssueRequest {
  if (!isRecord(credential)) throw invalid('credential must be a JSON object', 'credential');
  const vc = credential;
  const context = vc['@context'];
  if (!Array.isArray(context) || context[0] !== VC_CONTEXT_V2) {
    throw invalid(`@context must be an array whose first item is ${VC_CONTEXT_V2}`, 'credential.@context');
  }
  if (context.some((c) => (typeof c === 'string' ? !URL_LIKE.test(c) : !isRecord(c)))) throw invalid('@context items must be URLs or objects', 'credential.@context');
  for (const member of Object.keys(vc)) {
    if (member === 'proof') throw invalid('an unsecured credential must not carry a proof', 'credential.proof');
    if (member === 'credentialStatus') throw invalid('credentialStatus is assigned by the issuer', 'credential.credentialStatus');
    if (member === 'licenceIdentifier') throw invalid('licenceIdentifier is assigned by the issuer', 'credential.licenceIdentifier');
    if (member === 'issuanceDate' || member === 'expirationDate') throw invalid(`${member} is VC 1.1; use validFrom/validUntil`, `credential.${member}`);
    if (!ALLOWED_CREDENTIAL_MEMBERS.has(member)) throw new ElicenceError('ERR_UNKNOWN_FIELD', `unsupported credential member "${member}"`, { field: `credential.${member}` });
  }
  const type = vc['type'];
  if (!Array.isArray(type) || !type.includes('VerifiableCredential') || type.some((t) => typeof t !== 'string')) {
    throw invalid('type must be an array of strings including "VerifiableCredential"', 'credential.type');
  }
  const licenceTypes = type.filter((t) => t !== 'VerifiableCredential') as string[];
  if (licenceTypes.length !== 1) throw invalid('type must name exactly one licence type besides VerifiableCredential', 'credential.type');
  if (vc['id'] !== undefined && (typeof vc['id'] !== 'string' || !URL_LIKE.test(vc['id']))) {
    throw invalid('id must be a URL', 'credential.id');
  }
  const issuer = vc['issuer'];
  if (issuer !== undefined) {
    const issuerId = typeof issuer === 'string' ? issuer : typeof issuer === 'object' && issuer !== null ? (issuer as { id?: unknown }).id : undefined;
    if (typeof issuerId !== 'string') throw invalid('issuer must be a URL or an object with an id', 'credential.issuer');
    if (issuerId !== issuerDid) throw new ElicenceError('ERR_FORBIDDEN', `this token issues as ${issuerDid}`, { field: 'credential.issuer' });
    for (const field of ['name', 'description'] as const) {
      const value = isRecord(issuer) ? issuer[field] : undefined;
      if (value !== undefined && !isLanguageValue(value)) throw invalid(`issuer.${field} must be a string or language values`, `credential.issuer.${field}`);
    }
  }
  for (const field of ['validFrom', 'validUntil'] as const) {
    const value = vc[field];
    // validUntil: null asks for a licence without expiry (有效期：长期): the issued credential has no validUntil.
    if (field === 'validUntil' && value === null) continue;
    if (value !== undefined && parseDateTimeMs(value) === undefined) throw invalid(`${field} must be an XML Schema dateTime`, `credential.${field}`);
  }
  for (const field of ['name', 'description'] as const) {
    const value = vc[field];
    if (value !== undefined && !isLanguageValue(value)) throw invalid(`${field} must be a string or language values ({ "@value", "@language" })`, `credential.${field}`);
    if (value !== undefined && JSON.stringify(value).length > 4000) throw invalid(`${field} is longer than 4000 characters`, `credential.${field}`);
  }
  const subject = vc['credentialSubject'];
  if (!isRecord(subject)) throw invalid('credentialSubject must be one object', 'credential.credentialSubject');
  const { id: subjectId, ...fields } = subject;
  const creditCode = typeof subjectId === 'string' && subjectId.startsWith('urn:uscc:') ? subjectId.slice('urn:uscc:'.length) : undefined;
  if (creditCode === undefined) throw invalid('credentialSubject.id must be urn:uscc:<unified social credit code>', 'credential.credentialSubject.id');
  // The holder is the one credentialSubject.id names: a creditCode member beside it would override it
  // (the issued licence would be another holder's than the credential a reviewer or gateway checked).
  if ('creditCode' in fields)
    throw invalid('the holder is credentialSubject.id (urn:uscc:<code>); credentialSubject must not carry creditCode', 'credential.credentialSubject.creditCode');
  return {
    type: licenceTypes[0]!,
    subject: { creditCode, ...fields },
    ...(typeof vc['validFrom'] === 'string' ? { validFrom: vc['validFrom'] } : {}),
    ...(typeof vc['validUntil'] === 'string' ? { validUntil: vc['validUntil'] } : vc['validUntil'] === null ? { validUntil: null } : {}),
    ...(vc['name'] !== undefined ? { name: vc['name'] } : {}),
    ...(vc['description'] !== undefined ? { description: vc['description'] } : {}),
  };
}

export interface VerifyProblem {
  code: string;
  message: string;
}

/** RFC 9457-style problem, as the VC API and VC 2.0 (§7.1 Verification) report them. */
export interface ProblemDetail {
  type: string;
  title: string;
  detail: string;
}

export interface VcApiVerification {
  verified: boolean;
  checks: string[];
  warnings: VerifyProblem[];
  errors: VerifyProblem[];
  problemDetails: ProblemDetail[];
  /** A revoked or suspended licence hosted here: which legal act (src/core/status-reasons.ts). */
  reason?: StatusReason;
}

export interface CredentialResult extends VcApiVerification {
  /** The credential's `id`, when it could be read. */
  credentialId?: string;
}

export interface PresentationVerification extends VcApiVerification {
  /** One entry per credential of the presentation, in order. */
  credentialResults: CredentialResult[];
}

const PROBLEM_BASE = 'https://www.w3.org/TR/vc-data-model#';
const problemType = (code: string): string => {
  if (code === 'ERR_JWS_SIGNATURE' || code === 'ERR_JWS_ALGORITHM' || code === 'ERR_UNKNOWN_KEY' || code === 'ERR_HOLDER_KEY_UNRESOLVABLE') {
    return `${PROBLEM_BASE}CRYPTOGRAPHIC_SECURITY_ERROR`;
  }
  if (code === 'ERR_EXPIRED' || code === 'ERR_NOT_YET_VALID') return `${PROBLEM_BASE}RANGE_ERROR`;
  if (code === 'ERR_JWS_MALFORMED' || code === 'ERR_JSON_DUPLICATE_KEY' || code === 'ERR_JSON_TOO_DEEP') return `${PROBLEM_BASE}PARSING_ERROR`;
  return `${PROBLEM_BASE}MALFORMED_VALUE_ERROR`;
};

function result(checks: string[], errors: VerifyProblem[], warnings: VerifyProblem[] = []): VcApiVerification {
  return {
    verified: errors.length === 0,
    checks,
    warnings,
    errors,
    problemDetails: errors.map((e) => ({ type: problemType(e.code), title: e.code, detail: e.message })),
  };
}

const problemOf = (cause: unknown, fallback: ErrorCode, message?: string): VerifyProblem =>
  cause instanceof ElicenceError ? { code: cause.code, message: message ?? cause.message } : { code: fallback, message: message ?? 'malformed' };

/** `@context` of an envelope: the VC 2.0 context, alone as a string or first in an array. */
function hasV2Context(value: Record<string, unknown>): boolean {
  const context = value['@context'];
  return context === VC_CONTEXT_V2 || (Array.isArray(context) && context[0] === VC_CONTEXT_V2 && context.every((c) => typeof c === 'string' || isRecord(c)));
}

function hasType(value: unknown, name: string): boolean {
  return value === name || (Array.isArray(value) && value.includes(name));
}

/**
 * Extracts the JWS from an EnvelopedVerifiableCredential (VC 2.0 §4.13): `@context` the VC 2.0
 * context, `type` EnvelopedVerifiableCredential, `id` a `data:application/vc+jwt,` URL.
 * ERR_INVALID_CREDENTIAL, naming the member, when it is not one.
 */
export function unwrapEnvelope(value: unknown, field = 'verifiableCredential'): string {
  if (!isRecord(value)) throw invalid(`${field} must be an EnvelopedVerifiableCredential`, field);
  if (!hasV2Context(value)) throw invalid(`${field}.@context must be present and start with ${VC_CONTEXT_V2}`, `${field}.@context`);
  if (!hasType(value['type'], 'EnvelopedVerifiableCredential')) {
    throw invalid(`${field}.type must be EnvelopedVerifiableCredential`, `${field}.type`);
  }
  const id = value['id'];
  if (typeof id !== 'string' || !id.startsWith(VC_JWT_ENVELOPE_PREFIX)) {
    throw invalid(`${field}.id must be a ${VC_JWT_ENVELOPE_PREFIX}<jws> data URL`, `${field}.id`);
  }
  return id.slice(VC_JWT_ENVELOPE_PREFIX.length);
}

/** Decodes a vc+jwt; ERR_INVALID_CREDENTIAL when it cannot even be read. */
function decodeCredential(jws: string, field: string): DecodedJws {
  try {
    return decodeJws(jws, { typ: VC_JWT_TYP, cty: VC_JWT_CTY });
  } catch (cause) {
    const reason = cause instanceof ElicenceError ? `${cause.code}: ${cause.message}` : 'undecodable';
    throw new ElicenceError('ERR_INVALID_CREDENTIAL', `not a vc+jwt credential (${reason})`, { field, cause });
  }
}

type Authority = typeof authorities.$inferSelect;

/**
 * The trust step: the authority hosted here that `issuerId` names and its published key `kid`, or the
 * problem why the credential's issuer or key is not trusted. The only place verification decides
 * whose keys count.
 */

/**
 * Current status of a credential of a hosted authority, from its `credentialStatus` entries as this
 * deployment publishes them (the bit a status list would show), whether or not the credential's id is
 * a licence in the database.
 */
async function statusProblems(db: Db, authority: Authority, credentialStatus: unknown, publicUrl: string): Promise<VerifyProblem[] & { reason?: StatusReason }> {
  const entries = credentialStatus === undefined ? [] : Array.isArray(credentialStatus) ? credentialStatus : [credentialStatus];
  if (entries.length === 0) return [{ code: 'ERR_STATUS_UNKNOWN', message: `credentials of ${authority.id} carry credentialStatus; this one has none` }];
  const problems: VerifyProblem[] & { reason?: StatusReason } = [];
  const prefix = `${publicUrl}/status/`;
  for (const entry of entries) {
    const listUrl = isRecord(entry) ? entry['statusListCredential'] : undefined;
    const purpose = isRecord(entry) ? entry['statusPurpose'] : undefined;
    const indexText = isRecord(entry) ? entry['statusListIndex'] : undefined;
    if (
      !isRecord(entry) ||
      entry['type'] !== 'BitstringStatusListEntry' ||
      (purpose !== 'revocation' && purpose !== 'suspension') ||
      typeof indexText !== 'string' ||
      !/^(0|[1-9]\d{0,9})$/.test(indexText) ||
      typeof listUrl !== 'string'
    ) {
      problems.push({ code: 'ERR_INVALID_CREDENTIAL', message: 'credentialStatus entries must be BitstringStatusListEntry with a purpose, index and list' });
      continue;
    }
    const listId = listUrl.startsWith(prefix) ? listUrl.slice(prefix.length) : undefined;
    const [list] = listId === undefined ? [] : await db.select().from(statusLists).where(eq(statusLists.id, listId));
    const index = Number(indexText);
    if (!list || list.authorityId !== authority.id || list.purpose !== purpose || index >= list.size) {
      problems.push({ code: 'ERR_STATUS_UNKNOWN', message: `${listUrl} is not a ${purpose} list of ${authority.id} published here` });
      continue;
    }
    let [slot] = await db
      .select({ status: licences.status, statusReason: licences.statusReason })
      .from(licences)
      .where(
        purpose === 'revocation'
          ? and(eq(licences.revocationListId, list.id), eq(licences.revocationIndex, index))
          : and(eq(licences.suspensionListId, list.id), eq(licences.suspensionIndex, index)),
      );
    // A revocation slot may be a bound copy's or an agent authorisation's own (docs/credential-format.md §Bound copies).
    for (const table of purpose === 'revocation' && !slot ? [boundCopies, agentAuthorisations] : []) {
      [slot] = await db
        .select({ status: table.status, statusReason: table.statusReason })
        .from(table)
        .where(and(eq(table.revocationListId, list.id), eq(table.revocationIndex, index)));
      if (slot) break;
    }
    if (purpose === 'revocation' && slot?.status === 'revoked') {
      // Which legal act: a revocation's reason wins over a suspension's.
      problems.reason = canonicalRevocationReason(slot.statusReason) ?? UNSPECIFIED_REASON;
      problems.push({ code: 'ERR_REVOKED', message: `the licence was revoked (${problems.reason})` });
    } else if (purpose === 'suspension' && slot?.status === 'suspended') {
      problems.reason ??= SUSPENDED_REASON;
      problems.push({ code: 'ERR_SUSPENDED', message: 'the licence is suspended' });
    }
  }
  return problems;
}

export interface VerifyOptions {
  /** This deployment's public base URL (status list URLs start with it). */
  publicUrl: string;
  now: number;
  /** Allowed clock difference for the validity window (default 60 s). */
  skewMs?: number;
}

/**
 * Verifies one vc+jwt credential: pinned algorithms, typ and cty; a VC 2.0 payload; the key looked up
 * by kid among the issuer's published keys only (`issuerKey`); the signature; the JWT claims against
 * the credential (`checkJwtClaims`); the validity window, where present, with the skew; and the status
 * of every credential of a hosted authority. Throws ERR_INVALID_CREDENTIAL only when the JWS cannot be
 * decoded; every other finding is in the result.
 */
export async function verifyCredentialJws(deps: ServiceDeps, jws: string, options: VerifyOptions, field = 'verifiableCredential.id'): Promise<CredentialResult> {
  const decoded = decodeCredential(jws, field);
  const checks: string[] = [];
  const errors: VerifyProblem[] = [];
  const payload = decoded.payload;
  const credentialId = typeof payload['id'] === 'string' ? { credentialId: payload['id'] } : {};
  const warnings: VerifyProblem[] = [];
  const done = () => ({ ...result(checks, errors, warnings), ...credentialId });
  if (!hasV2Context(payload) || !Array.isArray(payload['@context']) || !hasType(payload['type'], 'VerifiableCredential')) {
    errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: `the payload is not a VC 2.0 credential (@context ${VC_CONTEXT_V2}, type VerifiableCredential)` });
    return done();
  }
  // An agent authorisation counts only when shown live from the agent's device (the offline verifier's
  // rule): a JWS sent here is a static copy, whatever the deployment's trust view says of its type.
  if (hasType(payload['type'], AGENT_AUTHORISATION_TYPE)) {
    errors.push({ code: 'ERR_PRESENTATION_NOT_LIVE', message: "an agent authorisation is accepted only when shown live from the agent's device, not as a credential sent here" });
    return done();
  }
  // The trust step, with the offline verifier's rules: issuer listed and active, key valid at iat,
  // type authorised, on a list this deployment accepts (trust/credential-trust.ts).
  const trusted = await credentialTrust(deps, decoded);
  if (!trusted.ok) {
    errors.push(trusted.problem);
    return done();
  }
  warnings.push(...trusted.warnings);
  try {
    await verifyJwsSignature(decoded, trusted.jwk);
    checks.push('proof', ...trusted.checks);
  } catch (cause) {
    errors.push(problemOf(cause, 'ERR_JWS_SIGNATURE', 'signature does not verify'));
    return done();
  }
  try {
    checkJwtClaims(payload);
    checks.push('claims');
  } catch (cause) {
    errors.push(problemOf(cause, 'ERR_CLAIMS_MISMATCH'));
  }
  const skewMs = options.skewMs ?? 60_000;
  const validFrom = payload['validFrom'] === undefined ? null : parseDateTimeMs(payload['validFrom']);
  const validUntil = payload['validUntil'] === undefined ? null : parseDateTimeMs(payload['validUntil']);
  if (validFrom === undefined || validUntil === undefined) errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: 'validFrom/validUntil must be XML Schema dateTimes' });
  else if (validFrom !== null && options.now + skewMs < validFrom) errors.push({ code: 'ERR_NOT_YET_VALID', message: 'the credential is not valid yet' });
  else if (validUntil !== null && options.now - skewMs >= validUntil) errors.push({ code: 'ERR_EXPIRED', message: 'the credential has expired' });
  else checks.push('validityWindow');
  const issuer = payload['issuer'];
  const issuerId = typeof issuer === 'string' ? issuer : isRecord(issuer) ? issuer['id'] : undefined;
  const [hosted] = trusted.hosted && typeof issuerId === 'string' ? await deps.store.db.select().from(authorities).where(eq(authorities.did, issuerId)) : [];
  if (hosted) {
    const status = await statusProblems(deps.store.db, hosted, payload['credentialStatus'], options.publicUrl);
    if (status.length === 0) checks.push('credentialStatus');
    errors.push(...status);
    return { ...done(), ...(status.reason === undefined ? {} : { reason: status.reason }) };
  }
  if (trusted.trust) {
    // A federated province's licence: its status from the lists stored from its anchor's bundle.
    const status = await federatedStatus(deps, trusted.trust, payload, options.now);
    checks.push(...status.checks);
    errors.push(...status.errors);
  }
  return done();
}

/** POST /credentials/verify: an EnvelopedVerifiableCredential. Malformed input throws (400). */
export async function verifyEnvelopedCredential(deps: ServiceDeps, envelopeValue: unknown, options: VerifyOptions): Promise<VcApiVerification> {
  const { credentialId: _id, ...verification } = await verifyCredentialJws(deps, unwrapEnvelope(envelopeValue), options);
  return verification;
}

/** `cnf.jwk` of an enveloped credential, when it is a readable vc+jwt bound to a key; undefined otherwise. */
function boundKeyOf(value: unknown): unknown {
  try {
    const cnf = decodeCredential(unwrapEnvelope(value), 'verifiableCredential').payload['cnf'];
    if (cnf === undefined) return undefined;
    return isRecord(cnf) ? (cnf['jwk'] ?? null) : null;
  } catch {
    return undefined;
  }
}

/** The same public key: kty, crv and coordinates equal (anything unreadable is not the same). */
function sameKey(a: unknown, b: JWK): boolean {
  return isRecord(a) && (['kty', 'crv', 'x', 'y'] as const).every((m) => a[m] === b[m]) && typeof a['x'] === 'string';
}

/** One credential of a presentation: never throws; an unreadable one is a failed result. */
async function presentedCredential(deps: ServiceDeps, value: unknown, index: number, options: VerifyOptions): Promise<CredentialResult> {
  const field = `verifiableCredential[${index}]`;
  try {
    return await verifyCredentialJws(deps, unwrapEnvelope(value, field), options, `${field}.id`);
  } catch (cause) {
    return result([], [problemOf(cause, 'ERR_INVALID_CREDENTIAL')]);
  }
}

const invalidPresentation = (message: string, field: string) => new ElicenceError('ERR_INVALID_PRESENTATION', message, { field });

function decodePresentation(jws: string): DecodedJws {
  try {
    try {
      return decodeJws(jws, { typ: VP_JWT_TYP, cty: VP_JWT_CTY });
    } catch (error) {
      // `cty` is optional for vp+jwt (VC-JOSE-COSE): accept its absence too.
      if (error instanceof ElicenceError && error.code === 'ERR_JWS_HEADER' && error.field === 'cty') return decodeJws(jws, { typ: VP_JWT_TYP });
      throw error;
    }
  } catch (cause) {
    const reason = cause instanceof ElicenceError ? `${cause.code}: ${cause.message}` : 'undecodable';
    throw new ElicenceError('ERR_INVALID_PRESENTATION', `not a vp+jwt presentation (${reason})`, { field: 'verifiablePresentation.id', cause });
  }
}

export interface PresentationOptions extends VerifyOptions {
  /** Expected `nonce` of a vp+jwt (VC API `options.challenge`). */
  challenge?: string | undefined;
  /** Expected `aud` of a vp+jwt (VC API `options.domain`). */
  domain?: string | undefined;
}

/** Claims of a vp+jwt against the presentation: vc/vp refused, iss = holder, jti = id, exp/nbf, nonce, aud. */
function presentationClaimProblems(payload: Record<string, unknown>, holderId: unknown, options: PresentationOptions): VerifyProblem[] {
  const problems: VerifyProblem[] = [];
  const mismatch = (claim: string, message: string) => problems.push({ code: 'ERR_CLAIMS_MISMATCH', message: `${claim}: ${message}` });
  for (const claim of ['vc', 'vp']) {
    if (claim in payload) problems.push({ code: 'ERR_CLAIMS_FORBIDDEN', message: `the ${claim} claim is not allowed: the payload is the presentation itself` });
  }
  if (payload['iss'] !== undefined && payload['iss'] !== holderId) mismatch('iss', 'is not the holder');
  if (payload['jti'] !== undefined && payload['jti'] !== payload['id']) mismatch('jti', 'is not the presentation id');
  const skew = options.skewMs ?? 60_000;
  const exp = payload['exp'];
  const nbf = payload['nbf'];
  if (exp !== undefined && (typeof exp !== 'number' || options.now - skew >= exp * 1000)) problems.push({ code: 'ERR_EXPIRED', message: 'the presentation has expired' });
  if (nbf !== undefined && (typeof nbf !== 'number' || options.now + skew < nbf * 1000)) problems.push({ code: 'ERR_NOT_YET_VALID', message: 'the presentation is not valid yet' });
  if (options.challenge !== undefined && payload['nonce'] !== options.challenge) mismatch('nonce', 'is not the challenge asked for');
  if (options.domain !== undefined) {
    const aud = payload['aud'];
    if (!(aud === options.domain || (Array.isArray(aud) && aud.includes(options.domain)))) mismatch('aud', 'does not name the domain asked for');
  }
  return problems;
}

/**
 * POST /presentations/verify: a Verifiable Presentation, either enveloped
 * (`data:application/vp+jwt,<jws>`, signed by the holder key its `kid` names: did:jwk or did:key,
 * Ed25519 or P-256) or plain (no proof), whose `verifiableCredential` holds enveloped vc+jwt
 * credentials. Each credential gets the checks of /credentials/verify; an unresolvable holder key is
 * ERR_HOLDER_KEY_UNRESOLVABLE with the credentials still checked and reported. Malformed input
 * (not a presentation at all) throws ERR_INVALID_PRESENTATION.
 */
export async function verifyPresentation(deps: ServiceDeps, value: unknown, options: PresentationOptions): Promise<PresentationVerification> {
  if (!isRecord(value)) throw invalidPresentation('verifiablePresentation must be a JSON object', 'verifiablePresentation');
  if (!hasV2Context(value)) throw invalidPresentation(`verifiablePresentation.@context must be present and start with ${VC_CONTEXT_V2}`, 'verifiablePresentation.@context');
  const checks: string[] = [];
  const errors: VerifyProblem[] = [];
  let presentation: Record<string, unknown>;
  /** The holder key whose signature on the vp+jwt verified: credentials bound to a device (cnf) must name it. */
  let provenHolderKey: JWK | undefined;
  if (hasType(value['type'], 'EnvelopedVerifiablePresentation')) {
    const id = value['id'];
    if (typeof id !== 'string' || !id.startsWith(VP_JWT_ENVELOPE_PREFIX)) {
      throw invalidPresentation(`verifiablePresentation.id must be a ${VP_JWT_ENVELOPE_PREFIX}<jws> data URL`, 'verifiablePresentation.id');
    }
    const decoded = decodePresentation(id.slice(VP_JWT_ENVELOPE_PREFIX.length));
    presentation = decoded.payload;
    const holder = presentation['holder'];
    const holderId = typeof holder === 'string' ? holder : isRecord(holder) ? holder['id'] : undefined;
    const key = resolveHolderKey(decoded.header.kid);
    if (!key) {
      errors.push({ code: 'ERR_HOLDER_KEY_UNRESOLVABLE', message: `the holder key ${decoded.header.kid.slice(0, 80)} is not a did:jwk or did:key of an Ed25519 or P-256 key` });
    } else {
      try {
        await verifyJwsSignature(decoded, key.jwk);
        if (holderId !== undefined && holderId !== key.did) {
          errors.push({ code: 'ERR_CLAIMS_MISMATCH', message: `holder: ${JSON.stringify(holderId)} is not the signing key's DID ${key.did}` });
        } else {
          checks.push('proof');
          provenHolderKey = key.jwk;
        }
      } catch (cause) {
        errors.push(problemOf(cause, 'ERR_JWS_SIGNATURE', 'the holder signature does not verify'));
      }
    }
    const claims = presentationClaimProblems(presentation, holderId, options);
    if (claims.length === 0) checks.push('claims');
    errors.push(...claims);
  } else {
    presentation = value;
    if (presentation['proof'] !== undefined) errors.push({ code: 'ERR_INVALID_PRESENTATION', message: 'embedded (Data Integrity) proofs are not supported: send a vp+jwt' });
  }
  if (!hasV2Context(presentation) || !hasType(presentation['type'], 'VerifiablePresentation')) {
    throw invalidPresentation('the presentation needs @context (VC 2.0) and type VerifiablePresentation', 'verifiablePresentation.type');
  }
  const credentials = presentation['verifiableCredential'];
  const list = credentials === undefined ? [] : Array.isArray(credentials) ? credentials : [credentials];
  if (list.length > 100) throw invalidPresentation('a presentation carries at most 100 credentials', 'verifiablePresentation.verifiableCredential');
  const credentialResults: CredentialResult[] = [];
  for (const [index, credential] of list.entries()) {
    const outcome = await presentedCredential(deps, credential, index, options);
    // A holder proof vouches for possession only of credentials bound to that key: a bound copy (cnf)
    // presented under another key is someone else's copy of its JWS (the offline verifier refuses a
    // live proof by another key too). Without a holder proof the credential is shown statically, as
    // on /credentials/verify.
    const bound = provenHolderKey === undefined ? undefined : boundKeyOf(credential);
    if (bound !== undefined && !sameKey(bound, provenHolderKey!)) {
      outcome.errors.push({ code: 'ERR_CLAIMS_MISMATCH', message: 'cnf: the credential is bound to another device key than the one that signed the presentation' });
      credentialResults.push({ ...outcome, ...result(outcome.checks, outcome.errors, outcome.warnings) });
    } else credentialResults.push(outcome);
  }
  const failed = credentialResults.filter((r) => !r.verified).length;
  if (failed > 0) errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: `${failed} of ${list.length} credentials did not verify (see credentialResults)` });
  else if (list.length > 0) checks.push('credentials');
  if (list.length === 0 && !checks.includes('proof')) errors.push({ code: 'ERR_INVALID_PRESENTATION', message: 'nothing to verify: no holder proof and no credentials' });
  return { ...result(checks, errors), credentialResults };
}
