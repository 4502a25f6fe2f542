/**
 * Publishing Bitstring Status List credentials. A list is rebuilt (bits read from the licences table,
 * GZIP-encoded, signed as vc+jwt with the authority's active key, its `version` signed in
 * `credentialSubject.version`) only when its `version` moved past
 * the cached publication or the cached one is past half its validity; otherwise the copy cached in
 * the `status_lists.published*` columns is served. A change therefore shows on the next GET after
 * its commit. The cache write is conditional (never replaces a newer publication), so concurrent
 * rebuilds, in this process or another, are harmless.
 *
 * A revocation list is published with its status reasons document (src/core/status-reasons.ts): built
 * from the same read of the licences table as the bits, signed with the same key in the same rebuild
 * and cached in the same row update, so the two always describe the same bits.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { base64url, utf8 } from '../core/encoding.js';
import { signCompact } from '../core/jws-sign.js';
import { Bitstring, buildStatusListCredential, encodeStatusList, type StatusPurpose } from '../core/status-list.js';
import { buildStatusReasons, canonicalRevocationReason, type RevocationReason, signStatusReasons, UNSPECIFIED_REASON } from '../core/status-reasons.js';
import { agentAuthorisations, boundCopies, licences, statusLists } from '../db/schema.js';
import type { Db, Store } from '../db/store.js';
import { requireAuthority } from './authorities.js';
import { activeSigner } from './keys.js';
import type { AppConfig, ServiceDeps } from './ports.js';
import { statusListUrl } from './status-allocation.js';

export interface PublishedStatusList {
  id: string;
  url: string;
  authorityId: string;
  purpose: 'revocation' | 'suspension';
  jws: string;
  credential: Record<string, unknown>;
  /** Strong ETag of the signed form (quoted), derived from the JWS hash. */
  etag: string;
  /** Signing time (= validFrom), epoch ms, whole seconds. */
  publishedAt: number;
  validUntil: number;
  /** The list's signed `version`. */
  version: number;
  /** Revocation lists: the status reasons document (status-reasons+jwt) for exactly these bits. */
  reasonsJws?: string;
}

/** Where a revocation list's reasons document is served: beside the list. */
export const statusReasonsUrl = (listUrl: string): string => `${listUrl}/reasons`;

type StatusListRow = typeof statusLists.$inferSelect;

/**
 * How long a published list stays valid: its `ttl`. Kept in one place because offline verifiers
 * treat `validUntil` as a hard expiry (see the report to the lead: a longer window may be wanted).
 */
export const listValidityMs = (config: AppConfig): number => Math.max(config.statusListValidityMs, config.statusListTtlMs);

/** Strong ETag of a signed list: base64url SHA-256 of the JWS. */
export const etagOf = (jws: string): string => `"${base64url(sha256(utf8(jws)))}"`;

/** Fresh enough to serve: same version, and more than half its validity left. */
export function isCurrent(row: StatusListRow, now: number, config: AppConfig): boolean {
  return (
    row.publishedVersion === row.version &&
    row.publishedJws !== null &&
    row.publishedJson !== null &&
    row.publishedAt !== null &&
    row.publishedValidUntil !== null &&
    // A revocation list published before reasons documents existed is rebuilt with one.
    (row.purpose !== 'revocation' || row.publishedReasonsJws !== null) &&
    row.publishedValidUntil - now > listValidityMs(config) / 2
  );
}

function fromCache(row: StatusListRow, publicUrl: string): PublishedStatusList {
  return {
    id: row.id,
    url: statusListUrl(publicUrl, row.id),
    authorityId: row.authorityId,
    purpose: row.purpose,
    jws: row.publishedJws!,
    credential: JSON.parse(row.publishedJson!) as Record<string, unknown>,
    etag: etagOf(row.publishedJws!),
    publishedAt: row.publishedAt!,
    validUntil: row.publishedValidUntil!,
    version: row.publishedVersion!,
    ...(row.publishedReasonsJws === null ? {} : { reasonsJws: row.publishedReasonsJws }),
  };
}

/** The bits of a list as the licences table (and, for revocation, the bound copies and agent authorisations) have them now (revoked, or currently suspended), and the reason of each revoked one. */
export async function statusEntries(
  db: Db,
  row: Pick<StatusListRow, 'id' | 'purpose' | 'size'>,
): Promise<{ bits: Bitstring; reasons: { index: number; reason: RevocationReason | typeof UNSPECIFIED_REASON }[] }> {
  const bits = new Bitstring(row.size);
  // The status is a literal, not a bound parameter, so a partial index `WHERE status = 'revoked'` (or
  // 'suspended') can serve the query on every SQLite: otherwise it walks every allocated slot of the list.
  if (row.purpose === 'revocation') {
    const revoked = await db
      .select({ index: licences.revocationIndex, reason: licences.statusReason })
      .from(licences)
      .where(and(eq(licences.revocationListId, row.id), sql`${licences.status} = 'revoked'`));
    // Bound copies and agent authorisations hold revocation slots of their own (their own entry).
    for (const table of [boundCopies, agentAuthorisations]) {
      revoked.push(
        ...(await db
          .select({ index: table.revocationIndex, reason: table.statusReason })
          .from(table)
          .where(and(eq(table.revocationListId, row.id), sql`${table.status} = 'revoked'`))),
      );
    }
    revoked.sort((a, b) => a.index - b.index);
    for (const { index } of revoked) bits.set(index);
    // Stored reasons are codes (older aliases were migrated; mapped again here all the same).
    return { bits, reasons: revoked.map(({ index, reason }) => ({ index, reason: canonicalRevocationReason(reason) ?? UNSPECIFIED_REASON })) };
  }
  const suspended = await db
    .select({ index: licences.suspensionIndex })
    .from(licences)
    .where(and(eq(licences.suspensionListId, row.id), sql`${licences.status} = 'suspended'`));
  for (const { index } of suspended) bits.set(index);
  return { bits, reasons: [] };
}

/** The bits of a list as the licences table has them now: revoked, or currently suspended. */
export async function statusBits(db: Db, row: Pick<StatusListRow, 'id' | 'purpose' | 'size'>): Promise<Bitstring> {
  return (await statusEntries(db, row)).bits;
}

async function rebuild(deps: ServiceDeps, row: StatusListRow): Promise<PublishedStatusList> {
  const { store, config, clock } = deps;
  // `row.version` was read before the bits: the bits are at least that new, so caching them under it is safe.
  const { bits, reasons } = await statusEntries(store.db, row);
  const authority = await requireAuthority(store.db, row.authorityId);
  const signer = await activeSigner(deps, { kind: 'authority', id: authority.id });
  const issuedAt = Math.floor(clock.now() / 1000) * 1000;
  const validUntil = issuedAt + listValidityMs(config);
  const url = statusListUrl(config.publicUrl, row.id);
  const encodedList = await encodeStatusList(bits);
  const credential = buildStatusListCredential({
    url,
    issuer: { id: authority.did, name: authority.nameZh },
    purpose: row.purpose as StatusPurpose,
    encodedList,
    issuedAt: new Date(issuedAt),
    validUntil: new Date(validUntil),
    ttlMs: config.statusListTtlMs,
    version: row.version,
  });
  const jws = await signCompact(signer, credential, 'vc+jwt', 'vc');
  const json = JSON.stringify(credential);
  const reasonsJws =
    row.purpose === 'revocation'
      ? await signStatusReasons(
          signer,
          buildStatusReasons({ issuer: authority.did, list: { url, version: row.version, encodedList }, entries: reasons, issuedAt: new Date(issuedAt) }),
        )
      : null;
  // Conditional: never overwrite a publication of a newer version, or a later one of the same version.
  await store.db
    .update(statusLists)
    .set({ publishedVersion: row.version, publishedJws: jws, publishedJson: json, publishedAt: issuedAt, publishedValidUntil: validUntil, publishedReasonsJws: reasonsJws })
    .where(
      and(
        eq(statusLists.id, row.id),
        or(
          isNull(statusLists.publishedVersion),
          lt(statusLists.publishedVersion, row.version),
          and(eq(statusLists.publishedVersion, row.version), sql`coalesce(${statusLists.publishedAt}, 0) <= ${issuedAt}`),
        ),
      ),
    );
  return {
    id: row.id,
    url,
    authorityId: row.authorityId,
    purpose: row.purpose,
    jws,
    credential: credential as unknown as Record<string, unknown>,
    etag: etagOf(jws),
    publishedAt: issuedAt,
    validUntil,
    version: row.version,
    ...(reasonsJws === null ? {} : { reasonsJws }),
  };
}

/** In-flight rebuilds per store, so a burst of GETs after a change signs the list once. */
const inFlight = new WeakMap<Store, Map<string, Promise<PublishedStatusList>>>();

/** The current signed list, rebuilt only if stale; undefined when no such list exists. */
export async function publishedStatusList(deps: ServiceDeps, listId: string): Promise<PublishedStatusList | undefined> {
  const { store, config, clock } = deps;
  const [row] = await store.db.select().from(statusLists).where(eq(statusLists.id, listId));
  if (!row) return undefined;
  if (isCurrent(row, clock.now(), config)) return fromCache(row, config.publicUrl);
  let pending = inFlight.get(store);
  if (!pending) {
    pending = new Map();
    inFlight.set(store, pending);
  }
  const key = `${row.id}@${row.version}`;
  const running = pending.get(key);
  if (running) return running;
  const build = rebuild(deps, row).finally(() => pending.delete(key));
  pending.set(key, build);
  return build;
}

/** Ids of every status list (of one authority, or all), by authority, purpose and sequence. */
export async function statusListIdsOf(db: Db, authorityId?: string): Promise<string[]> {
  const query = db.select({ id: statusLists.id }).from(statusLists);
  const rows = await (authorityId === undefined ? query : query.where(eq(statusLists.authorityId, authorityId))).orderBy(
    asc(statusLists.authorityId),
    asc(statusLists.purpose),
    asc(statusLists.seq),
  );
  return rows.map((r) => r.id);
}
