/**
 * Trust lists (docs/trust-list.md): a JWS (`typ: "trust-list+jwt"`) signed by a trust anchor, listing
 * issuing authorities with their keys, key validity windows, jurisdictions and licence types, plus
 * federated anchors whose own trust lists are accepted within a scope. This module builds, signs,
 * verifies and parses them, and holds the acceptance rules a verifier applies to a licence issuer.
 */
import type { JWK } from 'jose';
import { fromBase64url } from './encoding.js';
import { ElicenceError, type ErrorCode } from './errors.js';
import { jwkThumbprint, publicJwk, signCompact, type JwsSigner } from './jws-sign.js';
import { decodeJws, verifyJwsSignature, type DecodedJws, type JwsPolicy } from './jws-verify.js';
import { formatDateTime, parseDateTimeMs } from './status-list.js';

export const TRUST_LIST_TYP = 'trust-list+jwt';
export const TRUST_LIST_VERSION = 1;
export const TRUST_LIST_POLICY: JwsPolicy = { typ: TRUST_LIST_TYP, maxLength: 4 * 1024 * 1024 };

export type AuthorityStatus = 'active' | 'suspended' | 'withdrawn';
export interface BilingualName {
  zh: string;
  en: string;
}

/** Wire format of one key: a public JWK whose `kid` is its RFC 7638 thumbprint, and its window. */
export interface TrustedKeyJson {
  jwk: JWK & { kid: string };
  validFrom: string;
  validUntil?: string;
}

export interface IssuingAuthorityJson {
  /** The authority's did:web: the licences' `issuer.id`. */
  id: string;
  name: BilingualName;
  /** GB/T 2260 six-digit administrative division code. */
  jurisdiction: string;
  status: AuthorityStatus;
  licenceTypes: string[];
  keys: TrustedKeyJson[];
}

export interface FederationScope {
  /** GB/T 2260 code prefixes (2, 4 or 6 digits) the federated anchor's authorities must fall under. */
  jurisdictions: string[];
  /** Licence types accepted from them; omitted means whatever each authority is listed for. */
  licenceTypes?: string[];
}

export interface FederatedAnchorJson {
  id: string;
  name: BilingualName;
  keys: TrustedKeyJson[];
  scope: FederationScope;
}

export interface TrustListPayload {
  version: 1;
  /** The anchor's identifier (a did:web). */
  id: string;
  name: BilingualName;
  /** The anchor's own GB/T 2260 code, e.g. 330000 for Zhejiang (informative). */
  jurisdiction?: string;
  /** Grows with every list this anchor publishes. */
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  authorities: IssuingAuthorityJson[];
  federatedAnchors: FederatedAnchorJson[];
}

/** A key as the acceptance rules use it (times in epoch ms). */
export interface TrustedKey {
  kid: string;
  jwk: JWK & { kid: string };
  validFrom: number;
  validUntil: number | undefined;
}

export interface TrustedAuthority {
  id: string;
  name: BilingualName;
  jurisdiction: string;
  status: AuthorityStatus;
  licenceTypes: ReadonlySet<string>;
  keys: ReadonlyMap<string, TrustedKey>;
}

export interface FederatedAnchor {
  id: string;
  name: BilingualName;
  keys: ReadonlyMap<string, TrustedKey>;
  scope: FederationScope;
}

/** A signature-checked, shape-checked trust list (time rules not yet applied). */
export interface OpenedTrustList {
  payload: TrustListPayload;
  anchorId: string;
  sequence: number;
  issuedAt: number;
  expiresAt: number;
  authorities: ReadonlyMap<string, TrustedAuthority>;
  federatedAnchors: readonly FederatedAnchor[];
  /** kid of the key that signed it. */
  signedBy: string;
}

/** A trust list a verifier accepted: direct (signed by a configured anchor) or federated (scoped). */
export interface VerifiedTrustList extends OpenedTrustList {
  /** Present when accepted through another anchor's federation entry. */
  federation?: { vouchedBy: string; scope: FederationScope };
  /** True when past `expiresAt` but inside the grace period. */
  inGrace: boolean;
}

// ---------------------------------------------------------------------------------------------
// Shape checks

const MAX_TEXT = 512;
const MAX_AUTHORITIES = 10_000;
const MAX_KEYS = 32;
const MAX_TYPES = 200;
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42',
  '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65', '71', '81', '82',
]);
const ALLOWED_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use']);

function malformed(message: string, field?: string): ElicenceError {
  return new ElicenceError('ERR_TRUST_LIST_MALFORMED', message, field === undefined ? {} : { field });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/**
 * GB/T 2260 administrative division code: six digits, a listed province (first two digits), and no
 * county part under a "00" prefecture part. Structure only: the full code table changes yearly.
 */
export function isJurisdictionCode(code: unknown): code is string {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return false;
  if (!PROVINCES.has(code.slice(0, 2))) return false;
  return !(code.slice(2, 4) === '00' && code.slice(4) !== '00');
}

/** A federation scope prefix: 2, 4 or 6 digits, starting with a province code. */
export function isJurisdictionPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && /^(\d{2}|\d{4}|\d{6})$/.test(prefix) && PROVINCES.has(prefix.slice(0, 2));
}

async function trustedKey(value: unknown, field: string): Promise<TrustedKey> {
  if (!isRecord(value) || !isRecord(value.jwk)) throw malformed(`${field} must be { jwk, validFrom, validUntil? }`, field);
  const jwk = value.jwk;
  for (const member of Object.keys(jwk)) {
    if (!ALLOWED_JWK_MEMBERS.has(member)) throw malformed(`${field}.jwk must be a public key without "${member}"`, `${field}.jwk`);
  }
  const okp = jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
  const ec = jwk.kty === 'EC' && jwk.crv === 'P-256';
  const coordinate = (c: unknown) => typeof c === 'string' && fromBase64url(c)?.length === 32;
  if (!(okp && coordinate(jwk.x) && jwk.y === undefined) && !(ec && coordinate(jwk.x) && coordinate(jwk.y))) {
    throw malformed(`${field}.jwk must be an Ed25519 or P-256 public key`, `${field}.jwk`);
  }
  const kid = text(jwk.kid, `${field}.jwk.kid`);
  if ((await jwkThumbprint(jwk as JWK)) !== kid) throw malformed(`${field}.jwk.kid must be the key's RFC 7638 thumbprint`, `${field}.jwk.kid`);
  const validFrom = time(value.validFrom, `${field}.validFrom`);
  const validUntil = value.validUntil === undefined ? undefined : time(value.validUntil, `${field}.validUntil`);
  if (validUntil !== undefined && validUntil <= validFrom) throw malformed(`${field} window is empty`, field);
  return { kid, jwk: jwk as JWK & { kid: string }, validFrom, validUntil };
}

async function keyMap(value: unknown, field: string): Promise<Map<string, TrustedKey>> {
  const keys = new Map<string, TrustedKey>();
  const list = array(value, field, MAX_KEYS);
  for (let i = 0; i < list.length; i++) {
    const key = await trustedKey(list[i], `${field}[${i}]`);
    if (keys.has(key.kid)) throw malformed(`${field} repeats kid ${key.kid}`, field);
    keys.set(key.kid, key);
  }
  return keys;
}

function typeList(value: unknown, field: string): string[] {
  return array(value, field, MAX_TYPES).map((t, i) => text(t, `${field}[${i}]`));
}

function scope(value: unknown, field: string): FederationScope {
  if (!isRecord(value)) throw malformed(`${field} must be { jurisdictions, licenceTypes? }`, field);
  const jurisdictions = array(value.jurisdictions, `${field}.jurisdictions`, MAX_TYPES);
  if (jurisdictions.length === 0 || !jurisdictions.every(isJurisdictionPrefix)) {
    throw malformed(`${field}.jurisdictions must list GB/T 2260 prefixes`, `${field}.jurisdictions`);
  }
  return {
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
    authorities.set(id, {
      id,
      name: bilingual(a.name, `${field}.name`),
      jurisdiction: a.jurisdiction,
      status: a.status,
      licenceTypes: new Set(typeList(a.licenceTypes, `${field}.licenceTypes`)),
      keys: await keyMap(a.keys, `${field}.keys`),
    });
  }

  const federatedAnchors: FederatedAnchor[] = [];
  const rawFederated = array(payload.federatedAnchors ?? [], 'federatedAnchors', MAX_TYPES);
  for (let i = 0; i < rawFederated.length; i++) {
    const field = `federatedAnchors[${i}]`;
    const f = rawFederated[i];
    if (!isRecord(f)) throw malformed(`${field} must be an object`, field);
    federatedAnchors.push({
      id: text(f.id, `${field}.id`),
      name: bilingual(f.name, `${field}.name`),
      keys: await keyMap(f.keys, `${field}.keys`),
      scope: scope(f.scope, `${field}.scope`),
    });
  }
  return { payload: payload as unknown as TrustListPayload, anchorId, sequence, issuedAt, expiresAt, authorities, federatedAnchors };
}

// ---------------------------------------------------------------------------------------------
// Building and signing

export interface TrustedKeyInput {
  /** Public JWK (a private one is reduced to its public members). */
  jwk: JWK;
  validFrom: Date | string;
  validUntil?: Date | string;
}

export interface TrustListInput {
  anchor: { id: string; name: BilingualName; jurisdiction?: string };
  sequence: number;
  issuedAt: Date;
  expiresAt: Date;
  authorities: Array<Omit<IssuingAuthorityJson, 'keys'> & { keys: TrustedKeyInput[] }>;
  federatedAnchors?: Array<Omit<FederatedAnchorJson, 'keys'> & { keys: TrustedKeyInput[] }>;
}

function asDateTime(value: Date | string): string {
  const ms = typeof value === 'string' ? parseDateTimeMs(value) : value.getTime();
  if (ms === undefined || !Number.isFinite(ms)) throw malformed(`bad date ${String(value)}`);
  return formatDateTime(ms);
}

async function keyJson(input: TrustedKeyInput): Promise<TrustedKeyJson> {
  const { kty, crv, x, y } = input.jwk;
  const jwk = (kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x }) as JWK;
  const kid = await jwkThumbprint(jwk);
  return {
    jwk: { ...jwk, kid },
    validFrom: asDateTime(input.validFrom),
    ...(input.validUntil === undefined ? {} : { validUntil: asDateTime(input.validUntil) }),
  };
}

/** The unsigned trust list payload, checked by the same rules a verifier applies (ERR_TRUST_LIST_MALFORMED). */
export async function buildTrustList(input: TrustListInput): Promise<TrustListPayload> {
  const payload: TrustListPayload = {
    version: 1,
    id: input.anchor.id,
    name: input.anchor.name,
    ...(input.anchor.jurisdiction === undefined ? {} : { jurisdiction: input.anchor.jurisdiction }),
    sequence: input.sequence,
    issuedAt: formatDateTime(input.issuedAt.getTime()),
    expiresAt: formatDateTime(input.expiresAt.getTime()),
    authorities: await Promise.all(
      input.authorities.map(async (a) => ({
        id: a.id,
        name: a.name,
        jurisdiction: a.jurisdiction,
        status: a.status,
        licenceTypes: [...a.licenceTypes],
        keys: await Promise.all(a.keys.map(keyJson)),
      })),
    ),
    federatedAnchors: await Promise.all(
      (input.federatedAnchors ?? []).map(async (f) => ({
        id: f.id,
        name: f.name,
        keys: await Promise.all(f.keys.map(keyJson)),
        scope: f.scope,
      })),
    ),
  };
  await parseTrustListPayload(payload);
  return payload;
}

export function signTrustList(signer: JwsSigner, payload: TrustListPayload): Promise<string> {
  return signCompact(signer, payload, TRUST_LIST_TYP);
}

// ---------------------------------------------------------------------------------------------
// Verifying

/** Pinned anchor keys: a JWKS or an array of public JWKs (kid optional: the thumbprint is used). */
export type AnchorKeys = { keys: readonly JWK[] } | readonly JWK[];

const anchorCache = new Map<string, Promise<Map<string, JWK>>>();
const MAX_CACHED_ANCHOR_SETS = 64;

/** Indexes pinned anchor keys by RFC 7638 thumbprint (a `kid` that disagrees is ignored). */
export function anchorKeyMap(anchors: AnchorKeys): Promise<Map<string, JWK>> {
  const raw: unknown = Array.isArray(anchors) ? anchors : (anchors as { keys?: unknown } | null | undefined)?.keys;
  const list: JWK[] = Array.isArray(raw) ? raw.filter((k): k is JWK => typeof k === 'object' && k !== null) : [];
  // Cached by key material, not by object identity: callers often rebuild the options per call.
  const identity = list.map((k) => `${String(k.kty)}|${String(k.crv)}|${String(k.x)}|${String(k.y)}`).join('\n');
  let cached = anchorCache.get(identity);
  if (!cached) {
    cached = (async () => {
      const map = new Map<string, JWK>();
      for (const jwk of list) {
        try {
          const kid = await jwkThumbprint(jwk);
          map.set(kid, { ...publicJwk(jwk), kid });
        } catch {
          // An unusable configured key trusts nothing.
        }
      }
      return map;
    })();
    if (anchorCache.size >= MAX_CACHED_ANCHOR_SETS) anchorCache.clear();
    anchorCache.set(identity, cached);
  }
  return cached;
}

/** Decodes a trust list JWS strictly and returns its header (to pick the key) without trusting it. */
export function decodeTrustList(jws: unknown): DecodedJws {
  return decodeJws(jws, TRUST_LIST_POLICY);
}

/** Checks a decoded trust list's signature with `key` and its payload's shape. */
export async function openTrustList(decoded: DecodedJws, key: JWK): Promise<OpenedTrustList> {
  await verifyJwsSignature(decoded, key);
  return { ...(await parseTrustListPayload(decoded.payload)), signedBy: decoded.header.kid };
}

export interface TrustListTimeOptions {
  /** Verification time, epoch ms. */
  now: number;
  /** How long after `expiresAt` a list is still accepted (seconds, default 86,400). */
  graceSeconds?: number;
  /** Tolerated clock difference for `issuedAt` in the future (seconds, default 300). */
  skewSeconds?: number;
  /** The highest sequence already seen from this anchor; older lists are refused. */
  minSequence?: number;
}

export const DEFAULT_TRUST_LIST_GRACE_SECONDS = 86_400;
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

/** Applies the time and replay rules. Returns whether the list is in its grace period. */
export function checkTrustListTimes(list: OpenedTrustList, options: TrustListTimeOptions): { inGrace: boolean } {
  const grace = (options.graceSeconds ?? DEFAULT_TRUST_LIST_GRACE_SECONDS) * 1000;
  const skew = (options.skewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  if (list.issuedAt > options.now + skew) {
    throw new ElicenceError('ERR_TRUST_LIST_NOT_YET_VALID', `trust list ${list.anchorId} #${list.sequence} is issued in the future`);
  }
  if (options.now > list.expiresAt + grace) {
    throw new ElicenceError('ERR_TRUST_LIST_EXPIRED', `trust list ${list.anchorId} #${list.sequence} expired at ${list.payload.expiresAt}`);
  }
  if (options.minSequence !== undefined && list.sequence < options.minSequence) {
    throw new ElicenceError('ERR_TRUST_LIST_REPLAYED', `trust list ${list.anchorId} #${list.sequence} is older than #${options.minSequence} already seen`);
  }
  return { inGrace: options.now > list.expiresAt };
}

export interface VerifyTrustListOptions extends TrustListTimeOptions {
  anchors: AnchorKeys;
}

/**
 * Verifies a trust list signed by one of the pinned anchor keys: ERR_JWS_* for a malformed or
 * tampered token, ERR_TRUST_ANCHOR_UNKNOWN, ERR_TRUST_LIST_MALFORMED, ERR_TRUST_LIST_NOT_YET_VALID,
 * ERR_TRUST_LIST_EXPIRED (beyond the grace period) or ERR_TRUST_LIST_REPLAYED.
 */
export async function verifyTrustList(jws: unknown, options: VerifyTrustListOptions): Promise<VerifiedTrustList> {
  const decoded = decodeTrustList(jws);
  const key = (await anchorKeyMap(options.anchors)).get(decoded.header.kid);
  if (!key) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by unknown key ${decoded.header.kid}`, { field: 'kid' });
  const opened = await openTrustList(decoded, key);
  return { ...opened, ...checkTrustListTimes(opened, options) };
}

/** The federation entry (and key) under which `decoded` would be accepted, or undefined. */
export function findFederationKey(decoded: DecodedJws, vouching: readonly VerifiedTrustList[]): { entry: FederatedAnchor; key: TrustedKey; vouchedBy: string } | undefined {
  for (const list of vouching) {
    if (list.federation) continue; // one hop only: a federated list cannot vouch further
    for (const entry of list.federatedAnchors) {
      const key = entry.keys.get(decoded.header.kid);
      if (key) return { entry, key, vouchedBy: list.anchorId };
    }
  }
  return undefined;
}

/**
 * Verifies a trust list published by an anchor that a directly trusted list federates with. The
 * signing key must be in that federation entry and valid at the list's `issuedAt`; the list must
 * name the same anchor id; its own federation entries are ignored (no transitive trust).
 */
export async function verifyFederatedTrustList(jws: unknown, vouching: readonly VerifiedTrustList[], options: TrustListTimeOptions): Promise<VerifiedTrustList> {
  const decoded = decodeTrustList(jws);
  const found = findFederationKey(decoded, vouching);
  if (!found) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by unknown key ${decoded.header.kid}`, { field: 'kid' });
  const opened = await openTrustList(decoded, found.key.jwk);
  return federate(opened, found, options);
}

/** Applies the federation rules to an already opened list (used by cached verifiers). */
export function federate(
  opened: OpenedTrustList,
  found: { entry: FederatedAnchor; key: TrustedKey; vouchedBy: string },
  options: TrustListTimeOptions,
): VerifiedTrustList {
  if (opened.anchorId !== found.entry.id) {
    throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list names ${opened.anchorId}, but its key belongs to ${found.entry.id}`);
  }
  if (!keyValidAt(found.key, opened.issuedAt)) {
    throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `federated anchor key ${found.key.kid} was not valid when the list was issued`);
  }
  return { ...opened, ...checkTrustListTimes(opened, options), federation: { vouchedBy: found.vouchedBy, scope: found.entry.scope } };
}

// ---------------------------------------------------------------------------------------------
// Acceptance

export function keyValidAt(key: TrustedKey, atMs: number): boolean {
  return atMs >= key.validFrom && (key.validUntil === undefined || atMs < key.validUntil);
}

export interface AcceptanceQuery {
  issuerId: string;
  kid: string;
  /** When the credential was signed (its `iat`), epoch ms. */
  issuedAt: number;
  /** The licence type; omit for the issuer's own status lists (no type rule). */
  licenceType?: string;
}

export type AcceptanceRule = 'issuerListed' | 'keyValid' | 'typeAuthorised';

export type Acceptance =
  | { ok: true; authority: TrustedAuthority; key: TrustedKey; list: VerifiedTrustList }
  | { ok: false; rule: AcceptanceRule; code: ErrorCode; message: string; authority?: TrustedAuthority; list?: VerifiedTrustList };

function inScope(list: VerifiedTrustList, authority: TrustedAuthority): boolean {
  return !list.federation || list.federation.scope.jurisdictions.some((prefix) => authority.jurisdiction.startsWith(prefix));
}

function typeAllowed(list: VerifiedTrustList, authority: TrustedAuthority, type: string): boolean {
  const scoped = list.federation?.scope.licenceTypes;
  return authority.licenceTypes.has(type) && (scoped === undefined || scoped.includes(type));
}

/**
 * The acceptance rules, in order, each failing with its own code: issuer listed (ERR_ISSUER_NOT_LISTED,
 * ERR_ISSUER_OUT_OF_SCOPE) and active (ERR_ISSUER_SUSPENDED, ERR_ISSUER_WITHDRAWN); kid one of its keys
 * (ERR_KEY_UNKNOWN) and valid at issue time (ERR_KEY_NOT_VALID_AT_IAT); type authorised
 * (ERR_TYPE_NOT_AUTHORISED). When several accepted lists name the issuer, a suspension or withdrawal
 * in any of them wins; otherwise any entry that passes every rule accepts.
 */
export function acceptIssuer(lists: readonly VerifiedTrustList[], query: AcceptanceQuery): Acceptance {
  const entries: Array<{ list: VerifiedTrustList; authority: TrustedAuthority }> = [];
  let outOfScope: { list: VerifiedTrustList; authority: TrustedAuthority } | undefined;
  for (const list of lists) {
    const authority = list.authorities.get(query.issuerId);
    if (!authority) continue;
    if (inScope(list, authority)) entries.push({ list, authority });
    else outOfScope ??= { list, authority };
  }
  if (entries.length === 0) {
    if (outOfScope) {
      return { ok: false, rule: 'issuerListed', code: 'ERR_ISSUER_OUT_OF_SCOPE', message: `${query.issuerId} (${outOfScope.authority.jurisdiction}) is outside the federation scope of ${outOfScope.list.anchorId}`, ...outOfScope };
    }
    return { ok: false, rule: 'issuerListed', code: 'ERR_ISSUER_NOT_LISTED', message: `${query.issuerId} is not on any trusted list` };
  }
  for (const status of ['withdrawn', 'suspended'] as const) {
    const hit = entries.find((e) => e.authority.status === status);
    if (hit) {
      return { ok: false, rule: 'issuerListed', code: status === 'withdrawn' ? 'ERR_ISSUER_WITHDRAWN' : 'ERR_ISSUER_SUSPENDED', message: `${query.issuerId} is ${status} on ${hit.list.anchorId}'s list`, ...hit };
    }
  }
  const withKid = entries.filter((e) => e.authority.keys.has(query.kid));
  if (withKid.length === 0) {
    return { ok: false, rule: 'keyValid', code: 'ERR_KEY_UNKNOWN', message: `key ${query.kid} is not one of ${query.issuerId}'s keys`, ...entries[0]! };
  }
  const inWindow = withKid.filter((e) => keyValidAt(e.authority.keys.get(query.kid)!, query.issuedAt));
  if (inWindow.length === 0) {
    return { ok: false, rule: 'keyValid', code: 'ERR_KEY_NOT_VALID_AT_IAT', message: `key ${query.kid} was not valid at ${new Date(query.issuedAt).toISOString()}`, ...withKid[0]! };
  }
  const type = query.licenceType;
  const accepted = type === undefined ? inWindow[0] : inWindow.find((e) => typeAllowed(e.list, e.authority, type));
  if (!accepted) {
    return { ok: false, rule: 'typeAuthorised', code: 'ERR_TYPE_NOT_AUTHORISED', message: `${query.issuerId} may not issue ${String(type)}`, ...inWindow[0]! };
  }
  return { ok: true, authority: accepted.authority, key: accepted.authority.keys.get(query.kid)!, list: accepted.list };
}
