/**
 * Shape checks of a trust list payload (docs/trust-list.md): every member, every key's thumbprint.
 * A key of an algorithm this build does not know is skipped with a note, not refused: a province that
 * adds an algorithm later must not turn every verifier already in the field to UNTRUSTED_ISSUER.
 */
import { checkPublicJwk } from '../algorithms.js';
import { creditCodeProblem } from '../credit-code.js';
import { parseDateTimeMs } from '../dates.js';
import { ElicenceError } from '../errors.js';
import { jwkThumbprint } from '../jws-sign.js';
import { isRecord } from '../strict-json.js';
import { isJurisdictionCode, isJurisdictionPrefix } from './jurisdiction.js';
import { namespacesOverlap } from './namespace.js';
import {
  type BilingualName,
  type FederatedAnchor,
  type FederationScope,
  type OpenedTrustList,
  TRUST_LIST_VERSION,
  type TrustedAuthority,
  type TrustedKey,
  type TrustListPayload,
} from './types.js';

const MAX_TEXT = 512;
const MAX_AUTHORITIES = 10_000;
const MAX_KEYS = 32;
const MAX_TYPES = 200;
const ALLOWED_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']);

export function malformed(message: string, field?: string): ElicenceError {
  return new ElicenceError('ERR_TRUST_LIST_MALFORMED', message, field === undefined ? {} : { field });
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) throw malformed(`${field} must be a non-empty string`, field);
  return value;
}

function bilingual(value: unknown, field: string): BilingualName {
  if (!isRecord(value)) throw malformed(`${field} must be { zh, en }`, field);
  return { zh: text(value.zh, `${field}.zh`), en: text(value.en, `${field}.en`) };
}

function array(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value) || value.length > max) throw malformed(`${field} must be an array of at most ${max}`, field);
  return value;
}

function time(value: unknown, field: string): number {
  const ms = parseDateTimeMs(value);
  if (ms === undefined) throw malformed(`${field} must be a dateTime with a zone`, field);
  return ms;
}

/** One key, or undefined (with a note) when its algorithm is unknown to this build. */
async function trustedKey(value: unknown, field: string, notes: string[]): Promise<TrustedKey | undefined> {
  if (!isRecord(value) || !isRecord(value.jwk)) throw malformed(`${field} must be { jwk, validFrom, validUntil? }`, field);
  const jwk = value.jwk;
  for (const member of Object.keys(jwk)) {
    if (!ALLOWED_JWK_MEMBERS.has(member)) throw malformed(`${field}.jwk must be a public key without "${member}"`, `${field}.jwk`);
  }
  const kid = text(jwk.kid, `${field}.jwk.kid`);
  const validFrom = time(value.validFrom, `${field}.validFrom`);
  const validUntil = value.validUntil === undefined ? undefined : time(value.validUntil, `${field}.validUntil`);
  if (validUntil !== undefined && validUntil <= validFrom) throw malformed(`${field} window is empty`, field);
  const checked = checkPublicJwk(jwk);
  if (!checked.ok) {
    if (checked.problem === 'unknown-algorithm') {
      notes.push(
        `${field}: key ${kid} skipped: ${String(jwk.kty)}/${String(jwk.crv)}${jwk.alg === undefined ? '' : ` (${String(jwk.alg)})`} is not an algorithm this verifier knows`,
      );
      return undefined;
    }
    throw malformed(`${field}.jwk must be a public key with well-formed coordinates (${checked.problem})`, `${field}.jwk`);
  }
  if ((await jwkThumbprint(checked.jwk)) !== kid) throw malformed(`${field}.jwk.kid must be the key's RFC 7638 thumbprint`, `${field}.jwk.kid`);
  return { kid, jwk: { ...checked.jwk, kid }, validFrom, validUntil };
}

async function keyMap(value: unknown, field: string, notes: string[]): Promise<Map<string, TrustedKey>> {
  const keys = new Map<string, TrustedKey>();
  const list = array(value, field, MAX_KEYS);
  for (let i = 0; i < list.length; i++) {
    const key = await trustedKey(list[i], `${field}[${i}]`, notes);
    if (!key) continue;
    if (keys.has(key.kid)) throw malformed(`${field} repeats kid ${key.kid}`, field);
    keys.set(key.kid, key);
  }
  return keys;
}

function typeList(value: unknown, field: string): string[] {
  return array(value, field, MAX_TYPES).map((t, i) => text(t, `${field}[${i}]`));
}

/** A namespace an anchor may be vouched for: a DID prefix with at least a method and a host, ending in `:`. */
const ISSUER_PREFIX = /^did:[a-z0-9]+:[^:\s][^\s]*:$/;

export function isIssuerPrefix(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT && ISSUER_PREFIX.test(value);
}

/**
 * Two prefixes overlap when one holds the other, however each is spelled (`did:web:ZJ.test:` holds
 * `did:web:zj.test:authorities:`): some DID would then have two owners.
 */
export function prefixesOverlap(a: string, b: string): boolean {
  return namespacesOverlap(a, b);
}

function scope(value: unknown, field: string): FederationScope {
  if (!isRecord(value)) throw malformed(`${field} must be { issuerPrefixes, jurisdictions, licenceTypes? }`, field);
  let issuerPrefixes: string[] | undefined;
  if (value.issuerPrefixes !== undefined) {
    const prefixes = array(value.issuerPrefixes, `${field}.issuerPrefixes`, MAX_TYPES);
    if (prefixes.length === 0 || !prefixes.every(isIssuerPrefix)) {
      throw malformed(`${field}.issuerPrefixes must list DID prefixes ending in ":" (e.g. "did:web:elicence.js.example:")`, `${field}.issuerPrefixes`);
    }
    issuerPrefixes = prefixes as string[];
  }
  const jurisdictions = array(value.jurisdictions, `${field}.jurisdictions`, MAX_TYPES);
  if (jurisdictions.length === 0 || !jurisdictions.every(isJurisdictionPrefix)) {
    throw malformed(`${field}.jurisdictions must list GB/T 2260 prefixes`, `${field}.jurisdictions`);
  }
  return {
    ...(issuerPrefixes === undefined ? {} : { issuerPrefixes }),
    jurisdictions: jurisdictions as string[],
    ...(value.licenceTypes === undefined ? {} : { licenceTypes: typeList(value.licenceTypes, `${field}.licenceTypes`) }),
  };
}

/** Checks a trust list payload's shape and every key's thumbprint. Throws ERR_TRUST_LIST_MALFORMED. */
export async function parseTrustListPayload(payload: unknown): Promise<Omit<OpenedTrustList, 'signedBy'>> {
  if (!isRecord(payload)) throw malformed('trust list payload must be an object');
  if (payload.version !== TRUST_LIST_VERSION) throw malformed(`version must be ${TRUST_LIST_VERSION}`, 'version');
  const anchorId = text(payload.id, 'id');
  bilingual(payload.name, 'name');
  if (payload.jurisdiction !== undefined && !isJurisdictionCode(payload.jurisdiction)) throw malformed('jurisdiction must be a GB/T 2260 code', 'jurisdiction');
  const sequence = payload.sequence;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) throw malformed('sequence must be a non-negative integer', 'sequence');
  const issuedAt = time(payload.issuedAt, 'issuedAt');
  const expiresAt = time(payload.expiresAt, 'expiresAt');
  if (expiresAt <= issuedAt) throw malformed('expiresAt must be after issuedAt', 'expiresAt');

  const notes: string[] = [];
  const authorities = new Map<string, TrustedAuthority>();
  const rawAuthorities = array(payload.authorities, 'authorities', MAX_AUTHORITIES);
  for (let i = 0; i < rawAuthorities.length; i++) {
    const field = `authorities[${i}]`;
    const a = rawAuthorities[i];
    if (!isRecord(a)) throw malformed(`${field} must be an object`, field);
    const id = text(a.id, `${field}.id`);
    if (authorities.has(id)) throw malformed(`authority ${id} is listed twice`, `${field}.id`);
    if (!isJurisdictionCode(a.jurisdiction)) throw malformed(`${field}.jurisdiction must be a GB/T 2260 code`, `${field}.jurisdiction`);
    if (a.status !== 'active' && a.status !== 'suspended' && a.status !== 'withdrawn') {
      throw malformed(`${field}.status must be active, suspended or withdrawn`, `${field}.status`);
    }
    if (a.creditCode !== undefined && (typeof a.creditCode !== 'string' || creditCodeProblem(a.creditCode) !== undefined)) {
      throw malformed(`${field}.creditCode must be a unified social credit code (GB 32100)`, `${field}.creditCode`);
    }
    authorities.set(id, {
      id,
      name: bilingual(a.name, `${field}.name`),
      jurisdiction: a.jurisdiction,
      ...(a.creditCode === undefined ? {} : { creditCode: a.creditCode }),
      status: a.status,
      licenceTypes: new Set(typeList(a.licenceTypes, `${field}.licenceTypes`)),
      keys: await keyMap(a.keys, `${field}.keys`, notes),
    });
  }

  const federatedAnchors: FederatedAnchor[] = [];
  const rawFederated = array(payload.federatedAnchors ?? [], 'federatedAnchors', MAX_TYPES);
  for (let i = 0; i < rawFederated.length; i++) {
    const field = `federatedAnchors[${i}]`;
    const f = rawFederated[i];
    if (!isRecord(f)) throw malformed(`${field} must be an object`, field);
    const entry: FederatedAnchor = {
      id: text(f.id, `${field}.id`),
      name: bilingual(f.name, `${field}.name`),
      keys: await keyMap(f.keys, `${field}.keys`, notes),
      scope: scope(f.scope, `${field}.scope`),
    };
    // No DID may have two owners: the namespaces of two federated anchors must not overlap.
    for (const other of federatedAnchors) {
      const clash = (entry.scope.issuerPrefixes ?? []).find((p) => (other.scope.issuerPrefixes ?? []).some((q) => prefixesOverlap(p, q)));
      if (clash !== undefined) throw malformed(`${field}.scope.issuerPrefixes: ${clash} overlaps the namespace of ${other.id}`, `${field}.scope.issuerPrefixes`);
    }
    federatedAnchors.push(entry);
  }
  return { payload: payload as unknown as TrustListPayload, anchorId, sequence, issuedAt, expiresAt, authorities, federatedAnchors, notes };
}
