/** Issuing authorities hosted by this deployment, and their did:web identifiers. */
import { eq } from 'drizzle-orm';
import { creditCodeProblem } from '../core/credit-code.js';
import { ElicenceError } from '../core/errors.js';
import type { SigningAlgorithm } from '../core/jws-sign.js';
import { authorities } from '../db/schema.js';
import type { Db } from '../db/store.js';
import { auditStatements, readAuditHead } from './audit.js';
import { cached, invalidate } from './hot-cache.js';
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
  /** The authority's unified social credit code (GB 32100): the authority segment of its licence identifiers. */
  creditCode: string;
  alg?: SigningAlgorithm;
}

/** ERR_CREDIT_CODE naming `field` unless `code` is a valid unified social credit code. */
export function assertAuthorityCreditCode(code: unknown, field: string): asserts code is string {
  const problem = typeof code === 'string' ? creditCodeProblem(code) : 'length';
  if (problem) {
    throw new ElicenceError(
      'ERR_CREDIT_CODE',
      `the authority's unified social credit code ${problem === 'check' ? 'fails its check character' : 'must be 18 characters of the GB 32100-2015 alphabet'}`,
      {
        field,
      },
    );
  }
}

async function refuseTakenCreditCode(db: Db, code: string, id: string, field: string): Promise<void> {
  const [other] = await db.select({ id: authorities.id }).from(authorities).where(eq(authorities.creditCode, code));
  if (other && other.id !== id) throw new ElicenceError('ERR_CONFLICT', `credit code ${code} is already authority ${other.id}'s`, { field });
}

/** Creates an authority and its first signing key. */
export async function createAuthority(deps: ServiceDeps, input: NewAuthority, actor: string): Promise<Authority> {
  if (!SLUG.test(input.id)) throw new ElicenceError('ERR_VALIDATION', 'authority id must be lowercase letters, digits and dashes', { field: 'id' });
  if (!JURISDICTION.test(input.jurisdiction)) {
    throw new ElicenceError('ERR_VALIDATION', 'jurisdiction must be a 6-digit GB/T 2260 code', { field: 'jurisdiction' });
  }
  assertAuthorityCreditCode(input.creditCode, 'creditCode');
  const { store, clock, config } = deps;
  const authority: Authority = {
    id: input.id,
    did: authorityDid(config.publicUrl, input.id),
    nameZh: input.name.zh,
    nameEn: input.name.en,
    jurisdiction: input.jurisdiction,
    status: 'active',
    createdAt: clock.now(),
    creditCode: input.creditCode,
  };
  await store.exclusive(async () => {
    if (await findAuthority(store.db, input.id)) throw new ElicenceError('ERR_CONFLICT', `authority ${input.id} exists`, { field: 'id' });
    await refuseTakenCreditCode(store.db, input.creditCode, input.id, 'creditCode');
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

/**
 * Gives an authority created before licence identifiers its unified social credit code (the runtime's
 * configuration names it: AUTHORITY_CREDIT_CODE, or `creditCode` in AUTHORITIES). Set once: the same
 * code again changes nothing; another code than the one set is ERR_CONFLICT, since licence identifiers
 * already carry it. Returns whether it was set now.
 */
export async function setAuthorityCreditCode(deps: ServiceDeps, id: string, creditCode: string, actor: string): Promise<boolean> {
  assertAuthorityCreditCode(creditCode, 'creditCode');
  const { store, clock } = deps;
  return store.exclusive(async () => {
    const [row] = await store.db.select().from(authorities).where(eq(authorities.id, id));
    if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no authority ${id}`, { field: 'id' });
    if (row.creditCode === creditCode) return false;
    if (row.creditCode !== null) {
      throw new ElicenceError('ERR_CONFLICT', `authority ${id} has credit code ${row.creditCode}, which its licence identifiers carry: it is not changed to ${creditCode}`, {
        field: 'creditCode',
      });
    }
    await refuseTakenCreditCode(store.db, creditCode, id, 'creditCode');
    const now = clock.now();
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [{ action: 'authority.creditCodeSet', actor, authorityId: id, subjectId: id, content: { creditCode } }],
      now,
    );
    await store.commit([store.db.update(authorities).set({ creditCode }).where(eq(authorities.id, id)), ...audit.statements]);
    invalidate(store.db, `authority:${id}`);
    return true;
  });
}
