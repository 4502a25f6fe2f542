/**
 * Credentials derived from a licence (docs/credential-format.md §Bound copies, §Agent authorisations):
 *
 * - a **bound copy**: the licence's payload bound to a holder device's P-256 key (`cnf`, RFC 7800), its
 *   `validUntil` capped at `iat` + 30 days, with one more revocation entry of its own (removing the
 *   device sets that bit; the licence's bits are untouched);
 * - an **agent authorisation** (`AgentAuthorisation`): who may act for the company, for which matters and
 *   until when, carrying its own revocation entry and the licence's status entries, bound to the agent's
 *   device key.
 *
 * Pure: the payloads are built in a fixed member order so the signed bytes are reproducible, and every
 * input a person types (device key, agent, masked ID number, matters, period) is checked here, so the
 * agency API and the holder API refuse the same things with the same codes and fields.
 */
import { checkPublicJwk, ES256 } from './algorithms.js';
import type { BitstringStatusListEntry, StatusSlot } from './credential.js';
import { credentialIdOf, VC_CONTEXT_V2 } from './credential.js';
import { formatDateTime, parseDateTimeMs } from './dates.js';
import { ElicenceError } from './errors.js';
import { isRecord } from './strict-json.js';

/** How long a bound copy lives at most: renewed while the holder app is online. */
export const BOUND_COPY_MAX_MS = 30 * 86_400_000;
/** The credential type of an agent authorisation. */
export const AGENT_AUTHORISATION_TYPE = 'AgentAuthorisation';
/** Matter codes: `[A-Za-z0-9_-]{1,32}`, at most 50 of them (or `"all"`). */
export const MATTER_CODE = /^[A-Za-z0-9_-]{1,32}$/;
export const MAX_MATTERS = 50;
export const MAX_AGENT_NAME_LENGTH = 64;
/**
 * A masked PRC resident ID number (GB 11643, 18 characters): 2 to 6 leading digits (the region, or part
 * of it), 8 to 12 `*` that always hide the birth date (characters 7 to 14), then the last three digits
 * and the check character (a digit or `X`): `3301**********1234`, `330106********123X`.
 */
export const MASKED_ID_NUMBER = /^(?=.{18}$)[0-9]{2,6}\*{8,12}[0-9]{3}[0-9X]$/;

/** `{ kty: "EC", crv: "P-256", x, y }` of a P-256 public key. */
export interface DeviceJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * A device's public key as given (holder app, agency API): a P-256 public JWK whose point is on the
 * curve. Private members (`d`), other key types and curves, a mismatched `alg` and bad coordinates are
 * refused with ERR_DEVICE_KEY naming `field`. Returns only `kty`, `crv`, `x`, `y` (no kid, alg, use).
 */
export function checkDeviceJwk(value: unknown, field: string): DeviceJwk {
  if (!isRecord(value)) throw new ElicenceError('ERR_DEVICE_KEY', 'the device key must be a JWK object', { field });
  const refuse = (message: string) => new ElicenceError('ERR_DEVICE_KEY', message, { field });
  if ('d' in value) throw refuse('the device key must be the public key only: it carries a private member "d"');
  if (value['kty'] !== 'EC' || value['crv'] !== 'P-256') throw refuse('the device key must be an EC P-256 key (ES256)');
  const checked = checkPublicJwk(value);
  if (!checked.ok) {
    throw refuse(
      checked.problem === 'private-member'
        ? 'the device key must be the public key only'
        : checked.problem === 'unknown-algorithm'
          ? 'the device key must be an EC P-256 key for ES256'
          : 'the device key has malformed coordinates (x and y: 32 bytes each, base64url)',
    );
  }
  if (checked.algorithm !== ES256 || !ES256.isPoint(checked.jwk)) throw refuse('the device key is not a point on P-256');
  return { kty: 'EC', crv: 'P-256', x: String(checked.jwk.x), y: String(checked.jwk.y) };
}

/** The revocation entry of a credential's own slot. */
export function ownRevocationEntry(slot: StatusSlot): BitstringStatusListEntry {
  return { type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(slot.index), statusListCredential: slot.listUrl };
}

/** What a licence payload must have for a derived credential (a signed licence always has them). */
function licenceParts(licence: Record<string, unknown>): {
  id: string;
  type: string;
  issuer: { id: string; name: string };
  validFrom: number;
  validUntil: number | undefined;
  creditCode: string;
  status: BitstringStatusListEntry[];
  licenceIdentifier: string | undefined;
} {
  const bad = (what: string) => new ElicenceError('ERR_INVALID_CREDENTIAL', `the licence credential has no valid ${what}`, { field: 'licence' });
  if ('cnf' in licence) throw new ElicenceError('ERR_INVALID_CREDENTIAL', 'the credential is already bound to a key (cnf): bind the licence itself', { field: 'licence' });
  const { id, type, issuer, validFrom, validUntil, credentialSubject, credentialStatus, licenceIdentifier } = licence;
  if (typeof id !== 'string') throw bad('id');
  if (!Array.isArray(type) || type.length !== 2 || type[0] !== 'VerifiableCredential' || typeof type[1] !== 'string') throw bad('type');
  if (!isRecord(issuer) || typeof issuer['id'] !== 'string' || typeof issuer['name'] !== 'string') throw bad('issuer');
  const from = parseDateTimeMs(validFrom);
  if (from === undefined) throw bad('validFrom');
  const until = validUntil === undefined ? undefined : parseDateTimeMs(validUntil);
  if (validUntil !== undefined && until === undefined) throw bad('validUntil');
  const subjectId = isRecord(credentialSubject) ? credentialSubject['id'] : undefined;
  if (typeof subjectId !== 'string' || !subjectId.startsWith('urn:uscc:')) throw bad('credentialSubject.id');
  if (!Array.isArray(credentialStatus) || credentialStatus.length !== 2 || !credentialStatus.every(isRecord)) throw bad('credentialStatus');
  if (licenceIdentifier !== undefined && typeof licenceIdentifier !== 'string') throw bad('licenceIdentifier');
  return {
    id,
    type: type[1],
    issuer: { id: issuer['id'], name: issuer['name'] as string },
    validFrom: from,
    validUntil: until,
    creditCode: subjectId.slice('urn:uscc:'.length),
    status: credentialStatus as unknown as BitstringStatusListEntry[],
    licenceIdentifier,
  };
}

export interface BoundCopyInput {
  /** The bound copy's own slot in the authority's revocation lists. */
  ownStatusEntry: StatusSlot;
  /** The device's public key (checked with checkDeviceJwk). */
  deviceJwk: unknown;
  /** When it is signed (whole seconds are kept). */
  iat: Date;
}

/**
 * The bound copy of a licence credential's payload: member order as the licence's; `validUntil` (always
 * present, right after `validFrom`) = min(licence validUntil, iat + 30 days); `credentialStatus` = the
 * licence's entries then the copy's own revocation entry; `cnf: { jwk }` right before `iat`; every other
 * member unchanged. ERR_LICENCE_EXPIRED when the licence ends at or before `iat`.
 */
export function buildBoundCopy(licencePayload: Record<string, unknown>, input: BoundCopyInput): Record<string, unknown> {
  const parts = licenceParts(licencePayload);
  const jwk = checkDeviceJwk(input.deviceJwk, 'deviceJwk');
  const iatMs = Math.floor(input.iat.getTime() / 1000) * 1000;
  const validUntil = Math.min(parts.validUntil ?? Number.POSITIVE_INFINITY, iatMs + BOUND_COPY_MAX_MS);
  if (validUntil <= iatMs) throw new ElicenceError('ERR_LICENCE_EXPIRED', 'the licence has expired: no bound copy can be issued', { field: 'licence' });
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(licencePayload)) {
    if (key === 'validUntil' || key === 'iat') continue;
    if (key === 'credentialStatus') out[key] = [...parts.status, ownRevocationEntry(input.ownStatusEntry)];
    else out[key] = value;
    if (key === 'validFrom') out['validUntil'] = formatDateTime(validUntil);
  }
  out['cnf'] = { jwk };
  out['iat'] = iatMs / 1000;
  return out;
}

/** Who the agent is, as the administrator enters it. */
export interface AgentInput {
  name: string;
  idNumberMasked: string;
}

export type Matters = 'all' | string[];

/** Checks the agent's name and masked ID number; returns them trimmed. */
export function checkAgent(agent: unknown, field = 'agent'): AgentInput {
  if (!isRecord(agent)) throw new ElicenceError('ERR_VALIDATION', 'agent must be an object with name and idNumberMasked', { field });
  const name = typeof agent['name'] === 'string' ? agent['name'].trim() : '';
  if (name.length === 0 || [...name].length > MAX_AGENT_NAME_LENGTH) {
    throw new ElicenceError('ERR_VALIDATION', `the agent's name must be 1 to ${MAX_AGENT_NAME_LENGTH} characters`, { field: `${field}.name` });
  }
  const masked = agent['idNumberMasked'];
  if (typeof masked !== 'string' || !MASKED_ID_NUMBER.test(masked)) {
    throw new ElicenceError(
      'ERR_VALIDATION',
      'idNumberMasked must be a masked 18-character ID number: 2 to 6 leading digits, 8 to 12 "*" hiding the birth date, then the last 4 characters (e.g. 3301**********1234)',
      { field: `${field}.idNumberMasked` },
    );
  }
  return { name, idNumberMasked: masked };
}

/** Checks the matters: `"all"`, or 1 to 50 distinct matter codes. */
export function checkMatters(matters: unknown, field = 'matters'): Matters {
  if (matters === 'all') return 'all';
  if (!Array.isArray(matters) || matters.length === 0 || matters.length > MAX_MATTERS) {
    throw new ElicenceError('ERR_VALIDATION', `matters must be "all" or a list of 1 to ${MAX_MATTERS} matter codes`, { field });
  }
  for (const [i, code] of matters.entries()) {
    if (typeof code !== 'string' || !MATTER_CODE.test(code)) throw new ElicenceError('ERR_VALIDATION', 'a matter code is 1 to 32 of A-Z a-z 0-9 _ -', { field: `${field}[${i}]` });
    if (matters.indexOf(code) !== i) throw new ElicenceError('ERR_VALIDATION', `matter ${code} is listed twice`, { field: `${field}[${i}]` });
  }
  return [...(matters as string[])];
}

/** The same instant one calendar year later (UTC fields; 29 February -> 1 March): the longest authorisation. */
export function oneYearAfter(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear() + 1, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/**
 * Checks an authorisation period against the licence: validFrom < validUntil; validFrom not before the
 * licence's validFrom; validUntil not after the licence's validUntil (when it has one) nor after
 * validFrom + one calendar year. ERR_VALIDITY_WINDOW naming `validFrom` or `validUntil` otherwise.
 */
export function checkAuthorisationPeriod(period: { validFrom: number; validUntil: number }, licence: { validFrom: number; validUntil: number | undefined }): void {
  const { validFrom, validUntil } = period;
  if (validUntil <= validFrom) throw new ElicenceError('ERR_VALIDITY_WINDOW', 'validUntil must be after validFrom', { field: 'validUntil' });
  if (validFrom < licence.validFrom) {
    throw new ElicenceError('ERR_VALIDITY_WINDOW', `the authorisation cannot start before the licence (${formatDateTime(licence.validFrom)})`, { field: 'validFrom' });
  }
  if (licence.validUntil !== undefined && validUntil > licence.validUntil) {
    throw new ElicenceError('ERR_VALIDITY_WINDOW', `the authorisation cannot outlast the licence (valid until ${formatDateTime(licence.validUntil)})`, { field: 'validUntil' });
  }
  if (validUntil > oneYearAfter(validFrom)) {
    throw new ElicenceError('ERR_VALIDITY_WINDOW', 'an authorisation lasts at most one year (validUntil <= validFrom + 1 calendar year)', { field: 'validUntil' });
  }
}

export interface AgentAuthorisationInput {
  /** UUIDv7 of the authorisation (`id` becomes `urn:uuid:<id>`). */
  id: string;
  /** The holder's name (the licence type's holder-name field). */
  companyName: string;
  agent: AgentInput;
  matters: Matters;
  validFrom: Date;
  validUntil: Date;
  /** The authorisation's own slot in the authority's revocation lists. */
  ownStatusEntry: StatusSlot;
  /** The agent's device public key. */
  agentJwk: unknown;
  iat: Date;
}

/**
 * The agent authorisation for a licence credential's payload, in the member order of the contract:
 * issuer and status entries come from the licence (its revocation and suspension entries after the
 * authorisation's own), `licence.validUntil` only when the licence expires. Checks the agent, matters,
 * key and period (checkAuthorisationPeriod) first.
 */
export function buildAgentAuthorisation(licencePayload: Record<string, unknown>, input: AgentAuthorisationInput): Record<string, unknown> {
  const parts = licenceParts(licencePayload);
  const agent = checkAgent(input.agent);
  const matters = checkMatters(input.matters);
  const jwk = checkDeviceJwk(input.agentJwk, 'agentJwk');
  const validFrom = Math.floor(input.validFrom.getTime() / 1000) * 1000;
  const validUntil = Math.floor(input.validUntil.getTime() / 1000) * 1000;
  checkAuthorisationPeriod({ validFrom, validUntil }, parts);
  if (typeof input.companyName !== 'string' || input.companyName.length === 0) {
    throw new ElicenceError('ERR_INVALID_CREDENTIAL', 'the licence names no holder', { field: 'licence' });
  }
  return {
    '@context': [VC_CONTEXT_V2],
    id: credentialIdOf(input.id),
    type: ['VerifiableCredential', AGENT_AUTHORISATION_TYPE],
    issuer: { id: parts.issuer.id, name: parts.issuer.name },
    validFrom: formatDateTime(validFrom),
    validUntil: formatDateTime(validUntil),
    credentialSubject: {
      licence: {
        id: parts.id,
        ...(parts.licenceIdentifier === undefined ? {} : { identifier: parts.licenceIdentifier }),
        type: parts.type,
        ...(parts.validUntil === undefined ? {} : { validUntil: formatDateTime(parts.validUntil) }),
      },
      company: { name: input.companyName, creditCode: parts.creditCode },
      agent: { name: agent.name, idNumberMasked: agent.idNumberMasked },
      matters,
    },
    credentialStatus: [ownRevocationEntry(input.ownStatusEntry), ...parts.status],
    cnf: { jwk },
    iat: Math.floor(input.iat.getTime() / 1000),
  };
}
