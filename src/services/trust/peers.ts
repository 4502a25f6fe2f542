/**
 * The register of peer anchors (`peer_anchors`, docs/trust-anchor.md "Federation"): the other anchors
 * this anchor vouches for in its trust list's `federatedAnchors`, each with its keys, the scope it is
 * granted (a namespace of DID prefixes, jurisdictions, optionally licence types) and the verifier
 * bundle its pieces are fetched from. No DID has two owners: a peer's namespace may overlap neither
 * another peer's nor this anchor's own (its host's DIDs and every authority in its register).
 */
import { asc, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { formatDateTime } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { type FederatedAnchorJson, type FederationScope, inNamespaceOf, isIssuerPrefix, isJurisdictionPrefix, prefixesOverlap } from '../../core/trust-list.js';
import { peerAnchors, peerPieces, peerStatus } from '../../db/schema.js';
import type { Db, Statement } from '../../db/store.js';
import { type Actor, type AuditEntryInput, actorFields, auditStatements, readAuditHead } from '../audit.js';
import { didWebFor } from '../authorities.js';
import type { ServiceDeps } from '../ports.js';
import { requireAnchor } from './anchor.js';
import { checkFetchUrl, fetchJwks, jwksError, MAX_KEYS, publicKeysFromJwks } from './jwks.js';
import { listRegistry } from './register.js';
import { checkName, checkTypes, DID_WEB } from './register-checks.js';

const DAY = 86_400_000;
/**
 * Default start of a peer key's window: as far back as any list it signed could still be accepted (a
 * list lives at most 366 days, plus a day of grace), so the list the peer has in circulation when it
 * is registered counts. A backdated list gains nothing: it only expires sooner.
 */
export const PEER_KEY_BACKDATE_MS = 367 * DAY;

export interface PeerKey {
  jwk: JWK & { kid: string };
  validFrom: number;
  validUntil?: number;
}

export type PeerRole = 'federated' | 'upstream';

export interface PeerAnchor {
  id: string;
  role: PeerRole;
  name: { zh: string; en: string };
  keys: PeerKey[];
  /** The JWKS URL the keys were read from; null when given inline. */
  keysSource: string | null;
  bundleUrl: string;
  scope: FederationScope & { issuerPrefixes: string[] };
  createdAt: number;
  updatedAt: number;
  sync: {
    etag: string | null;
    bundleGeneratedAt: string | null;
    lastAttemptAt: number | null;
    lastSuccessAt: number | null;
    lastError: string | null;
  };
}

type PeerRow = typeof peerAnchors.$inferSelect;

function fromRow(row: PeerRow): PeerAnchor {
  return {
    id: row.id,
    role: row.role,
    name: { zh: row.nameZh, en: row.nameEn },
    keys: JSON.parse(row.keysJson) as PeerKey[],
    keysSource: row.keysSource,
    bundleUrl: row.bundleUrl,
    scope: JSON.parse(row.scopeJson) as PeerAnchor['scope'],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    sync: {
      etag: row.etag,
      bundleGeneratedAt: row.bundleGeneratedAt,
      lastAttemptAt: row.lastAttemptAt,
      lastSuccessAt: row.lastSuccessAt,
      lastError: row.lastError,
    },
  };
}

function toRow(p: PeerAnchor): PeerRow {
  return {
    id: p.id,
    role: p.role,
    nameZh: p.name.zh,
    nameEn: p.name.en,
    keysJson: JSON.stringify(p.keys),
    keysSource: p.keysSource,
    bundleUrl: p.bundleUrl,
    scopeJson: JSON.stringify(p.scope),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    etag: p.sync.etag,
    bundleGeneratedAt: p.sync.bundleGeneratedAt,
    lastAttemptAt: p.sync.lastAttemptAt,
    lastSuccessAt: p.sync.lastSuccessAt,
    lastError: p.sync.lastError,
  };
}

/** The peers of one role (default: the federated anchors this anchor vouches for), by id. */
export async function listPeers(db: Db, role: PeerRole = 'federated'): Promise<PeerAnchor[]> {
  return (await db.select().from(peerAnchors).where(eq(peerAnchors.role, role)).orderBy(asc(peerAnchors.id))).map(fromRow);
}

export async function findPeer(db: Db, id: string): Promise<PeerAnchor | undefined> {
  const [row] = await db.select().from(peerAnchors).where(eq(peerAnchors.id, id));
  return row && fromRow(row);
}

export async function requirePeer(db: Db, id: string): Promise<PeerAnchor> {
  const peer = await findPeer(db, id);
  if (peer?.role !== 'federated') throw new ElicenceError('ERR_NOT_FOUND', `${id} is not a registered peer anchor`, { field: 'id' });
  return peer;
}

/** The federated anchor whose namespace holds `did`, if any. */
export async function peerOwning(db: Db, did: string): Promise<{ peer: string; prefix: string } | undefined> {
  for (const peer of await listPeers(db)) {
    // However either is spelled: `did:web:JS.test:…` is in the namespace did:web:js.test:.
    const prefix = peer.scope.issuerPrefixes.find((p) => inNamespaceOf(did, p));
    if (prefix !== undefined) return { peer: peer.id, prefix };
  }
  return undefined;
}

/** The `federatedAnchors` section of the next trust list, exactly as `buildTrustList` writes it. */
export function federatedAnchorsSection(peers: readonly PeerAnchor[]): FederatedAnchorJson[] {
  return peers.map((p) => ({
    id: p.id,
    name: p.name,
    keys: p.keys.map((k) => ({
      jwk: k.jwk,
      validFrom: formatDateTime(k.validFrom),
      ...(k.validUntil === undefined ? {} : { validUntil: formatDateTime(k.validUntil) }),
    })),
    scope: p.scope,
  }));
}

export interface PeerScopeInput {
  issuerPrefixes: string[];
  jurisdictions: string[];
  licenceTypes?: string[] | undefined;
}

/** Where a peer's keys come from: a JWKS (or trust-anchor.json document, or an array of JWKs) inline, or a URL serving one. */
export type PeerKeySource = { keys: unknown } | { jwksUrl: string };

export interface NewPeerAnchor {
  id: string;
  name: { zh: string; en: string };
  keys: PeerKeySource;
  bundleUrl: string;
  scope: PeerScopeInput;
  /** Start of the keys' window (epoch ms; default PEER_KEY_BACKDATE_MS before now). */
  validFrom?: number;
}

export interface PeerRegisterOptions {
  fetch?: typeof fetch;
}

/** A DID prefix in DID syntax (W3C DID Core `idchar`), ending in ":". */
const DID_PREFIX = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9._:-]|%[0-9A-Fa-f]{2})*:$/;

function checkScope(scope: PeerScopeInput): PeerAnchor['scope'] {
  const field = 'scope';
  if (typeof scope !== 'object' || scope === null) throw new ElicenceError('ERR_VALIDATION', 'scope must be { issuerPrefixes, jurisdictions, licenceTypes? }', { field });
  const prefixes = scope.issuerPrefixes;
  if (!Array.isArray(prefixes) || prefixes.length === 0 || prefixes.length > 200) {
    throw new ElicenceError('ERR_VALIDATION', 'scope.issuerPrefixes must list 1 to 200 DID prefixes', { field: 'scope.issuerPrefixes' });
  }
  prefixes.forEach((p, i) => {
    // DID syntax only (ASCII letters, digits, . - _ and %-escapes): a look-alike host in another script is no DID.
    if (!isIssuerPrefix(p) || !DID_PREFIX.test(p)) {
      throw new ElicenceError('ERR_VALIDATION', `"${String(p)}" is not a DID prefix ending in ":" (e.g. did:web:elicence.js.example:)`, { field: `scope.issuerPrefixes[${i}]` });
    }
    prefixes.forEach((q, j) => {
      if (j > i && prefixesOverlap(p, q)) throw new ElicenceError('ERR_VALIDATION', `${p} and ${q} overlap`, { field: `scope.issuerPrefixes[${j}]` });
    });
  });
  const jurisdictions = scope.jurisdictions;
  if (!Array.isArray(jurisdictions) || jurisdictions.length === 0 || jurisdictions.length > 200) {
    throw new ElicenceError('ERR_VALIDATION', 'scope.jurisdictions must list 1 to 200 GB/T 2260 prefixes', { field: 'scope.jurisdictions' });
  }
  jurisdictions.forEach((j, i) => {
    if (!isJurisdictionPrefix(j)) {
      throw new ElicenceError('ERR_VALIDATION', `"${String(j)}" is not a GB/T 2260 prefix (2, 4 or 6 digits of a real province, e.g. 32)`, { field: `scope.jurisdictions[${i}]` });
    }
  });
  return {
    issuerPrefixes: [...new Set(prefixes)],
    jurisdictions: [...new Set(jurisdictions)],
    ...(scope.licenceTypes === undefined ? {} : { licenceTypes: checkTypes(scope.licenceTypes, 'scope.licenceTypes') }),
  };
}

/**
 * ERR_CONFLICT unless `prefixes` are free: not overlapping another peer's namespace, this deployment's
 * own DIDs (`did:web:<its host>:`), nor any authority in this anchor's register.
 */
async function checkNamespaceFree(deps: ServiceDeps, id: string, prefixes: readonly string[]): Promise<void> {
  const own = `${didWebFor(deps.config.publicUrl, [])}:`;
  const registered = await listRegistry(deps.store.db);
  const peers = (await listPeers(deps.store.db)).filter((p) => p.id !== id);
  for (const [i, prefix] of prefixes.entries()) {
    const field = `scope.issuerPrefixes[${i}]`;
    if (prefixesOverlap(prefix, own)) throw new ElicenceError('ERR_CONFLICT', `${prefix} overlaps this anchor's own namespace ${own}`, { field });
    const listed = registered.find((a) => inNamespaceOf(a.id, prefix));
    if (listed) throw new ElicenceError('ERR_CONFLICT', `${prefix} covers ${listed.id}, which this anchor lists itself`, { field });
    for (const peer of peers) {
      const clash = peer.scope.issuerPrefixes.find((q) => prefixesOverlap(prefix, q));
      if (clash !== undefined) throw new ElicenceError('ERR_CONFLICT', `${prefix} overlaps ${clash}, the namespace of ${peer.id}`, { field });
    }
  }
}

/** The peer's public keys from `source`; a document that names another anchor id is refused. */
async function importPeerKeys(id: string, source: PeerKeySource, validFrom: number, options: PeerRegisterOptions): Promise<{ keys: PeerKey[]; keysSource: string | null }> {
  const field = 'jwksUrl' in source ? 'jwksUrl' : 'keys';
  const document = 'jwksUrl' in source ? await fetchJwks(source.jwksUrl, options.fetch) : Array.isArray(source.keys) ? { keys: source.keys } : source.keys;
  const anchorId = typeof document === 'object' && document !== null ? (document as { anchorId?: unknown }).anchorId : undefined;
  if (anchorId !== undefined && anchorId !== id) throw jwksError(`these keys are published for the anchor ${String(anchorId)}, not ${id}`, field);
  const jwks = await publicKeysFromJwks(document, field);
  if (jwks.length > MAX_KEYS) throw jwksError(`at most ${MAX_KEYS} keys`, field);
  return { keys: jwks.map((jwk) => ({ jwk, validFrom })), keysSource: 'jwksUrl' in source ? source.jwksUrl : null };
}

async function savePeer(deps: ServiceDeps, statements: Statement[], audit: AuditEntryInput, at = deps.clock.now()): Promise<void> {
  const trail = auditStatements(deps.store.db, await readAuditHead(deps.store.db), [audit], at);
  await deps.store.commit([...statements, ...trail.statements]);
}

const NO_SYNC: PeerAnchor['sync'] = { etag: null, bundleGeneratedAt: null, lastAttemptAt: null, lastSuccessAt: null, lastError: null };

/** Registers a peer anchor (effective in the next published trust list). */
export async function registerPeer(deps: ServiceDeps, input: NewPeerAnchor, actor: Actor, options: PeerRegisterOptions = {}): Promise<PeerAnchor> {
  const anchor = await requireAnchor(deps);
  if (typeof input.id !== 'string' || input.id.length > 512 || !DID_WEB.test(input.id)) {
    throw new ElicenceError('ERR_VALIDATION', "id must be the peer anchor's did:web, e.g. did:web:elicence.js.example:anchors:jiangsu", { field: 'id' });
  }
  if (input.id === anchor.id) throw new ElicenceError('ERR_VALIDATION', 'an anchor cannot federate itself', { field: 'id' });
  const name = checkName(input.name, 'name');
  const bundleUrl = checkFetchUrl(input.bundleUrl, 'bundleUrl').href;
  const scope = checkScope(input.scope);
  const now = deps.clock.now();
  // Network and crypto work happen before the exclusive section.
  const { keys, keysSource } = await importPeerKeys(input.id, input.keys, input.validFrom ?? Math.floor((now - PEER_KEY_BACKDATE_MS) / 1000) * 1000, {
    fetch: options.fetch ?? deps.fetch ?? fetch,
  });
  return deps.store.exclusive(async () => {
    if (await findPeer(deps.store.db, input.id)) throw new ElicenceError('ERR_CONFLICT', `${input.id} is already registered`, { field: 'id' });
    await checkNamespaceFree(deps, input.id, scope.issuerPrefixes);
    const at = deps.clock.now();
    const peer: PeerAnchor = { id: input.id, role: 'federated', name, keys, keysSource, bundleUrl, scope, createdAt: at, updatedAt: at, sync: NO_SYNC };
    await savePeer(deps, [deps.store.db.insert(peerAnchors).values(toRow(peer))], {
      action: 'trust.anchor.added',
      ...actorFields(actor),
      subjectId: peer.id,
      content: { name, bundleUrl, scope, keysSource, kids: keys.map((k) => k.jwk.kid) },
    });
    return peer;
  });
}

export interface PeerUpdate {
  name?: { zh: string; en: string };
  keys?: PeerKeySource;
  bundleUrl?: string;
  scope?: PeerScopeInput;
  validFrom?: number;
}

/**
 * Changes a peer's names, keys, bundle URL or scope (effective in the next published list). Its next
 * fetch is a full one, so every piece is checked again under the new entry.
 */
export async function updatePeer(deps: ServiceDeps, id: string, update: PeerUpdate, actor: Actor, options: PeerRegisterOptions = {}): Promise<PeerAnchor> {
  await requireAnchor(deps);
  await requirePeer(deps.store.db, id);
  const name = update.name && checkName(update.name, 'name');
  const bundleUrl = update.bundleUrl === undefined ? undefined : checkFetchUrl(update.bundleUrl, 'bundleUrl').href;
  const scope = update.scope && checkScope(update.scope);
  const now = deps.clock.now();
  const imported =
    update.keys &&
    (await importPeerKeys(id, update.keys, update.validFrom ?? Math.floor((now - PEER_KEY_BACKDATE_MS) / 1000) * 1000, { fetch: options.fetch ?? deps.fetch ?? fetch }));
  return deps.store.exclusive(async () => {
    const current = await requirePeer(deps.store.db, id);
    if (scope) await checkNamespaceFree(deps, id, scope.issuerPrefixes);
    // A key already registered keeps its window; a key left out of the new set is no longer trusted.
    const keys = imported?.keys.map((k) => current.keys.find((c) => c.jwk.kid === k.jwk.kid) ?? k);
    const at = deps.clock.now();
    const next: PeerAnchor = {
      ...current,
      ...(name ? { name } : {}),
      ...(bundleUrl ? { bundleUrl } : {}),
      ...(scope ? { scope } : {}),
      ...(keys ? { keys, keysSource: imported!.keysSource } : {}),
      updatedAt: at,
      sync: { ...current.sync, etag: null, bundleGeneratedAt: null },
    };
    await savePeer(deps, [deps.store.db.update(peerAnchors).set(toRow(next)).where(eq(peerAnchors.id, id))], {
      action: 'trust.anchor.updated',
      ...actorFields(actor),
      subjectId: id,
      content: { ...(name ? { name } : {}), ...(bundleUrl ? { bundleUrl } : {}), ...(scope ? { scope } : {}), ...(keys ? { kids: keys.map((k) => k.jwk.kid) } : {}) },
    });
    return next;
  });
}

/** Removes a peer: it leaves the next trust list, and its stored pieces are no longer served. */
export async function removePeer(deps: ServiceDeps, id: string, actor: Actor): Promise<void> {
  await requireAnchor(deps);
  await deps.store.exclusive(async () => {
    await requirePeer(deps.store.db, id);
    const db = deps.store.db;
    await savePeer(
      deps,
      [db.delete(peerPieces).where(eq(peerPieces.peerId, id)), db.delete(peerStatus).where(eq(peerStatus.peerId, id)), db.delete(peerAnchors).where(eq(peerAnchors.id, id))],
      {
        action: 'trust.anchor.removed',
        ...actorFields(actor),
        subjectId: id,
        content: {},
      },
    );
  });
}
