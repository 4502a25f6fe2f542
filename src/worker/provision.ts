/**
 * First request of an isolate: makes D1 agree with the Worker's configuration. Seeds the built-in
 * licence types, inserts the authorities named in AUTHORITIES (and gives one created before credit
 * codes the `creditCode` configured for it; another code than the stored one is refused), registers the public half of every key
 * in SIGNING_KEYS (the last new key listed for an owner becomes its active key; earlier active keys
 * stay published for verification), and creates the BOOTSTRAP_TOKEN if set. Every change is audited
 * and commits with its audit entries. Idempotent: a second run finds everything and writes nothing;
 * two isolates racing are settled by the unique constraints and a re-run.
 */
import { and, eq } from 'drizzle-orm';
import type { AppDeps } from '../app/deps.js';
import { publicJwk } from '../core/jws-sign.js';
import { apiTokens, authorities, signingKeys } from '../db/schema.js';
import { asConstraintViolation, type Statement } from '../db/store.js';
import { ensureFirstAdmin } from '../services/accounts.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from '../services/audit.js';
import { type Authority, authorityDid, findAuthority } from '../services/authorities.js';
import { seedLicenceTypes } from '../services/bootstrap.js';
import { invalidate } from '../services/hot-cache.js';
import { ACTIONS, createToken, hashToken } from '../services/tokens.js';
import type { WorkerConfig } from './config.js';
import type { SecretKeyStore } from './secret-key-store.js';

export interface ProvisionResult {
  authoritiesCreated: string[];
  keysRegistered: string[];
  tokenCreated: boolean;
  adminCreated: boolean;
}

async function provisionOnce(deps: AppDeps, keys: SecretKeyStore, config: WorkerConfig): Promise<ProvisionResult> {
  const { store, clock } = deps;
  await seedLicenceTypes(deps);
  const loaded = await keys.loaded();
  const result: ProvisionResult = { authoritiesCreated: [], keysRegistered: [], tokenCreated: false, adminCreated: false };

  await store.exclusive(async () => {
    const db = store.db;
    const now = clock.now();
    const statements: Statement[] = [];
    const audit: AuditEntryInput[] = [];
    const invalidated: string[] = [];
    for (const configured of config.authorities) {
      const stored = await findAuthority(db, configured.id);
      if (stored) {
        if (configured.creditCode === undefined || stored.creditCode === configured.creditCode) continue;
        if (stored.creditCode !== null) {
          throw new Error(`AUTHORITIES: authority ${configured.id} has credit code ${stored.creditCode}, which its licence identifiers carry, not ${configured.creditCode}`);
        }
        statements.push(db.update(authorities).set({ creditCode: configured.creditCode }).where(eq(authorities.id, configured.id)));
        audit.push({ action: 'authority.creditCodeSet', actor: 'system', authorityId: configured.id, subjectId: configured.id, content: { creditCode: configured.creditCode } });
        invalidated.push(configured.id);
        continue;
      }
      const authority: Authority = {
        id: configured.id,
        did: authorityDid(config.app.publicUrl, configured.id),
        nameZh: configured.name.zh,
        nameEn: configured.name.en,
        jurisdiction: configured.jurisdiction,
        status: 'active',
        createdAt: now,
        creditCode: configured.creditCode ?? null,
      };
      statements.push(db.insert(authorities).values(authority));
      audit.push({ action: 'authority.created', actor: 'system', authorityId: authority.id, subjectId: authority.id, content: { ...authority } });
      result.authoritiesCreated.push(authority.id);
    }
    const known = new Map((await db.select({ kid: signingKeys.kid, ownerKind: signingKeys.ownerKind, ownerId: signingKeys.ownerId }).from(signingKeys)).map((k) => [k.kid, k]));
    for (const key of loaded) {
      const existing = known.get(key.kid);
      if (existing) {
        if (existing.ownerKind !== key.owner.kind || existing.ownerId !== key.owner.id) {
          throw new Error(`SIGNING_KEYS: key ${key.kid} is registered to ${existing.ownerKind}:${existing.ownerId}, not ${key.owner.kind}:${key.owner.id}`);
        }
        continue;
      }
      const isAuthority = key.owner.kind === 'authority';
      if (isAuthority && !config.authorities.some((a) => a.id === key.owner.id) && !(await findAuthority(db, key.owner.id))) {
        throw new Error(`SIGNING_KEYS: authority ${key.owner.id} is neither in AUTHORITIES nor in the database`);
      }
      const pub = publicJwk(key.privateJwk);
      // Same statements as services/keys.ts createActiveKey: the new key signs, the previous one still verifies.
      statements.push(
        db
          .update(signingKeys)
          .set({ status: 'published' })
          .where(and(eq(signingKeys.ownerKind, key.owner.kind), eq(signingKeys.ownerId, key.owner.id), eq(signingKeys.status, 'active'))),
        db.insert(signingKeys).values({
          kid: key.kid,
          ownerKind: key.owner.kind,
          ownerId: key.owner.id,
          alg: key.signer.alg,
          publicJwk: JSON.stringify(pub),
          status: 'active',
          validFrom: now,
          createdAt: now,
        }),
      );
      audit.push({
        action: 'key.activated',
        actor: 'system',
        authorityId: isAuthority ? key.owner.id : null,
        subjectId: key.kid,
        content: { ownerKind: key.owner.kind, ownerId: key.owner.id, alg: key.signer.alg, publicJwk: pub, source: 'SIGNING_KEYS' },
      });
      known.set(key.kid, { kid: key.kid, ownerKind: key.owner.kind, ownerId: key.owner.id });
      result.keysRegistered.push(key.kid);
    }
    if (statements.length === 0) return;
    const chained = auditStatements(db, await readAuditHead(db), audit, now);
    await store.commit([...statements, ...chained.statements]);
    for (const id of invalidated) invalidate(db, `authority:${id}`);
  });

  const token = config.bootstrapToken;
  if (token) {
    const [existing] = await store.db
      .select({ id: apiTokens.id })
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, hashToken(token)))
      .limit(1);
    if (!existing) {
      await createToken(deps, { authorityId: config.authorities[0]!.id, name: 'bootstrap (BOOTSTRAP_TOKEN secret, all scopes)', actions: [...ACTIONS], token }, 'system');
      result.tokenCreated = true;
    }
  }
  if (config.bootstrapAdminPassword) {
    result.adminCreated = (await ensureFirstAdmin(deps, config.authorities[0]!.id, config.bootstrapAdminPassword)) !== undefined;
  }
  return result;
}

/** Provisions, re-running once if another isolate committed the same rows first. */
export async function provisionWorker(deps: AppDeps, keys: SecretKeyStore, config: WorkerConfig): Promise<ProvisionResult> {
  try {
    return await provisionOnce(deps, keys, config);
  } catch (error) {
    if (!asConstraintViolation(error)) throw error;
    return provisionOnce(deps, keys, config);
  }
}
