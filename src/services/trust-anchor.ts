/**
 * The trust-anchor role (docs/trust-anchor.md): a deployment with an anchor signing key keeps a register
 * of issuing authorities (`trust_registry`) and publishes signed trust lists (`trust_lists`) whose
 * sequence only grows. Authorities come in from a JWKS (inline, a URL, or a file via the CLI) or, when
 * hosted by this same deployment, straight from its signing keys, which are re-read on every publish so
 * a rotation reaches the next list. Register edits take effect in the next published list; a list is
 * published on demand, and lazily whenever the register or a hosted key changed or the latest list is
 * past half its lifetime.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { fromBase64url, fromUtf8, readStreamCapped } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { jwkThumbprint, publicJwk } from '../core/jws-sign.js';
import { formatDateTime } from '../core/status-list.js';
import {
  buildTrustList,
  isJurisdictionCode,
  signTrustList,
  type AuthorityStatus,
  type BilingualName,
  type IssuingAuthorityJson,
  type TrustListPayload,
} from '../core/trust-list.js';
import { authorities, signingKeys, trustLists, trustRegistry } from '../db/schema.js';
import { asConstraintViolation, type Db, type Statement } from '../db/store.js';
import type { AnchorSettings, AppConfig, ServiceDeps } from './ports.js';
import { auditStatements, readAuditHead, type AuditEntryInput } from './audit.js';
import { didWebFor } from './authorities.js';
import { activeSigner, publishedKeys } from './keys.js';
import { DEV_ANCHOR_ID, DEV_ANCHOR_NAME } from './dev-setup.js';

const SECOND = 1000;
const DAY = 86_400_000;
/** Default lifetime of a trust list; verifiers add their grace period (default one day) after it. */
export const DEFAULT_TRUST_LIST_TTL_MS = 7 * DAY;
/** A rotated-out hosted key stays valid this long after its successor appears (in-flight signings). */
export const ROTATION_OVERLAP_MS = 5 * 60 * SECOND;
const MAX_JWKS_BYTES = 256 * 1024;
const MAX_KEYS = 32;
const FETCH_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------------------------
// The anchor itself

/** Optional settings an operator gives the anchor (proposed as `AppConfig.anchor`). */

export type { AnchorSettings };

export interface Anchor {
  /** Owner id of the anchor's signing keys (`signing_keys.owner_id`). */
  ownerId: string;
  /** The anchor's did:web, the trust list's `id`. */
  id: string;
  name: BilingualName;
  jurisdiction: string | undefined;
  trustListTtlMs: number;
}

function anchorSettings(config: AppConfig): AnchorSettings {
  return config.anchor ?? {};
}

/** This deployment's anchor (the owner of the oldest active anchor key), or undefined if it is none. */
export async function findAnchor(deps: ServiceDeps): Promise<Anchor | undefined> {
  const [key] = await deps.store.db
    .select({ ownerId: signingKeys.ownerId })
    .from(signingKeys)
    .where(and(eq(signingKeys.ownerKind, 'anchor'), eq(signingKeys.status, 'active')))
    .orderBy(asc(signingKeys.createdAt))
    .limit(1);
  if (!key) return undefined;
  const settings = anchorSettings(deps.config);
  return {
    ownerId: key.ownerId,
    id: didWebFor(deps.config.publicUrl, ['anchors', key.ownerId]),
    name: settings.name ?? (key.ownerId === DEV_ANCHOR_ID ? DEV_ANCHOR_NAME : { zh: key.ownerId, en: key.ownerId }),
    jurisdiction: settings.jurisdiction,
    trustListTtlMs: settings.trustListTtlMs ?? DEFAULT_TRUST_LIST_TTL_MS,
  };
}

/** ERR_FORBIDDEN unless this deployment is a trust anchor. */
export async function requireAnchor(deps: ServiceDeps): Promise<Anchor> {
  const anchor = await findAnchor(deps);
  if (!anchor) throw new ElicenceError('ERR_FORBIDDEN', 'this deployment is not a trust anchor (it has no anchor signing key)');
  return anchor;
}

/** The anchor's public keys (active and rotated-out, not retired) as a JWKS, for verifiers to pin. */
export async function anchorJwks(deps: ServiceDeps): Promise<{ keys: JWK[] }> {
  const keys = await publishedKeys(deps.store.db, { kind: 'anchor' });
  return { keys: keys.map((k) => ({ ...publicJwk(k.publicJwk), kid: k.kid, alg: k.alg, use: 'sig' })) };
}

// ---------------------------------------------------------------------------------------------
// JWKS intake

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jwksError(message: string, field: string): ElicenceError {
  return new ElicenceError('ERR_JWKS_INVALID', message, { field });
}

/**
 * Public signing keys from a JWKS (`{ keys: [...] }`) or a did:web document (`verificationMethod[].
 * publicKeyJwk`). Refuses the whole set if any key carries private material (ERR_JWKS_PRIVATE_KEY);
 * refuses keys that are not Ed25519 / P-256 public keys or whose `kid` is not their RFC 7638
 * thumbprint, since licences name their key by that thumbprint (ERR_JWKS_INVALID).
 */
export async function publicKeysFromJwks(document: unknown, field = 'jwks'): Promise<Array<JWK & { kid: string }>> {
  let raw: unknown[];
  if (isRecord(document) && Array.isArray(document.keys)) raw = document.keys;
  else if (isRecord(document) && Array.isArray(document.verificationMethod)) {
    raw = document.verificationMethod.map((m) => (isRecord(m) ? m.publicKeyJwk : undefined));
  } else throw jwksError('expected a JWKS ({ "keys": [...] }) or a did:web document', field);
  if (raw.length === 0) throw jwksError('the key set is empty', field);
  if (raw.length > MAX_KEYS) throw jwksError(`at most ${MAX_KEYS} keys`, field);
  // Private material anywhere refuses everything: whoever sent it has leaked it, and must rotate.
  raw.forEach((key, i) => {
    const member = isRecord(key) ? PRIVATE_MEMBERS.find((m) => m in key) : undefined;
    if (member) {
      throw new ElicenceError('ERR_JWKS_PRIVATE_KEY', `key ${i} contains private key material ("${member}"); submit public keys only and treat this key as compromised`, {
        field: `${field}.keys[${i}].${member}`,
      });
    }
  });
  const keys = new Map<string, JWK & { kid: string }>();
  for (let i = 0; i < raw.length; i++) {
    const key = raw[i];
    const at = `${field}.keys[${i}]`;
    if (!isRecord(key)) throw jwksError('must be a JWK object', at);
    const ed = key.kty === 'OKP' && key.crv === 'Ed25519';
    const ec = key.kty === 'EC' && key.crv === 'P-256';
    if (!ed && !ec) throw jwksError('only Ed25519 (OKP) and P-256 (EC) signing keys are accepted', at);
    if (key.use !== undefined && key.use !== 'sig') throw jwksError('"use" must be "sig"', `${at}.use`);
    if (key.alg !== undefined && key.alg !== (ed ? 'EdDSA' : 'ES256')) throw jwksError(`"alg" must be ${ed ? 'EdDSA' : 'ES256'}`, `${at}.alg`);
    const jwk = (ed ? { kty: 'OKP', crv: 'Ed25519', x: key.x } : { kty: 'EC', crv: 'P-256', x: key.x, y: key.y }) as JsonWebKey;
    try {
      // Import checks the coordinates (length, point on the curve for P-256).
      await crypto.subtle.importKey('jwk', jwk, ed ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    } catch (cause) {
      throw new ElicenceError('ERR_JWKS_INVALID', 'not a usable public key', { field: at, cause });
    }
    const kid = await jwkThumbprint(jwk as JWK);
    if (key.kid !== undefined && key.kid !== kid) throw jwksError(`"kid" must be the key's RFC 7638 thumbprint ${kid}`, `${at}.kid`);
    keys.set(kid, { ...publicJwk(jwk as JWK), kid });
  }
  return [...keys.values()];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Fetches a JWKS or did:web document over HTTPS (plain HTTP only on loopback), with size and time limits. */
export async function fetchJwks(url: string, fetchImpl: typeof fetch = fetch): Promise<unknown> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ElicenceError('ERR_VALIDATION', 'jwksUrl must be an absolute URL', { field: 'jwksUrl' });
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) {
    throw new ElicenceError('ERR_VALIDATION', 'jwksUrl must use https (http only for localhost)', { field: 'jwksUrl' });
  }
  let text: string;
  try {
    const response = await fetchImpl(parsed, { redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json, application/jwk-set+json, application/did+json' } });
    if (!response.ok) throw new ElicenceError('ERR_JWKS_FETCH_FAILED', `GET ${url} answered ${response.status}`, { field: 'jwksUrl' });
    const bytes = response.body ? await readStreamCapped(response.body, MAX_JWKS_BYTES) : new Uint8Array(0);
    if (!bytes) throw jwksError(`the key set is larger than ${MAX_JWKS_BYTES} bytes`, 'jwksUrl');
    text = new TextDecoder().decode(bytes);
  } catch (cause) {
    if (cause instanceof ElicenceError) throw cause;
    throw new ElicenceError('ERR_JWKS_FETCH_FAILED', `could not fetch ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { field: 'jwksUrl', cause });
  }
  return parseJwksText(text, 'jwksUrl');
}

/** Parses JWKS text (from a file or a response), with a size limit. */
export function parseJwksText(text: string, field: string): unknown {
  if (text.length > MAX_JWKS_BYTES) throw jwksError(`the key set is larger than ${MAX_JWKS_BYTES} bytes`, field);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ElicenceError('ERR_JWKS_INVALID', 'the key set is not valid JSON', { field, cause });
  }
}

// ---------------------------------------------------------------------------------------------
// The register

export type RegisteredKeyStatus = 'active' | 'withdrawn';

/** One key of a registered authority, as stored in `keys_json` (times in epoch ms). */
export interface RegisteredKey {
  jwk: JWK & { kid: string };
  validFrom: number;
  validUntil?: number;
  status: RegisteredKeyStatus;
  withdrawnAt?: number;
}

export interface RegisteredAuthority {
  id: string;
  name: BilingualName;
  jurisdiction: string;
  status: AuthorityStatus;
  licenceTypes: string[];
  keys: RegisteredKey[];
  /** `hosted:<slug>`, a JWKS URL, `file:<path>` or `inline`. */
  source: string | null;
  updatedAt: number;
}

type RegistryRow = typeof trustRegistry.$inferSelect;

function fromRow(row: RegistryRow): RegisteredAuthority {
  return {
    id: row.id,
    name: { zh: row.nameZh, en: row.nameEn },
    jurisdiction: row.jurisdiction,
    status: row.status,
    licenceTypes: JSON.parse(row.licenceTypes) as string[],
    keys: JSON.parse(row.keysJson) as RegisteredKey[],
    source: row.source,
    updatedAt: row.updatedAt,
  };
}

function toRow(a: RegisteredAuthority): RegistryRow {
  return {
    id: a.id,
    nameZh: a.name.zh,
    nameEn: a.name.en,
    jurisdiction: a.jurisdiction,
    status: a.status,
    licenceTypes: JSON.stringify(a.licenceTypes),
    keysJson: JSON.stringify(a.keys),
    source: a.source,
    updatedAt: a.updatedAt,
  };
}

export async function listRegistry(db: Db): Promise<RegisteredAuthority[]> {
  return (await db.select().from(trustRegistry).orderBy(asc(trustRegistry.jurisdiction), asc(trustRegistry.id))).map(fromRow);
}

export async function findRegistered(db: Db, id: string): Promise<RegisteredAuthority | undefined> {
  const [row] = await db.select().from(trustRegistry).where(eq(trustRegistry.id, id));
  return row && fromRow(row);
}

async function requireRegistered(db: Db, id: string): Promise<RegisteredAuthority> {
  const found = await findRegistered(db, id);
  if (!found) throw new ElicenceError('ERR_NOT_FOUND', `${id} is not in the trust register`, { field: 'id' });
  return found;
}

const DID_WEB = /^did:web:[A-Za-z0-9.%-]+(?::[A-Za-z0-9._~%-]+)*$/;
const TYPE_CODE = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

function checkName(name: BilingualName, field: string): BilingualName {
  for (const lang of ['zh', 'en'] as const) {
    const value = name[lang];
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 200) {
      throw new ElicenceError('ERR_VALIDATION', `${field}.${lang} must be 1 to 200 characters`, { field: `${field}.${lang}` });
    }
  }
  return { zh: name.zh.trim(), en: name.en.trim() };
}

function checkTypes(types: readonly string[]): string[] {
  if (!Array.isArray(types) || types.length === 0 || types.length > 200) {
    throw new ElicenceError('ERR_VALIDATION', 'licenceTypes must list 1 to 200 licence type codes', { field: 'licenceTypes' });
  }
  types.forEach((t, i) => {
    if (typeof t !== 'string' || !TYPE_CODE.test(t)) throw new ElicenceError('ERR_VALIDATION', `"${String(t)}" is not a licence type code`, { field: `licenceTypes[${i}]` });
  });
  return [...new Set(types)];
}

/** The authority hosted by this deployment whose did:web is `did`, if any. */
async function hostedAuthority(db: Db, did: string) {
  const [row] = await db.select().from(authorities).where(eq(authorities.did, did));
  return row;
}

/**
 * A hosted authority's keys as the trust list should carry them: active and rotated-out keys (retired
 * ones are no longer published, so licences signed with them stop verifying). A rotated-out key's
 * window closes when its successor appeared (plus ROTATION_OVERLAP_MS): old licences keep verifying,
 * while the old key cannot vouch for anything dated after the rotation.
 */
type HostedKey = { jwk: JWK & { kid: string }; validFrom: number; validUntil?: number };

async function hostedKeys(db: Db, slug: string): Promise<{ keys: Map<string, HostedKey>; allKids: Set<string> }> {
  const rows = await db
    .select()
    .from(signingKeys)
    .where(and(eq(signingKeys.ownerKind, 'authority'), eq(signingKeys.ownerId, slug)))
    .orderBy(asc(signingKeys.createdAt), asc(signingKeys.kid));
  const keys = new Map<string, HostedKey>();
  rows.forEach((row, i) => {
    if (row.status === 'retired') return;
    const successor = rows[i + 1];
    const closes = row.validUntil ?? (row.status === 'published' && successor ? successor.validFrom + ROTATION_OVERLAP_MS : undefined);
    keys.set(row.kid, {
      jwk: { ...publicJwk(JSON.parse(row.publicJwk) as JWK), kid: row.kid },
      validFrom: row.validFrom,
      ...(closes === undefined ? {} : { validUntil: closes }),
    });
  });
  return { keys, allKids: new Set(rows.map((r) => r.kid)) };
}

/** The register entry with its keys brought in step with the hosted authority's signing keys. */
async function withHostedKeys(db: Db, entry: RegisteredAuthority): Promise<RegisteredAuthority> {
  const slug = entry.source?.startsWith('hosted:') ? entry.source.slice('hosted:'.length) : (await hostedAuthority(db, entry.id))?.id;
  if (!slug) return entry;
  const { keys: hosted, allKids } = await hostedKeys(db, slug);
  const previous = new Map(entry.keys.map((k) => [k.jwk.kid, k]));
  const keys: RegisteredKey[] = [];
  for (const [kid, key] of hosted) {
    const before = previous.get(kid);
    // A withdrawal made at the anchor outlives any refresh.
    keys.push({ ...key, status: before?.status ?? 'active', ...(before?.withdrawnAt === undefined ? {} : { withdrawnAt: before.withdrawnAt }) });
  }
  // Keys registered from elsewhere stay as they were; the authority's retired keys drop out.
  for (const key of entry.keys) if (!allKids.has(key.jwk.kid)) keys.push(key);
  return { ...entry, keys };
}

export type KeySource = { jwks: unknown; source?: string } | { jwksUrl: string } | { hosted: true };

export interface NewTrustedAuthority {
  /** The authority's did:web (its licences' issuer.id). */
  id: string;
  name: BilingualName;
  jurisdiction: string;
  licenceTypes: string[];
  /** Where the keys come from. `hosted` (or omitted) only for an authority hosted by this deployment. */
  keys?: KeySource;
  /** Start of the imported keys' validity window (epoch ms; default: now). Hosted keys keep their own. */
  validFrom?: number;
}

export interface RegisterOptions {
  fetch?: typeof fetch;
}

async function importKeys(deps: ServiceDeps, input: NewTrustedAuthority, options: RegisterOptions): Promise<{ keys: RegisteredKey[]; source: string }> {
  const now = deps.clock.now();
  const hosted = await hostedAuthority(deps.store.db, input.id);
  const source = input.keys ?? { hosted: true as const };
  if ('hosted' in source) {
    if (!hosted) throw new ElicenceError('ERR_VALIDATION', `${input.id} is not hosted by this deployment: give its JWKS (jwks or jwksUrl)`, { field: 'jwks' });
    const { keys } = await hostedKeys(deps.store.db, hosted.id);
    return { keys: [...keys.values()].map((k) => ({ ...k, status: 'active' })), source: `hosted:${hosted.id}` };
  }
  const document = 'jwksUrl' in source ? await fetchJwks(source.jwksUrl, options.fetch) : source.jwks;
  const jwks = await publicKeysFromJwks(document, 'jwksUrl' in source ? 'jwksUrl' : 'jwks');
  const validFrom = input.validFrom ?? Math.floor(now / SECOND) * SECOND;
  return {
    keys: jwks.map((jwk) => ({ jwk, validFrom, status: 'active' })),
    source: hosted ? `hosted:${hosted.id}` : 'jwksUrl' in source ? source.jwksUrl : (source.source ?? 'inline'),
  };
}

/** Commits `entry` (insert or update) with one audit entry, inside the caller's exclusive section. */
async function saveEntry(deps: ServiceDeps, entry: RegisteredAuthority, insert: boolean, audit: AuditEntryInput): Promise<void> {
  const { store } = deps;
  const row = toRow(entry);
  const statement: Statement = insert ? store.db.insert(trustRegistry).values(row) : store.db.update(trustRegistry).set(row).where(eq(trustRegistry.id, entry.id));
  const trail = auditStatements(store.db, await readAuditHead(store.db), [audit], entry.updatedAt);
  await store.commit([statement, ...trail.statements]);
}

/** Adds an issuing authority to the register (effective in the next published list). */
export async function registerAuthority(deps: ServiceDeps, input: NewTrustedAuthority, actor: string, options: RegisterOptions = {}): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  if (typeof input.id !== 'string' || input.id.length > 512 || !DID_WEB.test(input.id)) {
    throw new ElicenceError('ERR_VALIDATION', 'id must be the authority\'s did:web, e.g. did:web:elicence.example:authorities:ningbo', { field: 'id' });
  }
  if (!isJurisdictionCode(input.jurisdiction)) {
    throw new ElicenceError('ERR_VALIDATION', `"${String(input.jurisdiction)}" is not a GB/T 2260 administrative division code (six digits, e.g. 330200)`, { field: 'jurisdiction' });
  }
  const name = checkName(input.name, 'name');
  const types = checkTypes(input.licenceTypes);
  // Network and crypto work happen before the exclusive section.
  const { keys, source } = await importKeys(deps, input, options);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    if (await findRegistered(store.db, input.id)) throw new ElicenceError('ERR_CONFLICT', `${input.id} is already in the trust register`, { field: 'id' });
    const entry: RegisteredAuthority = { id: input.id, name, jurisdiction: input.jurisdiction, status: 'active', licenceTypes: types, keys, source, updatedAt: clock.now() };
    await saveEntry(deps, entry, true, {
      action: 'trust.authority.added',
      actor,
      subjectId: entry.id,
      content: { name, jurisdiction: entry.jurisdiction, licenceTypes: types, source, kids: keys.map((k) => k.jwk.kid) },
    });
    return entry;
  });
}

export interface AuthorityUpdate {
  name?: BilingualName;
  licenceTypes?: string[];
}

/** Changes an authority's names or allowed licence types. */
export async function updateAuthority(deps: ServiceDeps, id: string, update: AuthorityUpdate, actor: string): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const name = update.name && checkName(update.name, 'name');
  const types = update.licenceTypes && checkTypes(update.licenceTypes);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await requireRegistered(store.db, id);
    if (entry.status === 'withdrawn') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `${id} is withdrawn`, { field: 'id' });
    const next: RegisteredAuthority = { ...entry, ...(name ? { name } : {}), ...(types ? { licenceTypes: types } : {}), updatedAt: clock.now() };
    await saveEntry(deps, next, false, { action: 'trust.authority.updated', actor, subjectId: id, content: { ...(name ? { name } : {}), ...(types ? { licenceTypes: types } : {}) } });
    return next;
  });
}

const TRANSITIONS: Record<AuthorityStatus, readonly AuthorityStatus[]> = {
  active: ['suspended', 'withdrawn'],
  suspended: ['active', 'withdrawn'],
  withdrawn: [],
};

/** Suspends, reinstates or withdraws (final) an authority; effective in the next published list. */
export async function setAuthorityStatus(deps: ServiceDeps, id: string, status: AuthorityStatus, actor: string, reason?: string): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await requireRegistered(store.db, id);
    if (!TRANSITIONS[entry.status].includes(status)) {
      throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `${id} is ${entry.status} and cannot become ${status}`, { field: 'status' });
    }
    const next: RegisteredAuthority = { ...entry, status, updatedAt: clock.now() };
    await saveEntry(deps, next, false, { action: `trust.authority.${status}`, actor, subjectId: id, content: { from: entry.status, to: status, ...(reason ? { reason } : {}) } });
    return next;
  });
}

/**
 * Withdraws one key of an authority: it leaves the next list entirely, so everything it signed stops
 * verifying (use this for a compromised key; a routine rotation only closes the old key's window).
 */
export async function withdrawKey(deps: ServiceDeps, id: string, kid: string, actor: string, reason?: string): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await withHostedKeys(store.db, await requireRegistered(store.db, id));
    const key = entry.keys.find((k) => k.jwk.kid === kid);
    if (!key) throw new ElicenceError('ERR_NOT_FOUND', `${id} has no key ${kid}`, { field: 'kid' });
    if (key.status === 'withdrawn') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `key ${kid} is already withdrawn`, { field: 'kid' });
    const now = clock.now();
    const next: RegisteredAuthority = { ...entry, keys: entry.keys.map((k) => (k.jwk.kid === kid ? { ...k, status: 'withdrawn', withdrawnAt: now } : k)), updatedAt: now };
    await saveEntry(deps, next, false, { action: 'trust.key.withdrawn', actor, subjectId: id, content: { kid, ...(reason ? { reason } : {}) } });
    return next;
  });
}

/**
 * Re-reads a remote authority's JWKS after it rotated: new keys are added (valid from now, or
 * `validFrom`), keys missing from the new set have their window closed now (what they signed before
 * still verifies). Withdrawn keys stay withdrawn. Hosted authorities need nothing: they follow on publish.
 */
export async function refreshAuthorityKeys(deps: ServiceDeps, id: string, source: KeySource, actor: string, options: RegisterOptions & { validFrom?: number } = {}): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const current = await requireRegistered(deps.store.db, id);
  const imported = await importKeys(deps, { id, name: current.name, jurisdiction: current.jurisdiction, licenceTypes: current.licenceTypes, keys: source, ...(options.validFrom === undefined ? {} : { validFrom: options.validFrom }) }, options);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await requireRegistered(store.db, id);
    if (entry.status === 'withdrawn') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `${id} is withdrawn`, { field: 'id' });
    const now = clock.now();
    const incoming = new Map(imported.keys.map((k) => [k.jwk.kid, k]));
    const keys: RegisteredKey[] = entry.keys.map((k) => (incoming.has(k.jwk.kid) || k.validUntil !== undefined ? k : { ...k, validUntil: Math.max(now, k.validFrom + SECOND) }));
    const added = imported.keys.filter((k) => !entry.keys.some((e) => e.jwk.kid === k.jwk.kid));
    if (keys.length + added.length > MAX_KEYS) throw jwksError(`an authority may list at most ${MAX_KEYS} keys: withdraw old ones first`, 'jwks');
    const next: RegisteredAuthority = { ...entry, keys: [...keys, ...added], source: imported.source, updatedAt: now };
    await saveEntry(deps, next, false, { action: 'trust.authority.keysRefreshed', actor, subjectId: id, content: { added: added.map((k) => k.jwk.kid), source: imported.source } });
    return next;
  });
}

// ---------------------------------------------------------------------------------------------
// Trust lists

export interface StoredTrustList {
  seq: number;
  jws: string;
  issuedAt: number;
  expiresAt: number;
}

export async function latestTrustList(db: Db): Promise<StoredTrustList | undefined> {
  const [row] = await db.select().from(trustLists).orderBy(desc(trustLists.seq)).limit(1);
  return row;
}

export async function trustListHistory(db: Db, limit = 100): Promise<StoredTrustList[]> {
  return db.select().from(trustLists).orderBy(desc(trustLists.seq)).limit(limit);
}

/** The payload of a list this deployment signed (no verification: it came from our own table). */
export function trustListPayloadOf(list: StoredTrustList): TrustListPayload {
  const bytes = fromBase64url(list.jws.split('.')[1] ?? '');
  if (!bytes) throw new ElicenceError('ERR_INTERNAL', `stored trust list #${list.seq} is not a compact JWS`);
  return JSON.parse(fromUtf8(bytes)) as TrustListPayload;
}

/** The authorities section exactly as `buildTrustList` writes it (withdrawn keys left out). */
function authoritiesSection(entries: readonly RegisteredAuthority[]): IssuingAuthorityJson[] {
  return entries.map((a) => ({
    id: a.id,
    name: a.name,
    jurisdiction: a.jurisdiction,
    status: a.status,
    licenceTypes: [...a.licenceTypes],
    keys: a.keys
      .filter((k) => k.status === 'active')
      .map((k) => ({
        jwk: { ...publicJwk(k.jwk), kid: k.jwk.kid },
        validFrom: formatDateTime(k.validFrom),
        ...(k.validUntil === undefined ? {} : { validUntil: formatDateTime(k.validUntil) }),
      })),
  }));
}

/** The register as the next list would carry it: hosted authorities' keys re-read. */
async function plannedRegister(db: Db): Promise<{ entries: RegisteredAuthority[]; changed: RegisteredAuthority[] }> {
  const entries: RegisteredAuthority[] = [];
  const changed: RegisteredAuthority[] = [];
  for (const entry of await listRegistry(db)) {
    const refreshed = await withHostedKeys(db, entry);
    entries.push(refreshed);
    if (JSON.stringify(refreshed.keys) !== JSON.stringify(entry.keys)) changed.push(refreshed);
  }
  return { entries, changed };
}

export interface PublishOptions {
  /** Lifetime of this list (default: the anchor's setting, 7 days). */
  ttlMs?: number;
  /** Why it was published (audit): "manual", "changed", "ageing", "first". */
  reason?: string;
}

/** Signs and stores the next list. Must run inside `store.exclusive`. */
async function publishLocked(deps: ServiceDeps, anchor: Anchor, actor: string, options: PublishOptions): Promise<StoredTrustList> {
  const { store, clock } = deps;
  const ttl = options.ttlMs ?? anchor.trustListTtlMs;
  if (!Number.isSafeInteger(ttl) || ttl < 60 * SECOND || ttl > 366 * DAY) {
    throw new ElicenceError('ERR_VALIDATION', 'a trust list lives between one minute and one year', { field: 'ttlSeconds' });
  }
  const signer = await activeSigner(deps, { kind: 'anchor', id: anchor.ownerId });
  for (let attempt = 0; ; attempt++) {
    const { entries, changed } = await plannedRegister(store.db);
    const latest = await latestTrustList(store.db);
    const seq = (latest?.seq ?? 0) + 1;
    // Never earlier than the previous list: a verifier keeps the highest sequence, but time should agree.
    const issuedAt = Math.max(Math.floor(clock.now() / SECOND) * SECOND, latest ? Math.floor(latest.issuedAt / SECOND) * SECOND : 0);
    const expiresAt = issuedAt + ttl;
    const payload = await buildTrustList({
      anchor: { id: anchor.id, name: anchor.name, ...(anchor.jurisdiction === undefined ? {} : { jurisdiction: anchor.jurisdiction }) },
      sequence: seq,
      issuedAt: new Date(issuedAt),
      expiresAt: new Date(expiresAt),
      authorities: authoritiesSection(entries).map((a) => ({ ...a, keys: a.keys.map((k) => ({ jwk: k.jwk, validFrom: k.validFrom, ...(k.validUntil === undefined ? {} : { validUntil: k.validUntil }) })) })),
    });
    const jws = await signTrustList(signer, payload);
    const now = clock.now();
    const refreshes = changed.map((entry) => store.db.update(trustRegistry).set({ keysJson: JSON.stringify(entry.keys), updatedAt: now }).where(eq(trustRegistry.id, entry.id)));
    const audit = auditStatements(store.db, await readAuditHead(store.db), [
      {
        action: 'trust.list.published',
        actor,
        subjectId: anchor.id,
        content: { sequence: seq, issuedAt: payload.issuedAt, expiresAt: payload.expiresAt, reason: options.reason ?? 'manual', authorities: entries.length, signedBy: signer.kid },
      },
    ], now);
    try {
      await store.commit([store.db.insert(trustLists).values({ seq, jws, issuedAt, expiresAt }), ...refreshes, ...audit.statements]);
      return { seq, jws, issuedAt, expiresAt };
    } catch (error) {
      // Another process (the CLI beside the server) took this sequence or the audit head: read again.
      if (attempt < 3 && asConstraintViolation(error)?.kind === 'unique') continue;
      throw error;
    }
  }
}

/** Publishes a new trust list now: the register as it stands, with a sequence one above the last. */
export async function publishTrustList(deps: ServiceDeps, actor: string, options: PublishOptions = {}): Promise<StoredTrustList> {
  const anchor = await requireAnchor(deps);
  return deps.store.exclusive(() => publishLocked(deps, anchor, actor, options));
}

/** Why the latest list should be replaced, or undefined when it is current. */
async function staleness(deps: ServiceDeps, latest: StoredTrustList | undefined): Promise<string | undefined> {
  if (!latest) return 'first';
  const now = deps.clock.now();
  if (now >= latest.issuedAt + (latest.expiresAt - latest.issuedAt) / 2) return 'ageing';
  const { entries } = await plannedRegister(deps.store.db);
  const planned = JSON.stringify(authoritiesSection(entries));
  return planned === JSON.stringify(trustListPayloadOf(latest).authorities) ? undefined : 'changed';
}

/**
 * The list to serve: the latest one, or a newly published one when there is none yet, the latest is
 * past half its lifetime, or the register (including hosted authorities' keys) no longer matches it.
 * Undefined when this deployment is not an anchor.
 */
export async function currentTrustList(deps: ServiceDeps): Promise<StoredTrustList | undefined> {
  const anchor = await findAnchor(deps);
  if (!anchor) return undefined;
  const latest = await latestTrustList(deps.store.db);
  if ((await staleness(deps, latest)) === undefined) return latest!;
  return deps.store.exclusive(async () => {
    // Decide again under the lock: a concurrent request may have published meanwhile.
    const again = await latestTrustList(deps.store.db);
    const reason = await staleness(deps, again);
    return reason === undefined ? again! : publishLocked(deps, anchor, 'system', { reason });
  });
}

/** Publishes the first list, unless one exists by the time the lock is held. */
export async function publishFirstTrustList(deps: ServiceDeps, anchor: Anchor, actor: string): Promise<void> {
  await deps.store.exclusive(async () => {
    if (!(await latestTrustList(deps.store.db))) await publishLocked(deps, anchor, actor, { reason: 'first' });
  });
}
