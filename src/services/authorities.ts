/** Issuing authorities hosted by this deployment, and their did:web identifiers. */
import { ElicenceError } from '../core/errors.js';
import type { SigningAlgorithm } from '../core/jws-sign.js';
import { authorities } from '../db/schema.js';
import type { Db } from '../db/store.js';
import { auditStatements, readAuditHead } from './audit.js';
import { cached } from './hot-cache.js';
import { createActiveKey } from './keys.js';
import type { ServiceDeps } from './ports.js';
import { prepared } from './prepared.js';

export type Authority = typeof authorities.$inferSelect;

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const JURISDICTION = /^\d{6}$/;

/** did:web for a path under the deployment's public URL (port colons percent-encoded, per did:web). */
export function didWebFor(publicUrl: string, path: string[]): string {
  const url = new URL(publicUrl);
  const host = encodeURIComponent(url.host);
  const basePath = url.pathname.split('/').filter(Boolean);
  return ['did:web', host, ...basePath, ...path].join(':');
}

export const authorityDid = (publicUrl: string, slug: string): string => didWebFor(publicUrl, ['authorities', slug]);

export async function findAuthority(db: Db, id: string): Promise<Authority | undefined> {
  return cached(db, `authority:${id}`, async () => (await prepared(db).authorityById.all({ id }))[0]);
}

export async function requireAuthority(db: Db, id: string): Promise<Authority> {
  const authority = await findAuthority(db, id);
  if (!authority) throw new ElicenceError('ERR_NOT_FOUND', `no authority ${id}`);
  return authority;
}

export async function listAuthorities(db: Db): Promise<Authority[]> {
  return db.select().from(authorities).orderBy(authorities.createdAt);
}

export interface NewAuthority {
  id: string;
  name: { zh: string; en: string };
  jurisdiction: string;
  alg?: SigningAlgorithm;
}

/** Creates an authority and its first signing key. */
export async function createAuthority(deps: ServiceDeps, input: NewAuthority, actor: string): Promise<Authority> {
  if (!SLUG.test(input.id)) throw new ElicenceError('ERR_VALIDATION', 'authority id must be lowercase letters, digits and dashes', { field: 'id' });
  if (!JURISDICTION.test(input.jurisdiction)) {
    throw new ElicenceError('ERR_VALIDATION', 'jurisdiction must be a 6-digit GB/T 2260 code', { field: 'jurisdiction' });
  }
  const { store, clock, config } = deps;
  const authority: Authority = {
    id: input.id,
    did: authorityDid(config.publicUrl, input.id),
    nameZh: input.name.zh,
    nameEn: input.name.en,
    jurisdiction: input.jurisdiction,
    status: 'active',
    createdAt: clock.now(),
  };
  await store.exclusive(async () => {
    if (await findAuthority(store.db, input.id)) throw new ElicenceError('ERR_CONFLICT', `authority ${input.id} exists`, { field: 'id' });
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [{ action: 'authority.created', actor, authorityId: input.id, subjectId: input.id, content: { ...authority } }],
      authority.createdAt,
    );
    await store.commit([store.db.insert(authorities).values(authority), ...audit.statements]);
  });
  await createActiveKey(deps, { kind: 'authority', id: input.id }, input.alg ?? 'EdDSA', actor);
  return authority;
}
