/**
 * The trust register (`trust_registry`): the issuing authorities this anchor vouches for, with their
 * names, jurisdiction, allowed licence types and keys. How an entry is stored, read and saved with its
 * audit entry; the edits themselves are in register-edits.ts.
 */
import { asc, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { ElicenceError } from '../../core/errors.js';
import type { AuthorityStatus, BilingualName } from '../../core/trust-list.js';
import { trustRegistry } from '../../db/schema.js';
import type { Db, Statement } from '../../db/store.js';
import { type AuditEntryInput, auditStatements, readAuditHead } from '../audit.js';
import { invalidate } from '../hot-cache.js';
import type { ServiceDeps } from '../ports.js';

export type RegisteredKeyStatus = 'active' | 'withdrawn';

/** Hot-cache prefix of what hosted authorities may issue (issuing-policy.ts), dropped on every register change. */
export const ISSUING_POLICY_CACHE_PREFIX = 'issuing-policy:';

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
  /** Its unified social credit code (GB 32100), listed in trust lists when known. */
  creditCode?: string;
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
    ...(row.creditCode === null ? {} : { creditCode: row.creditCode }),
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
    creditCode: a.creditCode ?? null,
  };
}

export async function listRegistry(db: Db): Promise<RegisteredAuthority[]> {
  return (await db.select().from(trustRegistry).orderBy(asc(trustRegistry.jurisdiction), asc(trustRegistry.id))).map(fromRow);
}

export async function findRegistered(db: Db, id: string): Promise<RegisteredAuthority | undefined> {
  const [row] = await db.select().from(trustRegistry).where(eq(trustRegistry.id, id));
  return row && fromRow(row);
}

export async function requireRegistered(db: Db, id: string): Promise<RegisteredAuthority> {
  const found = await findRegistered(db, id);
  if (!found) throw new ElicenceError('ERR_NOT_FOUND', `${id} is not in the trust register`, { field: 'id' });
  return found;
}

/** Commits `entry` (insert or update) with one audit entry, inside the caller's exclusive section. */
export async function saveEntry(deps: ServiceDeps, entry: RegisteredAuthority, insert: boolean, audit: AuditEntryInput): Promise<void> {
  const { store } = deps;
  const row = toRow(entry);
  const statement: Statement = insert ? store.db.insert(trustRegistry).values(row) : store.db.update(trustRegistry).set(row).where(eq(trustRegistry.id, entry.id));
  const trail = auditStatements(store.db, await readAuditHead(store.db), [audit], entry.updatedAt);
  await store.commit([statement, ...trail.statements]);
  // What hosted authorities may issue follows the register at once (trust/issuing-policy.ts).
  invalidate(store.db, ISSUING_POLICY_CACHE_PREFIX);
}
