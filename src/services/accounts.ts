/**
 * Staff accounts of the agency console: who may sign in, with which role, for which authority and
 * licence types; sign-in with back-off and lock; password changes; the optional TOTP second factor.
 * A signed-in person acts through the same services as an API token, as a `Principal` whose actions
 * come from the role (ROLE_ACTIONS) and whose audit entries carry the account (`staffId`).
 *
 * | action                                      | clerk | supervisor | admin | anchor |
 * | issue, amend, find, read, print             | yes   | yes        | yes   | -      |
 * | suspend, reinstate, revoke                  | -     | yes        | yes   | -      |
 * | accounts, licence types, keys, tokens, audit| -     | -          | yes   | -      |
 * | trust register, federated provinces         | -     | -          | -     | yes    |
 */
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { base64url } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { licenceTypes, staffAccounts } from '../db/schema.js';
import type { Statement } from '../db/store.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from './audit.js';
import { requireAuthority } from './authorities.js';
import { hashPassword, NODE_PASSWORD_HASHING, needsRehash, type PasswordHashing, passwordProblem, verifyPassword } from './passwords.js';
import type { ServiceDeps } from './ports.js';
import { revokeSessionsOf } from './sessions.js';
import { type Action, forgetCachedTokens, type Principal, revokeTokensMadeBy } from './tokens.js';
import { matchTotp } from './totp.js';

export const ROLES = ['clerk', 'supervisor', 'admin', 'anchor'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, in the API's scopes: the services check these as they check a token's. */
export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  clerk: ['issue', 'read'],
  supervisor: ['issue', 'read', 'status'],
  admin: ['issue', 'read', 'status', 'admin'],
  anchor: ['anchor'],
};

export type StaffAccount = typeof staffAccounts.$inferSelect;

/** Failed sign-ins before each further attempt must wait (1 s, 2 s, 4 s, ... up to 5 minutes). */
export const BACKOFF_AFTER = 3;
/** Failed sign-ins in a row that lock the account until an admin unlocks it. */
export const LOCK_AFTER = 10;
const MAX_BACKOFF_MS = 5 * 60_000;

const LOGIN = /^[a-z0-9][a-z0-9._-]{2,63}$/;
const SESSION_ACTOR_PREFIX = 'session:';

export const hashingOf = (deps: ServiceDeps): PasswordHashing => deps.config.passwordHashing ?? NODE_PASSWORD_HASHING;

/** The principal a signed-in account acts as; `sessionId` (the row id) names the sign-in in `actor`. */
export function principalOf(account: StaffAccount, sessionId: string): Principal {
  return {
    tokenId: `${SESSION_ACTOR_PREFIX}${sessionId.slice(0, 16)}`,
    authorityId: account.authorityId,
    actions: new Set(ROLE_ACTIONS[account.role]),
    licenceTypes: account.licenceTypes === null ? undefined : new Set(JSON.parse(account.licenceTypes) as string[]),
    staffId: account.id,
  };
}

export const canDo = (account: Pick<StaffAccount, 'role'>, action: Action): boolean => ROLE_ACTIONS[account.role].includes(action);

export async function findAccount(deps: ServiceDeps, id: string): Promise<StaffAccount | undefined> {
  const [row] = await deps.store.db.select().from(staffAccounts).where(eq(staffAccounts.id, id));
  return row;
}

/** An account of the principal's authority, or ERR_NOT_FOUND (another authority's accounts are invisible). */
export async function requireAccount(deps: ServiceDeps, authorityId: string, id: string): Promise<StaffAccount> {
  const row = await findAccount(deps, id);
  if (!row || row.authorityId !== authorityId) throw new ElicenceError('ERR_NOT_FOUND', `no account ${id}`, { field: 'id' });
  return row;
}

export async function listAccounts(deps: ServiceDeps, authorityId: string): Promise<StaffAccount[]> {
  return deps.store.db.select().from(staffAccounts).where(eq(staffAccounts.authorityId, authorityId)).orderBy(asc(staffAccounts.createdAt), asc(staffAccounts.login));
}

export async function countAccounts(deps: ServiceDeps): Promise<number> {
  const [row] = await deps.store.db.select({ n: sql<number>`count(*)` }).from(staffAccounts);
  return row?.n ?? 0;
}

function requireAdmin(actor: Principal): void {
  if (!actor.actions.has('admin')) throw new ElicenceError('ERR_FORBIDDEN', 'only an admin manages staff accounts');
}

/** A temporary password: 16 characters of base64url (96 bits), to be changed at first sign-in. */
export const temporaryPassword = (): string => base64url(crypto.getRandomValues(new Uint8Array(12)));

export interface NewAccount {
  authorityId: string;
  login: string;
  name: string;
  role: Role;
  /** null or undefined = every licence type. */
  licenceTypes?: string[] | null | undefined;
  /** The first password; a temporary one is generated when absent. Changed at first sign-in either way. */
  password?: string | undefined;
}

async function commitWithAudit(deps: ServiceDeps, statements: Statement[], entries: AuditEntryInput[]): Promise<void> {
  const { store, clock } = deps;
  const audit = auditStatements(store.db, await readAuditHead(store.db), entries, clock.now());
  await store.commit([...statements, ...audit.statements]);
}

const auditBy = (actor: Principal | 'system', account: Pick<StaffAccount, 'id' | 'authorityId'>, action: string, content: Record<string, unknown>): AuditEntryInput => ({
  action,
  actor: actor === 'system' ? 'system' : actor.tokenId,
  staffId: actor === 'system' ? null : actor.staffId,
  authorityId: account.authorityId,
  subjectId: account.id,
  content,
});

/**
 * Creates an account in the actor's authority. An admin grants clerk, supervisor or admin; the anchor
 * operator role is not an admin's to give (a city's admin must not gain a province's trust register), so
 * it is created by the deployment (`system`, e.g. the command line) only.
 */
export async function createAccount(deps: ServiceDeps, input: NewAccount, actor: Principal | 'system'): Promise<{ account: StaffAccount; password: string }> {
  if (actor !== 'system') {
    requireAdmin(actor);
    if (input.authorityId !== actor.authorityId) throw new ElicenceError('ERR_FORBIDDEN', 'an admin creates accounts of its own authority only', { field: 'authorityId' });
    if (input.role === 'anchor') throw new ElicenceError('ERR_FORBIDDEN', 'anchor operator accounts are created by the deployment, not by an admin', { field: 'role' });
  }
  const login = input.login.trim().toLowerCase();
  if (!LOGIN.test(login)) throw new ElicenceError('ERR_VALIDATION', 'login must be 3-64 lowercase letters, digits, ".", "_" or "-"', { field: 'login' });
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw new ElicenceError('ERR_VALIDATION', 'name must be 1-100 characters', { field: 'name' });
  if (!ROLES.includes(input.role)) throw new ElicenceError('ERR_VALIDATION', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
  await requireAuthority(deps.store.db, input.authorityId);
  const types = input.licenceTypes ?? null;
  if (types) {
    const known = new Set((await deps.store.db.select({ code: licenceTypes.code }).from(licenceTypes)).map((t) => t.code));
    const unknown = types.find((t) => !known.has(t));
    if (unknown !== undefined) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${unknown}"`, { field: 'licenceTypes' });
    if (actor !== 'system' && actor.licenceTypes && types.some((t) => !actor.licenceTypes!.has(t))) {
      throw new ElicenceError('ERR_FORBIDDEN', 'an admin grants only the licence types it has itself', { field: 'licenceTypes' });
    }
  } else if (actor !== 'system' && actor.licenceTypes) {
    throw new ElicenceError('ERR_FORBIDDEN', 'an admin limited to some licence types cannot grant every type', { field: 'licenceTypes' });
  }
  const password = input.password ?? temporaryPassword();
  const passwordHash = await hashPassword(password, hashingOf(deps));
  const now = deps.clock.now();
  const account: StaffAccount = {
    id: base64url(crypto.getRandomValues(new Uint8Array(9))),
    login,
    name,
    role: input.role,
    authorityId: input.authorityId,
    licenceTypes: types && JSON.stringify(types),
    passwordHash,
    mustChangePassword: true,
    failedSignIns: 0,
    lastFailedAt: null,
    lockedAt: null,
    totpSecret: null,
    totpLastStep: null,
    disabledAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.exclusive(async () => {
    const [taken] = await deps.store.db.select({ id: staffAccounts.id }).from(staffAccounts).where(eq(staffAccounts.login, login));
    if (taken) throw new ElicenceError('ERR_CONFLICT', `login "${login}" is taken`, { field: 'login' });
    await commitWithAudit(
      deps,
      [deps.store.db.insert(staffAccounts).values(account)],
      [auditBy(actor, account, 'staff.created', { login, name, role: input.role, licenceTypes: types })],
    );
  });
  return { account, password };
}

export type SignInResult =
  | { ok: true; account: StaffAccount /** a TOTP code is still needed */; secondFactor: boolean }
  | { ok: false; reason: 'invalid' | 'locked' | 'backoff'; retryAfterMs?: number };

/** Milliseconds a further attempt must wait after `failures` failed ones (0 = none). */
export function backoffMs(failures: number): number {
  if (failures < BACKOFF_AFTER) return 0;
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - BACKOFF_AFTER));
}

/** Where a refused attempt stands: locked, or waiting out the back-off. */
function gate(account: StaffAccount, now: number): SignInResult | undefined {
  if (account.lockedAt !== null) return { ok: false, reason: 'locked' };
  const wait = account.lastFailedAt === null ? 0 : account.lastFailedAt + backoffMs(account.failedSignIns) - now;
  if (wait > 0) return { ok: false, reason: 'backoff', retryAfterMs: wait };
  return undefined;
}

/** Counts a failed attempt (password or second factor); locks the account at LOCK_AFTER. */
async function recordFailure(deps: ServiceDeps, account: StaffAccount): Promise<SignInResult> {
  const { store, clock } = deps;
  const now = clock.now();
  return store.exclusive(async () => {
    const [fresh] = await store.db.select().from(staffAccounts).where(eq(staffAccounts.id, account.id));
    const failures = (fresh?.failedSignIns ?? account.failedSignIns) + 1;
    const lock = failures >= LOCK_AFTER && fresh?.lockedAt === null;
    const update = store.db
      .update(staffAccounts)
      .set({ failedSignIns: failures, lastFailedAt: now, ...(lock ? { lockedAt: now } : {}) })
      .where(eq(staffAccounts.id, account.id));
    if (lock) await commitWithAudit(deps, [update], [auditBy('system', account, 'staff.locked', { failedSignIns: failures })]);
    else await store.commit([update]);
    return lock || fresh?.lockedAt != null ? { ok: false, reason: 'locked' } : { ok: false, reason: 'invalid' };
  });
}

/**
 * Checks a login and password. Unknown and disabled logins cost the same hashing as a real one and give
 * the same answer as a wrong password; a locked account is refused without looking at the password (so
 * it cannot serve as an oracle), and so is an attempt during the back-off. A hash below the current
 * policy is replaced on success.
 */
export async function signIn(deps: ServiceDeps, login: string, password: string): Promise<SignInResult> {
  const { store, clock } = deps;
  const [account] = await store.db.select().from(staffAccounts).where(eq(staffAccounts.login, login.trim().toLowerCase()));
  if (!account || account.disabledAt !== null) {
    await verifyPassword(password, await dummyHash(deps));
    return { ok: false, reason: 'invalid' };
  }
  const refused = gate(account, clock.now());
  if (refused) return refused;
  if (!(await verifyPassword(password, account.passwordHash))) return recordFailure(deps, account);
  const policy = hashingOf(deps);
  const rehash = needsRehash(account.passwordHash, policy) ? await hashPassword(password, policy) : undefined;
  const secondFactor = account.totpSecret !== null;
  const now = clock.now();
  const updated: StaffAccount = { ...account, failedSignIns: 0, lastFailedAt: null, ...(rehash ? { passwordHash: rehash, updatedAt: now } : {}) };
  await store.commit([
    store.db
      .update(staffAccounts)
      .set({ failedSignIns: 0, lastFailedAt: null, ...(rehash ? { passwordHash: rehash, updatedAt: now } : {}) })
      .where(and(eq(staffAccounts.id, account.id), isNull(staffAccounts.lockedAt))),
  ]);
  return { ok: true, account: updated, secondFactor };
}

const dummyHashes = new WeakMap<object, Promise<string>>();
/** A hash of the current policy to verify against when there is no account (same cost, no answer). */
function dummyHash(deps: ServiceDeps): Promise<string> {
  const key = deps.config;
  let hash = dummyHashes.get(key);
  if (!hash) {
    hash = hashPassword(temporaryPassword(), hashingOf(deps));
    dummyHashes.set(key, hash);
  }
  return hash;
}

/** The second step of a sign-in with TOTP: a code not used before, within a step of now. */
export async function verifySecondFactor(deps: ServiceDeps, accountId: string, code: string): Promise<SignInResult> {
  const { store, clock } = deps;
  const account = await findAccount(deps, accountId);
  if (!account || account.disabledAt !== null || account.totpSecret === null) return { ok: false, reason: 'invalid' };
  const now = clock.now();
  const refused = gate(account, now);
  if (refused) return refused;
  const step = matchTotp(account.totpSecret, code.trim(), now, account.totpLastStep);
  if (step === undefined) return recordFailure(deps, account);
  await store.commit([store.db.update(staffAccounts).set({ totpLastStep: step, failedSignIns: 0, lastFailedAt: null }).where(eq(staffAccounts.id, account.id))]);
  return { ok: true, account: { ...account, totpLastStep: step, failedSignIns: 0, lastFailedAt: null }, secondFactor: false };
}

/** Sets a new password (the current one must be given); other sessions of the account end. */
export async function changePassword(deps: ServiceDeps, actor: Principal, account: StaffAccount, current: string, next: string, keepSessionId: string): Promise<void> {
  if (!(await verifyPassword(current, account.passwordHash))) {
    throw new ElicenceError('ERR_VALIDATION', 'the current password is not right', { field: 'current' });
  }
  const problem = passwordProblem(next, account.login);
  if (problem) {
    const message =
      problem === 'short'
        ? 'the new password must have at least 10 characters'
        : problem === 'long'
          ? 'the new password is too long'
          : 'the new password must not contain the login';
    throw new ElicenceError('ERR_VALIDATION', message, { field: 'password' });
  }
  if (await verifyPassword(next, account.passwordHash)) throw new ElicenceError('ERR_VALIDATION', 'the new password must differ from the current one', { field: 'password' });
  const passwordHash = await hashPassword(next, hashingOf(deps));
  const now = deps.clock.now();
  await deps.store.exclusive(() =>
    commitWithAudit(
      deps,
      [
        deps.store.db.update(staffAccounts).set({ passwordHash, mustChangePassword: false, updatedAt: now }).where(eq(staffAccounts.id, account.id)),
        ...revokeSessionsOf(deps, account.id, now, keepSessionId),
      ],
      [auditBy(actor, account, 'staff.passwordChanged', {})],
    ),
  );
}

/** Admin actions on an account of the admin's authority. */
export type AccountAction = 'unlock' | 'lock' | 'resetPassword' | 'disable' | 'enable' | 'removeSecondFactor' | 'endSessions';
export const ACCOUNT_ACTIONS: readonly AccountAction[] = ['unlock', 'lock', 'resetPassword', 'disable', 'enable', 'removeSecondFactor', 'endSessions'];
/** What an admin may not do to its own account (it would lock itself out, or hand itself a password). */
const NOT_ON_ONESELF: ReadonlySet<AccountAction> = new Set(['lock', 'resetPassword', 'disable', 'endSessions']);
/** The roles an admin grants: never `anchor` (see createAccount). */
export const ADMIN_GRANTED_ROLES = ['clerk', 'supervisor', 'admin'] as const satisfies readonly Role[];

/**
 * An account an admin may manage: of its own authority (another's is ERR_NOT_FOUND, as if absent), not
 * an anchor operator's, and, for an admin limited to some licence types, limited to types it holds
 * itself. An anchor operator belongs to the deployment: an admin who could reset its password, change
 * its role or unlock it could sign in as the anchor and rewrite the trust register; likewise an admin
 * limited to food licences who could reset an all-types admin's password would sign in as that admin.
 */
async function manageableAccount(deps: ServiceDeps, actor: Principal, accountId: string): Promise<StaffAccount> {
  requireAdmin(actor);
  const account = await requireAccount(deps, actor.authorityId, accountId);
  if (account.role === 'anchor') throw new ElicenceError('ERR_FORBIDDEN', 'anchor operator accounts are managed by the deployment, not by an admin', { field: 'id' });
  if (actor.licenceTypes) {
    const types = account.licenceTypes === null ? null : (JSON.parse(account.licenceTypes) as string[]);
    if (types === null || types.some((t) => !actor.licenceTypes!.has(t))) {
      throw new ElicenceError('ERR_FORBIDDEN', 'an admin limited to some licence types manages only accounts limited to types it has itself', { field: 'id' });
    }
  }
  return account;
}

/** Gives an account of the admin's authority another role (clerk, supervisor, admin); it applies from its next request. */
export async function changeRole(deps: ServiceDeps, actor: Principal, accountId: string, role: string): Promise<StaffAccount> {
  const account = await manageableAccount(deps, actor, accountId);
  if (role === 'anchor') throw new ElicenceError('ERR_FORBIDDEN', 'anchor operator accounts are created by the deployment, not by an admin', { field: 'role' });
  if (!(ADMIN_GRANTED_ROLES as readonly string[]).includes(role))
    throw new ElicenceError('ERR_VALIDATION', `role must be one of ${ADMIN_GRANTED_ROLES.join(', ')}`, { field: 'role' });
  if (account.id === actor.staffId) throw new ElicenceError('ERR_FORBIDDEN', 'an admin cannot change its own role', { field: 'id' });
  if (account.role === role) return account;
  const now = deps.clock.now();
  const demoted = account.role === 'admin';
  await deps.store.exclusive(async () => {
    const tokens = demoted ? await revokeTokensMadeBy(deps.store.db, account, actor, 'staff.roleChanged', now) : { statements: [], audit: [] };
    await commitWithAudit(
      deps,
      [
        deps.store.db
          .update(staffAccounts)
          .set({ role: role as Role, updatedAt: now })
          .where(eq(staffAccounts.id, account.id)),
        ...tokens.statements,
      ],
      [auditBy(actor, account, 'staff.roleChanged', { from: account.role, to: role }), ...tokens.audit],
    );
  });
  if (demoted) forgetCachedTokens(deps.store.db);
  return { ...account, role: role as Role, updatedAt: now };
}

/** Actions after which the account acts no more, so neither do the API tokens it made (tokens.ts revokeTokensMadeBy). */
const ENDS_ADMIN: ReadonlySet<AccountAction> = new Set(['lock', 'disable']);

/** Applies an admin action; `resetPassword` returns the new temporary password (shown once). */
export async function adminAccountAction(deps: ServiceDeps, actor: Principal, accountId: string, action: AccountAction): Promise<{ password?: string }> {
  const account = await manageableAccount(deps, actor, accountId);
  if (account.id === actor.staffId && NOT_ON_ONESELF.has(action)) {
    throw new ElicenceError('ERR_FORBIDDEN', 'an admin cannot lock, disable, reset or sign out its own account', { field: 'id' });
  }
  const now = deps.clock.now();
  const db = deps.store.db;
  const where = eq(staffAccounts.id, account.id);
  let password: string | undefined;
  let statements: Statement[];
  switch (action) {
    case 'unlock':
      statements = [db.update(staffAccounts).set({ lockedAt: null, failedSignIns: 0, lastFailedAt: null, updatedAt: now }).where(where)];
      break;
    case 'lock':
      // Signed-in sessions end too: a lock is for an account that must stop now.
      statements = [db.update(staffAccounts).set({ lockedAt: now, updatedAt: now }).where(where), ...revokeSessionsOf(deps, account.id, now)];
      break;
    case 'endSessions':
      statements = revokeSessionsOf(deps, account.id, now);
      break;
    case 'resetPassword':
      password = temporaryPassword();
      statements = [
        db
          .update(staffAccounts)
          .set({ passwordHash: await hashPassword(password, hashingOf(deps)), mustChangePassword: true, updatedAt: now })
          .where(where),
        ...revokeSessionsOf(deps, account.id, now),
      ];
      break;
    case 'disable':
      statements = [db.update(staffAccounts).set({ disabledAt: now, updatedAt: now }).where(where), ...revokeSessionsOf(deps, account.id, now)];
      break;
    case 'enable':
      statements = [db.update(staffAccounts).set({ disabledAt: null, updatedAt: now }).where(where)];
      break;
    case 'removeSecondFactor':
      statements = [db.update(staffAccounts).set({ totpSecret: null, totpLastStep: null, updatedAt: now }).where(where)];
      break;
  }
  await deps.store.exclusive(async () => {
    const tokens = ENDS_ADMIN.has(action) ? await revokeTokensMadeBy(db, account, actor, `staff.${action}`, now) : { statements: [], audit: [] };
    await commitWithAudit(deps, [...statements, ...tokens.statements], [auditBy(actor, account, `staff.${action}`, {}), ...tokens.audit]);
  });
  if (ENDS_ADMIN.has(action)) forgetCachedTokens(db);
  return password === undefined ? {} : { password };
}

/**
 * Turns on the second factor once the person proves their app holds `secret` with a current code. Once
 * on, it is not replaced this way (ERR_CONFLICT): a live session alone, without the password or the
 * current phone, must not move the factor to another phone; an admin removes it first.
 */
export async function enableSecondFactor(deps: ServiceDeps, actor: Principal, account: StaffAccount, secret: string, code: string): Promise<void> {
  if (account.totpSecret !== null) throw new ElicenceError('ERR_CONFLICT', 'the second factor is on already: an admin removes it before another is set', { field: 'secret' });
  const now = deps.clock.now();
  const step = matchTotp(secret, code.trim(), now, null);
  if (step === undefined) throw new ElicenceError('ERR_VALIDATION', 'the code does not match: check the time on the phone and try the next code', { field: 'code' });
  await deps.store.exclusive(() =>
    commitWithAudit(
      deps,
      [
        deps.store.db
          .update(staffAccounts)
          .set({ totpSecret: secret, totpLastStep: step, updatedAt: now })
          .where(and(eq(staffAccounts.id, account.id), isNull(staffAccounts.totpSecret))),
      ],
      [auditBy(actor, account, 'staff.secondFactorEnabled', {})],
    ),
  );
}

/**
 * The first admin of a deployment without any account (`npm start`, or a Worker's BOOTSTRAP_ADMIN_PASSWORD):
 * login `admin`, the given or a generated password, to be changed at first sign-in. Undefined when
 * accounts exist already.
 */
export async function ensureFirstAdmin(deps: ServiceDeps, authorityId: string, password?: string): Promise<{ login: string; password: string } | undefined> {
  if ((await countAccounts(deps)) > 0) return undefined;
  try {
    const created = await createAccount(deps, { authorityId, login: 'admin', name: '管理员 Administrator', role: 'admin', password }, 'system');
    return { login: created.account.login, password: created.password };
  } catch (error) {
    // Another process or isolate created it first.
    if (error instanceof ElicenceError && error.code === 'ERR_CONFLICT') return undefined;
    throw error;
  }
}

/** Display names of accounts by id (for histories); unknown ids are left out. */
export async function staffNames(deps: ServiceDeps, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)].slice(0, 90);
  if (unique.length === 0) return new Map();
  const rows = await deps.store.db
    .select({ id: staffAccounts.id, name: staffAccounts.name, login: staffAccounts.login })
    .from(staffAccounts)
    .where(inArray(staffAccounts.id, unique));
  return new Map(rows.map((r) => [r.id, `${r.name} (${r.login})`]));
}
