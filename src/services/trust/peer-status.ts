/**
 * Peers' status data in the patch protocol (docs/trust-anchor.md, "Federation", and docs/trust-list.md,
 * "Bundle sync"): a peer that speaks it is fetched a second time with `patches=1`, and its status data
 * is kept exactly as a verifier keeps it (`peer_status`): per list the copy at its last cut with the
 * patch that attests it, the newest patches, and every cut patch received in the last 7 days. Every
 * piece is checked with the core code an inspector runs (the peer's trust lists in this deployment's
 * view, `openStatusPatch`, `mergeStatusState`) and re-served unchanged, deltas by receipt time. Pieces
 * of authorities the peer may not speak for, or hosted here, are ignored; forged ones are refused.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { and, eq, lt } from 'drizzle-orm';
import { type BundleStatusCopies, type BundleStatusPatch, parseBundle, type VerifierBundle } from '../../core/bundle.js';
import { formatDateTime } from '../../core/dates.js';
import { base64url, utf8 } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import type { StatusCopyJson } from '../../core/status-set.js';
import { decodeStatusCopy, sparseDigest } from '../../core/status-set.js';
import { openStatusPatch } from '../../core/trust/status-patches.js';
import { mergeStatusState } from '../../core/trust/status-state.js';
import type { TrustView, VerifiedTrustList } from '../../core/trust-list.js';
import { peerStatus } from '../../db/schema.js';
import type { Db } from '../../db/store.js';
import type { ServiceDeps } from '../ports.js';
import { STATUS_PATCH_RETENTION_MS } from '../status-cuts.js';
import type { PeerAnchor } from './peers.js';

type Row = typeof peerStatus.$inferSelect;

const hash = (jws: string) => base64url(sha256(utf8(jws)).subarray(0, 18));
const SYNC_KEY = (peerId: string) => `sync:${peerId}`;

/** What a refresh did with the peer's status patches and copies. */
export interface PeerStatusReport {
  /** Patches and copies stored (new rows). */
  stored: number;
  /** Lists fetched again as full copies (a patch could not bring the copy held up to date). */
  refetched: number;
  ignored: number;
  refused: string[];
}

export async function peerStatusRows(db: Db, peerId?: string): Promise<Row[]> {
  const rows = await (peerId === undefined ? db.select().from(peerStatus) : db.select().from(peerStatus).where(eq(peerStatus.peerId, peerId)));
  return rows.filter((r) => r.kind !== 'sync');
}

/** The held rows as bundle pieces (copies grouped by the patch that attests them). */
function piecesOf(rows: readonly Row[]): { statusCopies: BundleStatusCopies[]; statusPatches: BundleStatusPatch[] } {
  const groups = new Map<string, BundleStatusCopies>();
  const patches: BundleStatusPatch[] = [];
  for (const row of rows) {
    const fetchedAt = formatDateTime(row.receivedAt);
    if (row.kind === 'copy') {
      const copy = JSON.parse(row.copyJson!) as StatusCopyJson;
      const group = groups.get(row.jws);
      if (group) group.lists.push(copy);
      else groups.set(row.jws, { jws: row.jws, fetchedAt, lists: [copy] });
    } else if (row.kind === 'patch') patches.push({ jws: row.jws, fetchedAt });
  }
  return { statusCopies: [...groups.values()], statusPatches: patches };
}

interface CheckScope {
  view: TrustView;
  owns(list: VerifiedTrustList): boolean;
  hosted: ReadonlySet<string>;
  mayName(url: string, issuerId: string): boolean;
}

/** The pieces of `bundle` this peer may bring, checked; the rest counted or refused. */
async function checked(bundle: VerifierBundle, scope: CheckScope, report: PeerStatusReport): Promise<{ statusCopies: BundleStatusCopies[]; statusPatches: BundleStatusPatch[] }> {
  const keep = async (jws: string, label: string): Promise<boolean> => {
    const opened = await openStatusPatch(jws, scope.view);
    if (!opened.ok) {
      if (opened.error.code === 'ERR_ISSUER_NOT_LISTED' || opened.error.code === 'ERR_ISSUER_OUT_OF_SCOPE') report.ignored++;
      else report.refused.push(`${label}: ${opened.error.code}: ${opened.error.message}`);
      return false;
    }
    const speaker = opened.acceptance.list;
    if (scope.hosted.has(opened.patch.issuerId) || !speaker || !scope.owns(speaker)) {
      report.ignored++;
      return false;
    }
    const outside = [...opened.patch.changes.keys(), ...opened.patch.current.keys()].find((url) => !scope.mayName(url, opened.patch.issuerId));
    if (outside !== undefined) {
      report.refused.push(`${label}: ERR_ISSUER_OUT_OF_SCOPE: ${opened.patch.issuerId} may not speak about a list at ${outside} (not on its host, or this deployment's)`);
      return false;
    }
    return true;
  };
  const statusPatches: BundleStatusPatch[] = [];
  for (const [i, entry] of (bundle.statusPatches ?? []).entries()) if (await keep(entry.jws, `status patch ${i + 1}`)) statusPatches.push(entry);
  const statusCopies: BundleStatusCopies[] = [];
  for (const [i, group] of (bundle.statusCopies ?? []).entries()) {
    if (!(await keep(group.jws, `status copies ${i + 1}`))) continue;
    const opened = await openStatusPatch(group.jws, scope.view);
    const patch = opened.ok ? opened.patch : undefined;
    const good: StatusCopyJson[] = [];
    for (const copy of group.lists) {
      const entry = patch?.changes.get(copy.url) ?? patch?.current.get(copy.url);
      const decoded = decodeStatusCopy(copy);
      if (entry?.digest && decoded && (await sparseDigest(decoded)) === entry.digest) good.push(copy);
      else report.refused.push(`status copy ${copy.url}: ERR_STATUS_PATCH_MISMATCH: not the digest its patch names`);
    }
    if (good.length > 0) statusCopies.push({ ...group, lists: good });
  }
  return { statusCopies, statusPatches };
}

export interface PeerStatusRefresh {
  peer: PeerAnchor;
  fetch: typeof fetch;
  timeoutMs: number;
  maxBytes: number;
  scope: CheckScope;
  /** GET / POST of the peer (no redirect, time and byte limits): what federation.ts uses. */
  get(url: URL, headers: Record<string, string>): Promise<{ status: 'not-modified' } | { status: 'ok'; bytes: Uint8Array; etag: string | null; form: string | null }>;
  post(url: URL, body: unknown): Promise<Uint8Array>;
}

/**
 * Fetches the peer's bundle in the patch protocol (a delta since the last one, conditional on its ETag)
 * and keeps its status data up to date. A peer that does not speak the protocol leaves nothing here.
 */
export async function refreshPeerStatus(deps: ServiceDeps, refresh: PeerStatusRefresh): Promise<PeerStatusReport | undefined> {
  const { store } = deps;
  const db = store.db;
  const peer = refresh.peer;
  const receivedAt = deps.clock.now();
  const [syncRow] = await db
    .select()
    .from(peerStatus)
    .where(eq(peerStatus.key, SYNC_KEY(peer.id)));
  const url = new URL(peer.bundleUrl);
  url.searchParams.set('patches', '1');
  const heldRows = await peerStatusRows(db, peer.id);
  const headers: Record<string, string> = { Accept: 'application/json' };
  // A delta only after a response with nothing refused (the sync row then holds its generatedAt);
  // otherwise a full fetch. (Sending `since=null` made the peer answer 400 from then on: one refused
  // piece stopped every later patch, and so every revocation, of that peer.)
  if (syncRow?.url && heldRows.length > 0) {
    url.searchParams.set('since', syncRow.url);
    if (syncRow.jws) headers['If-None-Match'] = syncRow.jws;
  }
  const fetched = await refresh.get(url, headers);
  if (fetched.status === 'not-modified') return { stored: 0, refetched: 0, ignored: 0, refused: [] };
  if (fetched.form !== 'patches') return undefined;
  let bundle: VerifierBundle;
  try {
    bundle = parseBundle(fetched.bytes);
  } catch (cause) {
    throw new ElicenceError('ERR_FETCH_FAILED', `the patch bundle is unusable: ${cause instanceof ElicenceError ? `${cause.code}: ${cause.message}` : String(cause)}`, { cause });
  }
  const report: PeerStatusReport = { stored: 0, refetched: 0, ignored: 0, refused: [] };
  const incoming = await checked(bundle, refresh.scope, report);
  const held = piecesOf(heldRows);
  const combine = (a: typeof held, b: typeof held) => ({
    statusLists: [],
    statusCopies: [...a.statusCopies, ...b.statusCopies],
    statusPatches: [...a.statusPatches, ...b.statusPatches],
  });
  let merged = await mergeStatusState(combine(held, incoming), refresh.scope.view);
  if (merged.refetch.length > 0) {
    const listsUrl = new URL(peer.bundleUrl);
    listsUrl.search = '';
    listsUrl.pathname = `${listsUrl.pathname.replace(/\/+$/, '')}/lists`;
    const copies = await checked(parseBundle(await refresh.post(listsUrl, { urls: merged.refetch })), refresh.scope, report);
    report.refetched = merged.refetch.length;
    merged = await mergeStatusState(combine({ statusCopies: merged.statusCopies, statusPatches: merged.statusPatches }, copies), refresh.scope.view);
  }
  // The new state, and every cut patch received (re-served in deltas for 7 days).
  const rows: Row[] = [];
  const firstSeen = new Map(heldRows.filter((r) => r.kind === 'copy').map((r) => [r.key, r.firstReceivedAt]));
  const heldByKey = new Map(heldRows.map((r) => [r.key, r]));
  const issuerAndTime = async (jws: string) => {
    const opened = await openStatusPatch(jws, refresh.scope.view);
    return opened.ok ? { issuer: opened.patch.issuerId, signedAt: opened.patch.issuedAt, tail: opened.patch.tail } : undefined;
  };
  for (const group of merged.statusCopies) {
    const meta = await issuerAndTime(group.jws);
    if (!meta) continue;
    for (const copy of group.lists) {
      const key = `copy:${meta.issuer} ${copy.url}`;
      const before = heldByKey.get(key);
      const same = before && before.jws === group.jws && before.copyJson === JSON.stringify(copy);
      rows.push({
        key,
        peerId: peer.id,
        issuer: meta.issuer,
        kind: 'copy',
        url: copy.url,
        jws: group.jws,
        copyJson: JSON.stringify(copy),
        signedAt: meta.signedAt,
        receivedAt: same ? before.receivedAt : receivedAt,
        firstReceivedAt: firstSeen.get(key) ?? receivedAt,
      });
    }
  }
  for (const patch of merged.statusPatches) {
    const meta = await issuerAndTime(patch.jws);
    if (!meta) continue;
    const key = `patch:${hash(patch.jws)}`;
    const before = heldByKey.get(key);
    rows.push({
      key,
      peerId: peer.id,
      issuer: meta.issuer,
      kind: 'patch',
      url: null,
      jws: patch.jws,
      copyJson: null,
      signedAt: meta.signedAt,
      receivedAt: before?.receivedAt ?? receivedAt,
      firstReceivedAt: before?.firstReceivedAt ?? receivedAt,
    });
  }
  for (const patch of incoming.statusPatches) {
    const meta = await issuerAndTime(patch.jws);
    if (!meta || meta.tail) continue;
    const key = `cut:${hash(patch.jws)}`;
    const before = heldByKey.get(key);
    rows.push({
      key,
      peerId: peer.id,
      issuer: meta.issuer,
      kind: 'cut',
      url: null,
      jws: patch.jws,
      copyJson: null,
      signedAt: meta.signedAt,
      receivedAt: before?.receivedAt ?? receivedAt,
      firstReceivedAt: before?.firstReceivedAt ?? receivedAt,
    });
  }
  // Cut patches held and still within the 7 days stay.
  const keys = new Set(rows.map((r) => r.key));
  for (const row of heldRows) {
    if (row.kind === 'cut' && !keys.has(row.key) && row.receivedAt >= receivedAt - STATUS_PATCH_RETENTION_MS) {
      rows.push(row);
      keys.add(row.key);
    }
  }
  report.stored = rows.filter((r) => !heldByKey.has(r.key)).length;
  const clean = report.refused.length === 0;
  const statements = [
    db.delete(peerStatus).where(eq(peerStatus.peerId, peer.id)),
    ...chunks(rows, 8).map((part) => db.insert(peerStatus).values(part)),
    db
      .insert(peerStatus)
      .values({
        key: SYNC_KEY(peer.id),
        peerId: peer.id,
        issuer: '',
        kind: 'sync',
        // The next `since` and ETag, only after a response with nothing refused.
        url: clean ? bundle.generatedAt : null,
        jws: clean ? (fetched.etag ?? '') : '',
        copyJson: null,
        signedAt: receivedAt,
        receivedAt,
        firstReceivedAt: receivedAt,
      })
      .onConflictDoUpdate({ target: peerStatus.key, set: { url: clean ? bundle.generatedAt : null, jws: clean ? (fetched.etag ?? '') : '', receivedAt } }),
  ];
  await store.commit(statements);
  return report;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Drops a removed peer's status data. */
export function forgetPeerStatus(db: Db, peerId: string) {
  return db.delete(peerStatus).where(eq(peerStatus.peerId, peerId));
}

/** Cut patches older than 7 days, of every peer. */
export function pruneOldPeerCuts(db: Db, now: number) {
  return db.delete(peerStatus).where(and(eq(peerStatus.kind, 'cut'), lt(peerStatus.receivedAt, now - STATUS_PATCH_RETENTION_MS)));
}

/**
 * Peers' status data as the patch protocol serves it: full (every copy and kept patch), or a delta since
 * `since` by receipt (cut patches and kept patches received since, copies of lists first received since,
 * and an issuer's full copies instead of its cut patches when those would be larger). Only issuers the
 * deployment's view still lets the peer speak for (`servable`).
 */
export async function servedPeerStatus(
  db: Db,
  options: { since?: number; sinceExact?: number; servable: (row: Row) => boolean },
): Promise<{ statusCopies: BundleStatusCopies[]; statusPatches: BundleStatusPatch[]; issuers: Set<string>; tag: string[] }> {
  const rows = (await peerStatusRows(db)).filter(options.servable);
  const issuers = new Set(rows.map((r) => r.issuer));
  const byIssuer = new Map<string, Row[]>();
  for (const row of rows) byIssuer.set(row.issuer, [...(byIssuer.get(row.issuer) ?? []), row]);
  const copies: Row[] = [];
  const patches: Row[] = [];
  for (const list of byIssuer.values()) {
    const copyRows = list.filter((r) => r.kind === 'copy');
    const kept = list.filter((r) => r.kind === 'patch');
    if (options.since === undefined) {
      copies.push(...copyRows);
      patches.push(...kept);
      continue;
    }
    const since = options.since;
    const cuts = list.filter((r) => r.kind === 'cut' && r.receivedAt >= since);
    const copyBytes = copyRows.reduce((n, r) => n + (r.copyJson?.length ?? 0), 0) + new Set(copyRows.map((r) => r.jws)).size * 1000;
    if (cuts.reduce((n, r) => n + r.jws.length, 0) > copyBytes) copies.push(...copyRows);
    else {
      patches.push(...cuts);
      copies.push(...copyRows.filter((r) => r.firstReceivedAt > (options.sinceExact ?? since)));
    }
    patches.push(...kept.filter((r) => r.receivedAt >= since));
  }
  const pieces = piecesOf(copies);
  const seen = new Set<string>();
  const statusPatches = patches.filter((r) => !seen.has(r.jws) && seen.add(r.jws)).map((r) => ({ jws: r.jws, fetchedAt: formatDateTime(r.receivedAt) }));
  const tag = rows.filter((r) => r.kind !== 'cut').map((r) => `${r.key}@${r.receivedAt}`);
  return { statusCopies: pieces.statusCopies, statusPatches, issuers, tag };
}
