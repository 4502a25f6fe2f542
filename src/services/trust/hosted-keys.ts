/**
 * Authorities hosted by this same deployment need no JWKS: their register entries follow their signing
 * keys, which are re-read on every publish, so a rotation reaches the next trust list; an entry without
 * a credit code takes the hosted authority's once it has one.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { publicJwk } from '../../core/jws-sign.js';
import { authorities, signingKeys } from '../../db/schema.js';
import type { Db } from '../../db/store.js';
import type { RegisteredAuthority, RegisteredKey } from './register.js';

const SECOND = 1000;
/** A rotated-out hosted key stays valid this long after its successor appears (in-flight signings). */
export const ROTATION_OVERLAP_MS = 5 * 60 * SECOND;

/** The authority hosted by this deployment whose did:web is `did`, if any. */
export async function hostedAuthority(db: Db, did: string) {
  const [row] = await db.select().from(authorities).where(eq(authorities.did, did));
  return row;
}

type HostedKey = { jwk: JWK & { kid: string }; validFrom: number; validUntil?: number };

/**
 * A hosted authority's keys as the trust list should carry them: active and rotated-out keys (retired
 * ones are no longer published, so licences signed with them stop verifying). A rotated-out key's
 * window closes when its successor appeared (plus ROTATION_OVERLAP_MS): old licences keep verifying,
 * while the old key cannot vouch for anything dated after the rotation.
 */
export async function hostedKeys(db: Db, slug: string): Promise<{ keys: Map<string, HostedKey>; allKids: Set<string> }> {
  const rows = await db
    .select()
    .from(signingKeys)
    .where(and(eq(signingKeys.ownerKind, 'authority'), eq(signingKeys.ownerId, slug)))
    .orderBy(asc(signingKeys.createdAt), asc(signingKeys.kid));
  const keys = new Map<string, HostedKey>();
  rows.forEach((row, i) => {
    if (row.status === 'retired') return;
    const successor = rows[i + 1];
    const closes = row.validUntil ?? (row.status === 'published' && successor ? successor.validFrom + ROTATION_OVERLAP_MS : undefined);
    keys.set(row.kid, {
      jwk: { ...publicJwk(JSON.parse(row.publicJwk) as JWK), kid: row.kid },
      validFrom: row.validFrom,
      ...(closes === undefined ? {} : { validUntil: closes }),
    });
  });
  return { keys, allKids: new Set(rows.map((r) => r.kid)) };
}

/** The register entry with its keys brought in step with the hosted authority's signing keys (and its credit code, when the entry has none). */
export async function withHostedKeys(db: Db, entry: RegisteredAuthority): Promise<RegisteredAuthority> {
  const byDid = entry.source?.startsWith('hosted:') ? undefined : await hostedAuthority(db, entry.id);
  const slug = entry.source?.startsWith('hosted:') ? entry.source.slice('hosted:'.length) : byDid?.id;
  if (!slug) return entry;
  const creditCode = entry.creditCode ?? (byDid ?? (await db.select().from(authorities).where(eq(authorities.id, slug)))[0])?.creditCode ?? undefined;
  const { keys: hosted, allKids } = await hostedKeys(db, slug);
  const previous = new Map(entry.keys.map((k) => [k.jwk.kid, k]));
  const keys: RegisteredKey[] = [];
  for (const [kid, key] of hosted) {
    const before = previous.get(kid);
    // A withdrawal made at the anchor outlives any refresh.
    keys.push({ ...key, status: before?.status ?? 'active', ...(before?.withdrawnAt === undefined ? {} : { withdrawnAt: before.withdrawnAt }) });
  }
  // Keys registered from elsewhere stay as they were; the authority's retired keys drop out.
  for (const key of entry.keys) if (!allKids.has(key.jwk.kid)) keys.push(key);
  return { ...entry, keys, ...(creditCode === undefined ? {} : { creditCode }) };
}
