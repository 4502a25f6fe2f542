/**
 * First start-up of an empty database: the built-in licence types, a development trust anchor, one
 * development issuing authority with an Ed25519 key, and an agency token with every scope; and the
 * development anchor's first trust list, listing that authority.
 */

import { asc, eq } from 'drizzle-orm';
import { ElicenceError } from '../core/errors.js';
import { authorities, licenceTypes, signingKeys } from '../db/schema.js';
import { ensureFirstAdmin } from './accounts.js';
import { auditStatements, readAuditHead } from './audit.js';
import { type Authority, createAuthority, listAuthorities, type NewAuthority, setAuthorityCreditCode } from './authorities.js';
import { DEV_ANCHOR_ID, DEV_AUTHORITY } from './dev-setup.js';
import { createActiveKey } from './keys.js';
import { seedBuiltInTypes } from './licence-types.js';
import type { ServiceDeps } from './ports.js';
import { ACTIONS, createToken } from './tokens.js';
import { type Anchor, findAnchor } from './trust/anchor.js';
import { latestTrustList, publishFirstTrustList } from './trust/publishing.js';
import { findRegistered } from './trust/register.js';
import { registerAuthority } from './trust/register-edits.js';

export interface BootstrapResult {
  /** true when this call created the development setup (the database was empty). */
  created: boolean;
  authorities: Authority[];
  /** Authorities without a unified social credit code: they cannot issue until it is set (AUTHORITY_CREDIT_CODE). */
  withoutCreditCode?: string[];
  /** The development token, only when it was created now (it is never retrievable later). */
  token?: string;
  /** The first console admin, only when asked for and created now (no account existed). */
  admin?: { login: string; password: string };
}

export async function seedLicenceTypes(deps: ServiceDeps): Promise<void> {
  const { store, clock } = deps;
  await store.exclusive(async () => {
    const statements = await seedBuiltInTypes(store.db, clock.now());
    if (statements.length === 0) return;
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [{ action: 'licenceType.seeded', actor: 'system', content: { builtIn: statements.length } }],
      clock.now(),
    );
    await store.commit([...statements, ...audit.statements]);
  });
}

/** The authority a first start creates, as configured: its credit code may be given on a later start only. */
export type FirstAuthority = Omit<NewAuthority, 'creditCode'> & { creditCode?: string };

export interface BootstrapOptions {
  devToken?: string;
  /**
   * The issuing authority a first start creates (default: the development authority `dev-city`). On a
   * later start its credit code, when given, is set on the stored authority if that has none yet.
   */
  authority?: FirstAuthority;
  /** The first console admin, on a database without staff accounts (a password, or one is generated). */
  firstAdmin?: { password?: string | undefined };
}

/** Owner id of the anchor key a first start creates, and the hosted authority its first list names. */
function firstStart(deps: ServiceDeps): { anchorOwner: string; authority: string } {
  return { anchorOwner: deps.config.anchor?.ownerId ?? DEV_ANCHOR_ID, authority: deps.config.anchor?.firstAuthority ?? DEV_AUTHORITY.id };
}

export async function bootstrap(deps: ServiceDeps, options: BootstrapOptions = {}): Promise<BootstrapResult> {
  await seedLicenceTypes(deps);
  const firstAdmin = async (authorityId: string) => {
    const admin = options.firstAdmin ? await ensureFirstAdmin(deps, authorityId, options.firstAdmin.password) : undefined;
    return admin ? { admin } : {};
  };
  const existing = await listAuthorities(deps.store.db);
  if (existing.length > 0) return { created: false, ...(await fillCreditCode(deps, existing, options.authority ?? DEV_AUTHORITY)), ...(await firstAdmin(existing[0]!.id)) };
  const first = options.authority ?? DEV_AUTHORITY;
  if (first.creditCode === undefined) {
    throw new ElicenceError('ERR_VALIDATION', `authority ${first.id} needs its unified social credit code (AUTHORITY_CREDIT_CODE): its licence identifiers carry it`, {
      field: 'creditCode',
    });
  }

  // A deployment under another anchor (config.upstreamAnchor) is not an anchor itself.
  const anchorKeys = await deps.store.db.select().from(signingKeys).where(eq(signingKeys.ownerKind, 'anchor')).limit(1);
  if (anchorKeys.length === 0 && !deps.config.upstreamAnchor) await createActiveKey(deps, { kind: 'anchor', id: firstStart(deps).anchorOwner }, 'EdDSA', 'system');
  const authority = await createAuthority(deps, { ...first, creditCode: first.creditCode }, 'system');
  const token = await createToken(
    deps,
    { authorityId: authority.id, name: 'development (all scopes)', actions: [...ACTIONS], licenceTypes: null, ...(options.devToken ? { token: options.devToken } : {}) },
    'system',
  );
  await ensureDevTrustList(deps);
  return { created: true, authorities: [authority], token: token.token, ...(await firstAdmin(authority.id)) };
}

/**
 * A later start: the configured first authority gets its credit code when it was created before
 * authorities had one (set once, audited; another code than the stored one is refused).
 */
async function fillCreditCode(deps: ServiceDeps, existing: Authority[], configured: FirstAuthority): Promise<{ authorities: Authority[]; withoutCreditCode?: string[] }> {
  const stored = existing.find((a) => a.id === configured.id);
  if (stored && configured.creditCode !== undefined && stored.creditCode !== configured.creditCode) {
    await setAuthorityCreditCode(deps, stored.id, configured.creditCode, 'system');
    stored.creditCode = configured.creditCode;
  }
  const without = existing.filter((a) => a.creditCode === null).map((a) => a.id);
  return { authorities: existing, ...(without.length > 0 ? { withoutCreditCode: without } : {}) };
}

/**
 * First start of a development setup: the development anchor lists the development authority (every
 * licence type this deployment knows) and publishes its first list, so a fresh `npm start` serves a
 * usable verifier bundle. Does nothing for any other anchor, once a list exists, or when the
 * development authority was already registered (even if later withdrawn). "Development" is what a first
 * start creates: `config.anchor.ownerId` and `config.anchor.firstAuthority` when set, else dev-anchor
 * and dev-city.
 */
export async function ensureDevTrustList(deps: ServiceDeps, known?: Anchor): Promise<void> {
  const anchor = known ?? (await findAnchor(deps));
  const setup = firstStart(deps);
  if (!anchor || anchor.ownerId !== setup.anchorOwner) return;
  const { store } = deps;
  if (await latestTrustList(store.db)) return;
  const [dev] = await store.db.select().from(authorities).where(eq(authorities.id, setup.authority));
  if (dev && !(await findRegistered(store.db, dev.did))) {
    const types = (await store.db.select({ code: licenceTypes.code }).from(licenceTypes).orderBy(asc(licenceTypes.createdAt), asc(licenceTypes.code))).map((t) => t.code);
    try {
      await registerAuthority(
        deps,
        { id: dev.did, name: { zh: dev.nameZh, en: dev.nameEn }, jurisdiction: dev.jurisdiction, licenceTypes: types, keys: { hosted: true } },
        'system',
      );
    } catch (error) {
      // A concurrent first request registered it already.
      if (!(error instanceof ElicenceError && error.code === 'ERR_CONFLICT')) throw error;
    }
  }
  await publishFirstTrustList(deps, anchor, 'system');
}
