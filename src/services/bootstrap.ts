/**
 * First start-up of an empty database: the built-in licence types, a development trust anchor, one
 * development issuing authority with an Ed25519 key, and an agency token with every scope.
 */
import type { ServiceDeps } from './ports.js';
import { signingKeys } from '../db/schema.js';
import { eq } from 'drizzle-orm';
import { auditStatements, readAuditHead } from './audit.js';
import { createAuthority, listAuthorities, type Authority } from './authorities.js';
import { createActiveKey } from './keys.js';
import { seedBuiltInTypes } from './licence-types.js';
import { ACTIONS, createToken } from './tokens.js';
import { ensureDevTrustList } from './trust-anchor.js';
import { DEV_ANCHOR_ID, DEV_AUTHORITY } from './dev-setup.js';

export interface BootstrapResult {
  /** true when this call created the development setup (the database was empty). */
  created: boolean;
  authorities: Authority[];
  /** The development token, only when it was created now (it is never retrievable later). */
  token?: string;
}

export async function seedLicenceTypes(deps: ServiceDeps): Promise<void> {
  const { store, clock } = deps;
  await store.exclusive(async () => {
    const statements = await seedBuiltInTypes(store.db, clock.now());
    if (statements.length === 0) return;
    const audit = auditStatements(store.db, await readAuditHead(store.db), [
      { action: 'licenceType.seeded', actor: 'system', content: { builtIn: statements.length } },
    ], clock.now());
    await store.commit([...statements, ...audit.statements]);
  });
}

export async function bootstrap(deps: ServiceDeps, options: { devToken?: string } = {}): Promise<BootstrapResult> {
  await seedLicenceTypes(deps);
  const existing = await listAuthorities(deps.store.db);
  if (existing.length > 0) return { created: false, authorities: existing };

  const anchorKeys = await deps.store.db.select().from(signingKeys).where(eq(signingKeys.ownerKind, 'anchor')).limit(1);
  if (anchorKeys.length === 0) await createActiveKey(deps, { kind: 'anchor', id: DEV_ANCHOR_ID }, 'EdDSA', 'system');
  const authority = await createAuthority(deps, DEV_AUTHORITY, 'system');
  const token = await createToken(
    deps,
    { authorityId: authority.id, name: 'development (all scopes)', actions: [...ACTIONS], licenceTypes: null, ...(options.devToken ? { token: options.devToken } : {}) },
    'system',
  );
  await ensureDevTrustList(deps);
  return { created: true, authorities: [authority], token: token.token };
}
