/**
 * Reads an agent authorisation (授权用证, type `AgentAuthorisation`, the issue 24 contract and
 * docs/credential-format.md) into the facts the checks need: the licence it names (whose type the issuer
 * must be trusted for), its three status entries (its own revocation, then the licence's revocation and
 * suspension), the agent's device key, and what an inspector reads. Shape only: nothing is trusted
 * until the signature and the trust list say so; the period rules are checked in verify.ts.
 */
import { checkJwtClaims } from '../src/core/claims.js';
import { VC_CONTEXT_V2 } from '../src/core/credential.js';
import { isValidCreditCode } from '../src/core/credit-code.js';
import { parseDateTimeMs } from '../src/core/dates.js';
import { isRecord } from '../src/core/strict-json.js';
import { type AuthorisationSubject, bad, knownStatusEntries, nonEmpty, type ParsedLicence, parseCnf } from './licence.js';

export const AGENT_AUTHORISATION_TYPE = 'AgentAuthorisation';

const MATTER_RE = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_MATTERS = 50;
const MAX_TEXT = 200;

function text(value: unknown, field: string): string {
  const out = nonEmpty(value, field);
  if (out.length > MAX_TEXT) throw bad(`${field} is longer than ${MAX_TEXT} characters`, field);
  return out;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) throw bad(`${field} must be an object`, field);
  return value;
}

function subjectOf(value: unknown): AuthorisationSubject {
  const subject = record(value, 'credentialSubject');
  const licence = record(subject.licence, 'credentialSubject.licence');
  const company = record(subject.company, 'credentialSubject.company');
  const agent = record(subject.agent, 'credentialSubject.agent');
  const licenceUntil = licence.validUntil === undefined ? undefined : parseDateTimeMs(licence.validUntil);
  if (licence.validUntil !== undefined && licenceUntil === undefined) throw bad('licence.validUntil must be a dateTime', 'credentialSubject.licence.validUntil');
  const creditCode = text(company.creditCode, 'credentialSubject.company.creditCode');
  if (!isValidCreditCode(creditCode)) throw bad('company.creditCode is not a valid unified social credit code', 'credentialSubject.company.creditCode');
  const matters = subject.matters;
  if (matters !== 'all') {
    if (!Array.isArray(matters) || matters.length === 0 || matters.length > MAX_MATTERS) {
      throw bad(`matters must be "all" or 1 to ${MAX_MATTERS} matter codes`, 'credentialSubject.matters');
    }
    for (const matter of matters) {
      if (typeof matter !== 'string' || !MATTER_RE.test(matter)) throw bad('a matter code is [A-Za-z0-9_-]{1,32}', 'credentialSubject.matters');
    }
    if (new Set(matters).size !== matters.length) throw bad('matters repeats a code', 'credentialSubject.matters');
  }
  return {
    licence: {
      id: text(licence.id, 'credentialSubject.licence.id'),
      identifier: text(licence.identifier, 'credentialSubject.licence.identifier'),
      type: text(licence.type, 'credentialSubject.licence.type'),
      validUntil: licenceUntil,
    },
    company: { name: text(company.name, 'credentialSubject.company.name'), creditCode },
    agent: { name: text(agent.name, 'credentialSubject.agent.name'), idNumberMasked: text(agent.idNumberMasked, 'credentialSubject.agent.idNumberMasked') },
    matters: matters === 'all' ? 'all' : [...(matters as string[])],
  };
}

/** Throws ERR_INVALID_CREDENTIAL (with the offending field), ERR_CLAIMS_MISMATCH or ERR_CLAIMS_FORBIDDEN. */
export function parseAgentAuthorisation(payload: Record<string, unknown>): ParsedLicence & { authorisation: AuthorisationSubject } {
  const context = payload['@context'];
  if (!Array.isArray(context) || context[0] !== VC_CONTEXT_V2) throw bad('@context must start with the VC 2.0 context', '@context');
  const type = payload.type;
  if (!Array.isArray(type) || type.length !== 2 || type[0] !== 'VerifiableCredential' || type[1] !== AGENT_AUTHORISATION_TYPE) {
    throw bad('type must be ["VerifiableCredential", "AgentAuthorisation"]', 'type');
  }
  const issuer = record(payload.issuer, 'issuer');
  const validFrom = parseDateTimeMs(payload.validFrom);
  const validUntil = parseDateTimeMs(payload.validUntil);
  if (validFrom === undefined) throw bad('validFrom must be a dateTime', 'validFrom');
  if (validUntil === undefined || validUntil <= validFrom) throw bad('an authorisation needs a validUntil after validFrom', 'validUntil');
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) throw bad('iat must be seconds since the epoch', 'iat');
  checkJwtClaims(payload);
  const authorisation = subjectOf(payload.credentialSubject);
  // Exactly three entries, in the contract's order: its own revocation, the licence's revocation and suspension.
  const entries = knownStatusEntries(payload.credentialStatus);
  const [own, revocation, suspension] = entries;
  if (entries.length !== 3 || own?.purpose !== 'revocation' || revocation?.purpose !== 'revocation' || suspension?.purpose !== 'suspension') {
    throw bad('credentialStatus must be its own revocation entry, then the licence revocation and suspension entries', 'credentialStatus');
  }
  if (payload.cnf === undefined) throw bad('an authorisation is bound to the agent device: cnf is required', 'cnf');
  return {
    kind: 'agentAuthorisation',
    id: nonEmpty(payload.id, 'id'),
    type: AGENT_AUTHORISATION_TYPE,
    trustType: authorisation.licence.type,
    issuerId: nonEmpty(issuer.id, 'issuer.id'),
    issuerName: nonEmpty(issuer.name, 'issuer.name'),
    validFrom,
    validUntil,
    issuedAt: iat * 1000,
    subject: record(payload.credentialSubject, 'credentialSubject'),
    status: { revocation, suspension },
    ownRevocation: own,
    cnf: parseCnf(payload.cnf),
    supersedes: undefined,
    licenceIdentifier: undefined,
    authorisation,
    payload,
  };
}

/** One calendar year after `ms` (UTC, same date; 29 February runs to 1 March). */
export function oneYearAfter(ms: number): number {
  const date = new Date(ms);
  date.setUTCFullYear(date.getUTCFullYear() + 1);
  return date.getTime();
}
