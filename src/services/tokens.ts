/**
 * Agency API tokens: 32 random bytes shown once, stored only as their SHA-256. A token is scoped to
 * one authority, a set of actions and optionally a set of licence types.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { base64url, utf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { apiTokens, licenceTypes } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import { type Actor, type AuditEntryInput, actorFields, auditStatements, readAuditHead } from './audit.js';
import { cached, invalidate } from './hot-cache.js';
import type { ServiceDeps } from './ports.js';
import { prepared } from './prepared.js';

const TOKEN_CACHE_PREFIX = 'token:';

/**
 * `admin` manages its own authority (types, keys, tokens); `anchor` manages the trust register of a
 * deployment that is a trust anchor: a separate scope, so a city's admin cannot withdraw another city.
 */
export const ACTIONS = ['issue', 'status', 'read', 'admin', 'anchor'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Principal {
  tokenId: string;
  authorityId: string;
  actions: ReadonlySet<Action>;
  /** undefined = every licence type. */
  licenceTypes: ReadonlySet<string> | undefined;
  /** A person signed in to the console (src/services/accounts.ts): audit entries name this account. */
  staffId?: string | undefined;
}

const TOKEN_PREFIX = 'elk_';

export const hashToken = (token: string): string => bytesToHex(sha256(utf8(token)));

export interface CreatedToken {
  id: string;
  token: string;
  authorityId: string;
  name: string;
  actions: Action[];
  licenceTypes: string[] | null;
}

export async function createToken(
  deps: ServiceDeps,
  input: { authorityId: string; name: string; actions: Action[]; licenceTypes?: string[] | null; token?: string },
  actor: Actor,
): Promise<CreatedToken> {
  const token = input.token ?? TOKEN_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
  const id = base64url(crypto.getRandomValues(new Uint8Array(9)));
  const licenceTypes = input.licenceTypes ?? null;
  const { store, clock } = deps;
  await store.exclusive(async () => {
    const now = clock.now();
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [{ action: 'token.created', ...actorFields(actor), authorityId: input.authorityId, subjectId: id, content: { name: input.name, actions: input.actions, licenceTypes } }],
      now,
    );
    await store.commit([
      store.db.insert(apiTokens).values({
        id,
        tokenHash: hashToken(token),
        authorityId: input.authorityId,
        name: input.name,
        actions: JSON.stringify(input.actions),
        licenceTypes: licenceTypes && JSON.stringify(licenceTypes),
        createdAt: now,
        createdByStaffId: typeof actor === 'object' ? (actor.staffId ?? null) : null,
      }),
      ...audit.statements,
    ]);
  });
  return { id, token, authorityId: input.authorityId, name: input.name, actions: input.actions, licenceTypes };
}

/**
 * A token `granter` makes for its own authority: it hands on only what it holds (no action it lacks, no
 * licence type beyond its own; a granter limited to some types must name them) and only known types.
 * What POST /v1/tokens and the console's token page both call.
 */
export async function grantToken(
  deps: ServiceDeps,
  granter: Principal,
  input: { name: string; actions: readonly Action[]; licenceTypes?: readonly string[] | null | undefined },
): Promise<CreatedToken> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw new ElicenceError('ERR_VALIDATION', 'name must be 1-100 characters', { field: 'name' });
  if (input.actions.length === 0) throw new ElicenceError('ERR_VALIDATION', 'give the token at least one scope', { field: 'actions' });
  for (const [i, action] of input.actions.entries()) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new ElicenceError('ERR_VALIDATION', `unknown scope "${action}"`, { field: `actions[${i}]` });
    if (!granter.actions.has(action)) throw new ElicenceError('ERR_FORBIDDEN', `this token cannot grant "${action}"`, { field: `actions[${i}]` });
  }
  const types = input.licenceTypes && input.licenceTypes.length > 0 ? [...new Set(input.licenceTypes)] : null;
  if (granter.licenceTypes) {
    if (!types) throw new ElicenceError('ERR_FORBIDDEN', 'this token is limited to some licence types: name them', { field: 'licenceTypes' });
    for (const [i, code] of types.entries()) {
      if (!granter.licenceTypes.has(code)) throw new ElicenceError('ERR_FORBIDDEN', `this token cannot grant licence type ${code}`, { field: `licenceTypes[${i}]` });
    }
  }
  const known = types
    ? new Set((await deps.store.db.select({ code: licenceTypes.code }).from(licenceTypes).where(inArray(licenceTypes.code, types))).map((t) => t.code))
    : undefined;
  for (const [i, code] of (types ?? []).entries()) {
    if (!known?.has(code)) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${code}"`, { field: `licenceTypes[${i}]` });
  }
  return createToken(deps, { authorityId: granter.authorityId, name, actions: [...new Set(input.actions)], licenceTypes: types }, granter);
}

/** A token as listed (never its secret). */
export interface ListedToken {
  id: string;
  name: string;
  authorityId: string;
  actions: Action[];
  licenceTypes: string[] | null;
  createdAt: number;
  revokedAt: number | null;
}

/** The tokens of one authority, newest first. */
export async function listTokens(db: Db, authorityId: string): Promise<ListedToken[]> {
  const rows = await db.select().from(apiTokens).where(eq(apiTokens.authorityId, authorityId)).orderBy(desc(apiTokens.createdAt));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    authorityId: r.authorityId,
    actions: JSON.parse(r.actions) as Action[],
    licenceTypes: r.licenceTypes === null ? null : (JSON.parse(r.licenceTypes) as string[]),
    createdAt: r.createdAt,
    revokedAt: r.revokedAt,
  }));
}

/**
 * Revokes a token of `authorityId`. With `revoker` (the token asking), only a token whose actions and
 * licence types the revoker holds itself (ERR_FORBIDDEN otherwise: a token limited to food licences
 * cannot revoke an all-scope one). The last unrevoked token holding `anchor` cannot be revoked
 * (ERR_CONFLICT): nobody could manage the trust register any more.
 */
/**
 * The tokens a staff account made, revoked when it stops being an admin (disabled, locked by an admin,
 * or given another role): otherwise an admin who leaves keeps API access through a token it made on its
 * way out. Statements and audit entries for the caller's commit; invalidate TOKEN_CACHE_PREFIX after it.
 */
export async function revokeTokensMadeBy(
  db: Db,
  account: { id: string; authorityId: string },
  actor: Actor,
  reason: string,
  now: number,
): Promise<{ statements: Statement[]; audit: AuditEntryInput[] }> {
  const made = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.authorityId, account.authorityId), eq(apiTokens.createdByStaffId, account.id), isNull(apiTokens.revokedAt)));
  if (made.length === 0) return { statements: [], audit: [] };
  const ids = made.map((t) => t.id);
  return {
    statements: [
      db
        .update(apiTokens)
        .set({ revokedAt: now })
        .where(and(inArray(apiTokens.id, ids), isNull(apiTokens.revokedAt))),
    ],
    audit: ids.map((id) => ({ action: 'token.revoked', ...actorFields(actor), authorityId: account.authorityId, subjectId: id, content: { reason, madeBy: account.id } })),
  };
}

/** Token lookups are cached briefly: after revoking in a commit of one's own, forget them. */
export const forgetCachedTokens = (db: Db): void => invalidate(db, TOKEN_CACHE_PREFIX);

export async function revokeToken(deps: ServiceDeps, authorityId: string, id: string, actor: Actor, revoker?: Pick<Principal, 'actions' | 'licenceTypes'>): Promise<void> {
  const { store, clock } = deps;
  await store.exclusive(async () => {
    const [row] = await store.db
      .select()
      .from(apiTokens)
      .where(and(eq(apiTokens.id, id), eq(apiTokens.authorityId, authorityId)));
    if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no token ${id}`, { field: 'id' });
    if (row.revokedAt !== null) throw new ElicenceError('ERR_ILLEGAL_TRANSITION', 'token already revoked', { field: 'id' });
    const actions = JSON.parse(row.actions) as Action[];
    const types = row.licenceTypes === null ? null : (JSON.parse(row.licenceTypes) as string[]);
    if (revoker) {
      const missing = actions.find((a) => !revoker.actions.has(a));
      if (missing) throw new ElicenceError('ERR_FORBIDDEN', `this token cannot revoke a token holding "${missing}", which it does not hold itself`, { field: 'id' });
      if (revoker.licenceTypes && (types === null || types.some((t) => !revoker.licenceTypes!.has(t)))) {
        throw new ElicenceError('ERR_FORBIDDEN', 'this token cannot revoke a token holding licence types it does not hold itself', { field: 'id' });
      }
    }
    if (actions.includes('anchor')) {
      const others = (await store.db.select({ id: apiTokens.id, actions: apiTokens.actions }).from(apiTokens).where(isNull(apiTokens.revokedAt))).filter(
        (t) => t.id !== id && (JSON.parse(t.actions) as Action[]).includes('anchor'),
      );
      if (others.length === 0) throw new ElicenceError('ERR_CONFLICT', 'this is the last token holding "anchor": create another before revoking it', { field: 'id' });
    }
    const now = clock.now();
    const audit = auditStatements(store.db, await readAuditHead(store.db), [{ action: 'token.revoked', ...actorFields(actor), authorityId, subjectId: id, content: {} }], now);
    await store.commit([store.db.update(apiTokens).set({ revokedAt: now }).where(eq(apiTokens.id, id)), ...audit.statements]);
    invalidate(store.db, TOKEN_CACHE_PREFIX);
  });
}

/**
 * The principal behind a bearer token, or undefined for an unknown or revoked token. Known tokens are
 * cached like other hot rows: a revocation here takes effect at once, in other isolates within 5 s.
 */
export async function authenticate(db: Db, token: string): Promise<Principal | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) && token.length < 16) return undefined;
  const hash = hashToken(token);
  return cached(db, `${TOKEN_CACHE_PREFIX}${hash}`, async () => {
    const [row] = await prepared(db).tokenByHash.all({ hash });
    if (!row) return undefined;
    return {
      tokenId: row.id,
      authorityId: row.authorityId,
      actions: new Set(JSON.parse(row.actions) as Action[]),
      licenceTypes: row.licenceTypes === null ? undefined : new Set(JSON.parse(row.licenceTypes) as string[]),
    };
  });
}

export function requireAction(principal: Principal, action: Action): void {
  if (!principal.actions.has(action)) {
    throw new ElicenceError('ERR_FORBIDDEN', `this token does not have the "${action}" scope`);
  }
}

export function requireLicenceType(principal: Principal, type: string, field = 'type'): void {
  if (principal.licenceTypes && !principal.licenceTypes.has(type)) {
    throw new ElicenceError('ERR_FORBIDDEN', `this token may not act on licence type ${type}`, { field });
  }
}
