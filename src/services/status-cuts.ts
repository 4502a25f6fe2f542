/**
 * Status patches of the hosted authorities (docs/trust-list.md, "Status patches"), for offline
 * verifiers that sync the status of a whole nation:
 *
 * - A **cut** per authority every `statusPatchPeriodMs` (default a day; the runtime's timer or Cron
 *   calls `cutDueAuthorities`, and a bundle built when a cut is due makes it): ONE signed patch from the
 *   previous cut (each changed list `from` its version then, `to` its version now, the flipped indices,
 *   the digest, the reasons of the bits it sets; every unchanged list in `current`) and ONE manifest
 *   (every list with its version and digest), both kept 7 days. The lists at the cut (`status_cuts`) are
 *   the base of the next cut and the compact copies verifiers are given.
 * - A **tail**: the same format, `tail: true`, from the last cut to now, signed when a bundle is built
 *   and the lists moved since the cut (or the newest statement is older than `statusTailRefreshMs`),
 *   and reused while nothing moves. The next cut supersedes it.
 *
 * The W3C list at each licence's `statusListCredential` URL stays the current one (status-publishing.ts).
 */
import { and, asc, desc, eq, inArray, lt } from 'drizzle-orm';
import { fromBase64url } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { decodeIndicesInto } from '../core/rice.js';
import { buildStatusPatch, signStatusPatch } from '../core/status-patch.js';
import { REASON_NUMBERS } from '../core/status-reasons.js';
import { encodeStatusCopy, type SparseStatusList, type StatusCopyJson, setIndicesOf, unpackReasonCodes } from '../core/status-set.js';
import { authorities, statusCuts, statusLists, statusPatches } from '../db/schema.js';
import type { Db } from '../db/store.js';
import { type Authority, listAuthorities } from './authorities.js';
import { activeSigner } from './keys.js';
import type { AppConfig, ServiceDeps } from './ports.js';
import { statusListUrl } from './status-allocation.js';
import { statusEntries } from './status-publishing.js';

const DAY = 86_400_000;
/** How long cut patches and manifests are kept (and how far back a `?since=` delta reaches). */
export const STATUS_PATCH_RETENTION_MS = 7 * DAY;
export const DEFAULT_STATUS_PATCH_PERIOD_MS = DAY;
export const DEFAULT_STATUS_TAIL_REFRESH_MS = 3_600_000;

export const patchPeriodMs = (config: AppConfig): number => config.statusPatchPeriodMs ?? DEFAULT_STATUS_PATCH_PERIOD_MS;
export const tailRefreshMs = (config: AppConfig): number => config.statusTailRefreshMs ?? DEFAULT_STATUS_TAIL_REFRESH_MS;

type ListRow = typeof statusLists.$inferSelect;
type CutRow = typeof statusCuts.$inferSelect;
export type StoredPatch = typeof statusPatches.$inferSelect;

/** Common prefix of an authority's list URLs: a patch's `base`. */
export const patchBase = (publicUrl: string, authorityId: string): string => `${publicUrl}/status/${authorityId}/`;

interface CurrentList {
  row: ListRow;
  url: string;
  version: number;
  list: SparseStatusList;
}

/** A list's bits and reasons as the licences table has them at one version (re-read until the version holds still). */
async function currentList(deps: ServiceDeps, row: ListRow): Promise<CurrentList> {
  const db = deps.store.db;
  const versionOf = async () => (await db.select({ version: statusLists.version }).from(statusLists).where(eq(statusLists.id, row.id)))[0]?.version ?? row.version;
  for (let attempt = 0; attempt < 8; attempt++) {
    const before = await versionOf();
    const { bits, reasons } = await statusEntries(db, row);
    if ((await versionOf()) !== before) continue;
    const set = setIndicesOf(bits);
    let codes: Uint8Array | undefined;
    if (row.purpose === 'revocation') {
      const byIndex = new Map(reasons.map((r) => [r.index, REASON_NUMBERS[r.reason]]));
      codes = Uint8Array.from(set, (index) => byIndex.get(index) ?? 0);
    }
    return { row, url: statusListUrl(deps.config.publicUrl, row.id), version: before, list: { size: row.size, set, ...(codes ? { reasons: codes } : {}) } };
  }
  throw new ElicenceError('ERR_CONFLICT', `status list ${row.id} kept changing while it was read`);
}

/** A stored cut as a sparse list. */
export function cutList(cut: CutRow): SparseStatusList {
  const bytes = fromBase64url(cut.set);
  const set = bytes && decodeIndicesInto(bytes, cut.count, cut.size);
  if (!set) throw new ElicenceError('ERR_INTERNAL', `stored cut of ${cut.listId} does not decode`);
  if (cut.reasons === null) return { size: cut.size, set };
  const packed = fromBase64url(cut.reasons);
  const reasons = packed && unpackReasonCodes(packed, cut.count);
  return reasons ? { size: cut.size, set, reasons } : { size: cut.size, set };
}

/** The stored cut of a list as the copy verifiers are given. */
export function copyOfCut(cut: CutRow, url: string): StatusCopyJson {
  return { url, size: cut.size, count: cut.count, set: cut.set, ...(cut.reasons === null ? {} : { reasons: cut.reasons }) };
}

/** Indices whose bit differs between two lists of the same size. */
function flipped(before: SparseStatusList, after: SparseStatusList): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < before.set.length || j < after.set.length) {
    const a = i < before.set.length ? before.set[i]! : Number.POSITIVE_INFINITY;
    const b = j < after.set.length ? after.set[j]! : Number.POSITIVE_INFINITY;
    if (a === b) {
      i++;
      j++;
    } else if (a < b) {
      out.push(a);
      i++;
    } else {
      out.push(b);
      j++;
    }
  }
  return out;
}

const emptyLike = (list: SparseStatusList): SparseStatusList => ({ size: list.size, set: new Uint32Array(0), ...(list.reasons ? { reasons: new Uint8Array(0) } : {}) });

async function listRowsOf(db: Db, authorityId: string): Promise<ListRow[]> {
  return db.select().from(statusLists).where(eq(statusLists.authorityId, authorityId)).orderBy(asc(statusLists.purpose), asc(statusLists.seq));
}

export async function cutsOf(db: Db, authorityId: string): Promise<Map<string, CutRow>> {
  const rows = await db.select().from(statusCuts).where(eq(statusCuts.authorityId, authorityId));
  return new Map(rows.map((r) => [r.listId, r]));
}

/** The newest stored patch of a kind for an authority. */
export async function latestPatch(db: Db, authorityId: string, kind: StoredPatch['kind']): Promise<StoredPatch | undefined> {
  const [row] = await db
    .select()
    .from(statusPatches)
    .where(and(eq(statusPatches.authorityId, authorityId), eq(statusPatches.kind, kind)))
    .orderBy(desc(statusPatches.issuedAt))
    .limit(1);
  return row;
}

const versionsJson = (lists: readonly CurrentList[]) => JSON.stringify(Object.fromEntries(lists.map((l) => [l.row.id, l.version])));

/**
 * Cuts one authority now: signs its cut patch (from the previous cut) and its manifest, stores the lists
 * at this cut, drops its tail and the patches older than 7 days. Runs inside `store.exclusive`.
 */
async function cutLocked(deps: ServiceDeps, authority: Authority): Promise<void> {
  const { store, config } = deps;
  const now = Math.floor(deps.clock.now() / 1000) * 1000;
  const latest = await latestPatch(store.db, authority.id, 'manifest');
  // One cut per second at most (patches are keyed by signing time).
  if (latest && latest.issuedAt >= now) return;
  const rows = await listRowsOf(store.db, authority.id);
  if (rows.length === 0) return;
  const cuts = await cutsOf(store.db, authority.id);
  const lists: CurrentList[] = [];
  for (const row of rows) lists.push(await currentList(deps, row));
  const base = patchBase(config.publicUrl, authority.id);
  const changed: Parameters<typeof buildStatusPatch>[0]['changed'] = [];
  const unchanged: Parameters<typeof buildStatusPatch>[0]['unchanged'] = [];
  for (const l of lists) {
    const cut = cuts.get(l.row.id);
    const before = cut ? cutList(cut) : emptyLike(l.list);
    const from = cut?.version ?? 0;
    // A version that moved is a change, even when the bits came back to what they were (no index then).
    if (l.version > from) changed.push({ url: l.url, from, to: l.version, indices: flipped(before, l.list), after: l.list });
    else unchanged.push({ url: l.url, version: from });
  }
  const signer = await activeSigner(deps, { kind: 'authority', id: authority.id });
  const issuedAt = new Date(now);
  const cutJws = await signStatusPatch(signer, await buildStatusPatch({ issuer: authority.did, base, issuedAt, changed, unchanged }));
  const manifestJws = await signStatusPatch(
    signer,
    await buildStatusPatch({ issuer: authority.did, base, issuedAt, changed: [], unchanged: lists.map((l) => ({ url: l.url, version: l.version, list: l.list })) }),
  );
  const versions = versionsJson(lists);
  const upserts = lists.map((l) => {
    const copy = encodeStatusCopy(l.url, l.list);
    const values = { version: l.version, size: l.list.size, count: copy.count, set: copy.set, reasons: copy.reasons ?? null, cutAt: now };
    return store.db
      .insert(statusCuts)
      .values({ listId: l.row.id, authorityId: authority.id, ...values, firstCutAt: cuts.get(l.row.id)?.firstCutAt ?? now })
      .onConflictDoUpdate({ target: statusCuts.listId, set: values });
  });
  await store.commit([
    ...upserts,
    store.db.insert(statusPatches).values([
      { authorityId: authority.id, kind: 'cut', issuedAt: now, jws: cutJws, versionsJson: versions },
      { authorityId: authority.id, kind: 'manifest', issuedAt: now, jws: manifestJws, versionsJson: versions },
    ]),
    store.db.delete(statusPatches).where(and(eq(statusPatches.authorityId, authority.id), eq(statusPatches.kind, 'tail'))),
    store.db
      .delete(statusPatches)
      .where(and(eq(statusPatches.authorityId, authority.id), inArray(statusPatches.kind, ['cut', 'manifest']), lt(statusPatches.issuedAt, now - STATUS_PATCH_RETENTION_MS))),
  ]);
}

/** Why an authority needs a cut now, or undefined. */
async function cutDue(deps: ServiceDeps, authorityId: string): Promise<string | undefined> {
  const db = deps.store.db;
  const latest = await latestPatch(db, authorityId, 'manifest');
  if (!latest) return 'first';
  if (deps.clock.now() - latest.issuedAt >= patchPeriodMs(deps.config)) return 'period';
  // A list opened since the last cut: cut now, so every list served has a copy attested by a manifest.
  const rows = await db.select({ id: statusLists.id }).from(statusLists).where(eq(statusLists.authorityId, authorityId));
  const cuts = await db.select({ id: statusCuts.listId }).from(statusCuts).where(eq(statusCuts.authorityId, authorityId));
  return rows.length > cuts.length ? 'new list' : undefined;
}

/** Cuts one authority if a cut is due (see `cutDue`); true when it did. */
export async function cutIfDue(deps: ServiceDeps, authority: Authority): Promise<boolean> {
  if ((await cutDue(deps, authority.id)) === undefined) return false;
  return deps.store.exclusive(async () => {
    if ((await cutDue(deps, authority.id)) === undefined) return false;
    await cutLocked(deps, authority);
    return true;
  });
}

/** Cuts one authority now, whatever is due. */
export async function cutAuthority(deps: ServiceDeps, authorityId: string): Promise<void> {
  const [authority] = await deps.store.db.select().from(authorities).where(eq(authorities.id, authorityId));
  if (!authority) throw new ElicenceError('ERR_NOT_FOUND', `no authority ${authorityId}`);
  await deps.store.exclusive(() => cutLocked(deps, authority));
}

/** What the runtime's timer (Node) and Cron Trigger (Workers) call: every authority whose cut is due. */
export async function cutDueAuthorities(deps: ServiceDeps): Promise<string[]> {
  const done: string[] = [];
  for (const authority of await listAuthorities(deps.store.db)) if (await cutIfDue(deps, authority)) done.push(authority.id);
  return done;
}

/**
 * The authority's tail: the stored one while its lists have not moved and it is fresh enough, else a
 * newly signed one (from the last cut to now); undefined when the last cut is itself recent and nothing
 * moved since. Call after `cutIfDue`.
 */
export async function currentTail(deps: ServiceDeps, authority: Authority): Promise<StoredPatch | undefined> {
  const db = deps.store.db;
  const now = deps.clock.now();
  const manifest = await latestPatch(db, authority.id, 'manifest');
  if (!manifest) return undefined;
  const rows = await listRowsOf(db, authority.id);
  const versions = JSON.stringify(Object.fromEntries(rows.map((r) => [r.id, r.version])));
  const refresh = tailRefreshMs(deps.config);
  const tail = await latestPatch(db, authority.id, 'tail');
  if (tail && tail.issuedAt >= manifest.issuedAt && tail.versionsJson === versions && now - tail.issuedAt < refresh) return tail;
  if (versions === manifest.versionsJson && now - manifest.issuedAt < refresh) return undefined;
  return deps.store.exclusive(async () => {
    const again = await latestPatch(db, authority.id, 'tail');
    if (again && again !== tail && again.issuedAt >= manifest.issuedAt && now - again.issuedAt < refresh && again.versionsJson === versions) return again;
    return signTail(deps, authority);
  });
}

async function signTail(deps: ServiceDeps, authority: Authority): Promise<StoredPatch | undefined> {
  const { store, config } = deps;
  const issuedAt = Math.floor(deps.clock.now() / 1000) * 1000;
  const cuts = await cutsOf(store.db, authority.id);
  const lists: CurrentList[] = [];
  for (const row of await listRowsOf(store.db, authority.id)) if (cuts.has(row.id)) lists.push(await currentList(deps, row));
  const changed: Parameters<typeof buildStatusPatch>[0]['changed'] = [];
  const unchanged: Parameters<typeof buildStatusPatch>[0]['unchanged'] = [];
  for (const l of lists) {
    const cut = cuts.get(l.row.id)!;
    if (l.version > cut.version) changed.push({ url: l.url, from: cut.version, to: l.version, indices: flipped(cutList(cut), l.list), after: l.list });
    else unchanged.push({ url: l.url, version: cut.version });
  }
  const signer = await activeSigner(deps, { kind: 'authority', id: authority.id });
  const jws = await signStatusPatch(
    signer,
    await buildStatusPatch({ issuer: authority.did, base: patchBase(config.publicUrl, authority.id), issuedAt: new Date(issuedAt), tail: true, changed, unchanged }),
  );
  const row: StoredPatch = { authorityId: authority.id, kind: 'tail', issuedAt, jws, versionsJson: versionsJson(lists) };
  await store.commit([
    store.db.delete(statusPatches).where(and(eq(statusPatches.authorityId, authority.id), eq(statusPatches.kind, 'tail'))),
    store.db.insert(statusPatches).values(row),
  ]);
  return row;
}

/** Patches of an authority of the given kinds signed at or after `since` (oldest first). */
export async function patchesSince(db: Db, authorityId: string, kind: StoredPatch['kind'], since: number): Promise<StoredPatch[]> {
  return db
    .select()
    .from(statusPatches)
    .where(and(eq(statusPatches.authorityId, authorityId), eq(statusPatches.kind, kind)))
    .orderBy(asc(statusPatches.issuedAt))
    .then((rows) => rows.filter((r) => r.issuedAt >= since));
}
