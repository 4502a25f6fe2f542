/**
 * Changes to the trust register, each saved with its audit entry and effective in the next published
 * list: adding an authority (keys from a JWKS, a URL or a file, or, when hosted here, its own signing
 * keys), changing its names or licence types, suspending, reinstating or withdrawing it, withdrawing one
 * key, and re-reading a remote authority's keys after it rotated. Only a trust anchor makes them.
 */
import { creditCodeProblem } from '../../core/credit-code.js';
import { ElicenceError } from '../../core/errors.js';
import { type AuthorityStatus, type BilingualName, isJurisdictionCode } from '../../core/trust-list.js';
import { type Actor, actorFields } from '../audit.js';
import type { ServiceDeps } from '../ports.js';
import { requireAnchor } from './anchor.js';
import { hostedAuthority, hostedKeys, withHostedKeys } from './hosted-keys.js';
import { fetchJwks, jwksError, MAX_KEYS, publicKeysFromJwks } from './jwks.js';
import { peerOwning } from './peers.js';
import { findRegistered, type RegisteredAuthority, type RegisteredKey, requireRegistered, saveEntry } from './register.js';
import { checkName, checkTypes, DID_WEB } from './register-checks.js';

const SECOND = 1000;

export type KeySource = { jwks: unknown; source?: string } | { jwksUrl: string } | { hosted: true };

export interface NewTrustedAuthority {
  /** The authority's did:web (its licences' issuer.id). */
  id: string;
  name: BilingualName;
  jurisdiction: string;
  licenceTypes: string[];
  /** Its unified social credit code (GB 32100), listed in trust lists; a hosted authority's own by default. */
  creditCode?: string;
  /** Where the keys come from. `hosted` (or omitted) only for an authority hosted by this deployment. */
  keys?: KeySource;
  /** Start of the imported keys' validity window (epoch ms; default: now). Hosted keys keep their own. */
  validFrom?: number;
}

export interface RegisterOptions {
  fetch?: typeof fetch;
}

function checkCreditCode(value: unknown, field: string): string {
  if (typeof value !== 'string' || creditCodeProblem(value) !== undefined) {
    throw new ElicenceError('ERR_CREDIT_CODE', 'creditCode must be a unified social credit code (18 characters, GB 32100 check character)', { field });
  }
  return value;
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
  const document = 'jwksUrl' in source ? await fetchJwks(source.jwksUrl, options.fetch ?? deps.fetch) : source.jwks;
  const jwks = await publicKeysFromJwks(document, 'jwksUrl' in source ? 'jwksUrl' : 'jwks');
  const validFrom = input.validFrom ?? Math.floor(now / SECOND) * SECOND;
  return {
    keys: jwks.map((jwk) => ({ jwk, validFrom, status: 'active' })),
    source: hosted ? `hosted:${hosted.id}` : 'jwksUrl' in source ? source.jwksUrl : (source.source ?? 'inline'),
  };
}

/** Adds an issuing authority to the register (effective in the next published list). */
export async function registerAuthority(deps: ServiceDeps, input: NewTrustedAuthority, actor: Actor, options: RegisterOptions = {}): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  if (typeof input.id !== 'string' || input.id.length > 512 || !DID_WEB.test(input.id)) {
    throw new ElicenceError('ERR_VALIDATION', "id must be the authority's did:web, e.g. did:web:elicence.example:authorities:ningbo", { field: 'id' });
  }
  if (!isJurisdictionCode(input.jurisdiction)) {
    throw new ElicenceError('ERR_VALIDATION', `"${String(input.jurisdiction)}" is not a GB/T 2260 administrative division code (six digits, e.g. 330200)`, {
      field: 'jurisdiction',
    });
  }
  const name = checkName(input.name, 'name');
  const types = checkTypes(input.licenceTypes);
  const givenCode = input.creditCode === undefined ? undefined : checkCreditCode(input.creditCode, 'creditCode');
  // No DID has two owners: an id inside a federated anchor's namespace is that anchor's to list.
  const owner = await peerOwning(deps.store.db, input.id);
  if (owner) throw new ElicenceError('ERR_CONFLICT', `${input.id} lies in the namespace ${owner.prefix} granted to the federated anchor ${owner.peer}`, { field: 'id' });
  // Network and crypto work happen before the exclusive section.
  const { keys, source } = await importKeys(deps, input, options);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    if (await findRegistered(store.db, input.id)) throw new ElicenceError('ERR_CONFLICT', `${input.id} is already in the trust register`, { field: 'id' });
    const creditCode = givenCode ?? (source.startsWith('hosted:') ? ((await hostedAuthority(store.db, input.id))?.creditCode ?? undefined) : undefined);
    const entry: RegisteredAuthority = {
      id: input.id,
      name,
      jurisdiction: input.jurisdiction,
      ...(creditCode === undefined ? {} : { creditCode }),
      status: 'active',
      licenceTypes: types,
      keys,
      source,
      updatedAt: clock.now(),
    };
    await saveEntry(deps, entry, true, {
      action: 'trust.authority.added',
      ...actorFields(actor),
      subjectId: entry.id,
      content: { name, jurisdiction: entry.jurisdiction, ...(creditCode === undefined ? {} : { creditCode }), licenceTypes: types, source, kids: keys.map((k) => k.jwk.kid) },
    });
    return entry;
  });
}

export interface AuthorityUpdate {
  name?: BilingualName;
  licenceTypes?: string[];
  creditCode?: string;
}

/** Changes an authority's names or allowed licence types. */
export async function updateAuthority(deps: ServiceDeps, id: string, update: AuthorityUpdate, actor: Actor): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const name = update.name && checkName(update.name, 'name');
  const types = update.licenceTypes && checkTypes(update.licenceTypes);
  const creditCode = update.creditCode === undefined ? undefined : checkCreditCode(update.creditCode, 'creditCode');
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await requireRegistered(store.db, id);
    if (entry.status === 'withdrawn') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `${id} is withdrawn`, { field: 'id' });
    const changes = { ...(name ? { name } : {}), ...(types ? { licenceTypes: types } : {}), ...(creditCode ? { creditCode } : {}) };
    const next: RegisteredAuthority = { ...entry, ...changes, updatedAt: clock.now() };
    await saveEntry(deps, next, false, { action: 'trust.authority.updated', ...actorFields(actor), subjectId: id, content: changes });
    return next;
  });
}

const TRANSITIONS: Record<AuthorityStatus, readonly AuthorityStatus[]> = {
  active: ['suspended', 'withdrawn'],
  suspended: ['active', 'withdrawn'],
  withdrawn: [],
};

/** Suspends, reinstates or withdraws (final) an authority; effective in the next published list. */
export async function setAuthorityStatus(deps: ServiceDeps, id: string, status: AuthorityStatus, actor: Actor, reason?: string): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await requireRegistered(store.db, id);
    if (!TRANSITIONS[entry.status].includes(status)) {
      throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `${id} is ${entry.status} and cannot become ${status}`, { field: 'status' });
    }
    const next: RegisteredAuthority = { ...entry, status, updatedAt: clock.now() };
    await saveEntry(deps, next, false, {
      action: `trust.authority.${status}`,
      ...actorFields(actor),
      subjectId: id,
      content: { from: entry.status, to: status, ...(reason ? { reason } : {}) },
    });
    return next;
  });
}

/**
 * Withdraws one key of an authority: it leaves the next list entirely, so everything it signed stops
 * verifying (use this for a compromised key; a routine rotation only closes the old key's window).
 */
export async function withdrawKey(deps: ServiceDeps, id: string, kid: string, actor: Actor, reason?: string): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const entry = await withHostedKeys(store.db, await requireRegistered(store.db, id));
    const key = entry.keys.find((k) => k.jwk.kid === kid);
    if (!key) throw new ElicenceError('ERR_NOT_FOUND', `${id} has no key ${kid}`, { field: 'kid' });
    if (key.status === 'withdrawn') throw new ElicenceError('ERR_ILLEGAL_TRANSITION', `key ${kid} is already withdrawn`, { field: 'kid' });
    const now = clock.now();
    const next: RegisteredAuthority = { ...entry, keys: entry.keys.map((k) => (k.jwk.kid === kid ? { ...k, status: 'withdrawn', withdrawnAt: now } : k)), updatedAt: now };
    await saveEntry(deps, next, false, { action: 'trust.key.withdrawn', ...actorFields(actor), subjectId: id, content: { kid, ...(reason ? { reason } : {}) } });
    return next;
  });
}

/**
 * Re-reads a remote authority's JWKS after it rotated: new keys are added (valid from now, or
 * `validFrom`), keys missing from the new set have their window closed now (what they signed before
 * still verifies). Withdrawn keys stay withdrawn. Hosted authorities need nothing: they follow on publish.
 */
export async function refreshAuthorityKeys(
  deps: ServiceDeps,
  id: string,
  source: KeySource,
  actor: Actor,
  options: RegisterOptions & { validFrom?: number } = {},
): Promise<RegisteredAuthority> {
  await requireAnchor(deps);
  const current = await requireRegistered(deps.store.db, id);
  const imported = await importKeys(
    deps,
    {
      id,
      name: current.name,
      jurisdiction: current.jurisdiction,
      licenceTypes: current.licenceTypes,
      keys: source,
      ...(options.validFrom === undefined ? {} : { validFrom: options.validFrom }),
    },
    options,
  );
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
    await saveEntry(deps, next, false, {
      action: 'trust.authority.keysRefreshed',
      ...actorFields(actor),
      subjectId: id,
      content: { added: added.map((k) => k.jwk.kid), source: imported.source },
    });
    return next;
  });
}
