/**
 * Fetch, check, re-serve (docs/trust-anchor.md "Federation"): this deployment fetches each peer
 * anchor's public verifier bundle (a conditional GET with the last ETag and `since`), checks every
 * piece with the core code an inspector runs (the trust view of its own current list, with its own
 * keys pinned, plus the peer's lists; `openStatusList` for status lists), and stores the newest valid
 * copy of each of the peer's pieces with the time it received it. The pieces are re-served unchanged
 * in this deployment's own bundle. A peer that is down, slow, too big or serves garbage changes nothing
 * already stored. A deployment under an upstream anchor fetches that anchor's bundle the same way.
 */
import { eq } from 'drizzle-orm';
import { type BundleStatusList, type BundleTrustList, parseBundle, type VerifierBundle } from '../../core/bundle.js';
import { formatDateTime } from '../../core/dates.js';
import { fromBase64url, fromUtf8, readStreamCapped } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import { acceptTrustLists, openStatusList, type TrustView, type VerifiedTrustList } from '../../core/trust-list.js';
import { authorities, peerAnchors } from '../../db/schema.js';
import { invalidate } from '../hot-cache.js';
import type { ServiceDeps } from '../ports.js';
import { anchorJwks } from './anchor.js';
import { checkFetchUrl, FETCH_TIMEOUT_MS, fetchNoRedirect } from './jwks.js';
import { peerMayName, pieceUpsert, type StoredPiece, statusPieceKey, storedPieces, trustPieceKey } from './peer-pieces.js';
import { type PeerStatusRefresh, refreshPeerStatus } from './peer-status.js';
import { findPeer, listPeers, type PeerAnchor, requirePeer } from './peers.js';
import { currentTrustList } from './publishing.js';
import { ISSUING_POLICY_CACHE_PREFIX } from './register.js';

/** Default cap on a peer's bundle: room for a national one (tens of thousands of status lists). */
export const DEFAULT_FEDERATION_MAX_BYTES = 64 * 1024 * 1024;
/** Pieces written per commit, and status lists checked between two yields to the event loop. */
const COMMIT_CHUNK = 50;
const YIELD_EVERY = 5;
/** A yield that took longer than this means requests were waiting; then back off up to MAX_BACKOFF_MS. */
const BUSY_LAG_MS = 3;
const MAX_BACKOFF_MS = 50;
/** Default interval of the runtime's refresh of every peer. */
export const DEFAULT_FEDERATION_REFRESH_SECONDS = 300;

export interface RefreshReport {
  peer: string;
  /** `updated`: a bundle came and was checked; `not-modified`: 304; `failed`: nothing was stored. */
  outcome: 'updated' | 'not-modified' | 'failed';
  /** Pieces stored now (new copies), by kind; `statusPatches`: patches and copies of the patch protocol (peer-status.ts). */
  stored: { trustLists: number; statusLists: number; statusPatches?: number };
  /** Genuine pieces of the peer already held (or older than the copy held). */
  unchanged: number;
  /** Pieces of other anchors the peer passes on (ignored: each anchor's pieces come from itself). */
  ignored: number;
  /** Pieces that failed a check, with why: not stored. */
  refused: string[];
  /** Why the fetch failed (outcome `failed`). */
  error?: string;
  bytes?: number;
  receivedAt: number;
}

interface FetchOptions {
  fetch: typeof fetch;
  etag: string | null;
  since: string | null;
  timeoutMs: number;
  maxBytes: number;
}

type Fetched = { status: 'not-modified' } | { status: 'ok'; bytes: Uint8Array; etag: string | null };

/** GET of a peer's bundle: no redirect followed, a time limit over the whole exchange, a byte cap enforced while reading. */
async function fetchPeerBundle(bundleUrl: string, options: FetchOptions): Promise<Fetched> {
  const url = checkFetchUrl(bundleUrl, 'bundleUrl');
  if (options.since !== null) url.searchParams.set('since', options.since);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.etag !== null) headers['If-None-Match'] = options.etag;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetchNoRedirect(options.fetch, url, { headers, signal });
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: 'not-modified' };
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ElicenceError('ERR_FETCH_FAILED', `GET ${url.href} answered ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await response.body?.cancel();
      throw new ElicenceError('ERR_FETCH_FAILED', `GET ${url.href}: ${declared} bytes, more than the ${options.maxBytes} allowed`);
    }
    const bytes = response.body ? await readStreamCapped(response.body, options.maxBytes) : new Uint8Array(0);
    if (!bytes) throw new ElicenceError('ERR_FETCH_FAILED', `GET ${url.href}: more than the ${options.maxBytes} bytes allowed`);
    return { status: 'ok', bytes, etag: response.headers.get('etag') };
  } catch (cause) {
    if (cause instanceof ElicenceError) throw cause;
    const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    const detail = timedOut
      ? `no complete answer within ${options.timeoutMs / 1000} s`
      : cause instanceof Error
        ? cause.cause instanceof Error
          ? cause.cause.message
          : cause.message
        : String(cause);
    throw new ElicenceError('ERR_FETCH_FAILED', `GET ${url.href}: ${detail}`, { cause });
  }
}

/**
 * A refresh is background work: between batches of pieces it lets the requests this deployment serves
 * go first. It yields to the event loop, and when that yield came back late (requests were waiting),
 * it stays away a while longer, so a large refresh under load takes longer rather than slowing issuance.
 */
async function yieldToRequests(): Promise<void> {
  const started = performance.now();
  await new Promise((resume) => setTimeout(resume, 0));
  const lag = performance.now() - started;
  if (lag > BUSY_LAG_MS) await new Promise((resume) => setTimeout(resume, Math.min(MAX_BACKOFF_MS, lag * 4)));
}

/** Whose pieces a refresh keeps, and the view they are checked in. */
interface CheckContext {
  view: TrustView;
  /** Index of the first response trust list among the view's inputs. */
  offset: number;
  /** Does an accepted list belong to what this peer may bring? */
  owns(list: VerifiedTrustList): boolean;
  /** DIDs hosted here: their status lists are published here, never taken from a peer. */
  hosted: ReadonlySet<string>;
  /** May a piece of this issuer speak about this list URL (peer-pieces.ts `peerMayName`)? */
  mayName(url: string, issuerId: string): boolean;
}

async function checkContext(deps: ServiceDeps, peer: PeerAnchor, bundle: VerifierBundle, held: StoredPiece[]): Promise<CheckContext> {
  const now = deps.clock.now();
  const hosted = new Set((await deps.store.db.select({ did: authorities.did }).from(authorities)).map((a) => a.did));
  const mayName = peerMayName(deps.config.publicUrl);
  const heldLists = held.filter((p) => p.kind === 'trust-list');
  if (peer.role === 'upstream') {
    const upstream = deps.config.upstreamAnchor;
    if (!upstream || upstream.anchor.anchorId !== peer.id) throw new ElicenceError('ERR_NOT_FOUND', `${peer.id} is no longer the configured upstream anchor`);
    const view = await acceptTrustLists([...heldLists, ...bundle.trustLists], { anchors: upstream.anchor, now });
    return { view, offset: heldLists.length, owns: () => true, hosted, mayName };
  }
  const jwks = await anchorJwks(deps);
  // The own current list: published anew when the register (this peer's entry included) changed.
  const own = await currentTrustList(deps);
  if (!jwks || !own) throw new ElicenceError('ERR_FORBIDDEN', 'this deployment is not a trust anchor (it has no anchor signing key)');
  const view = await acceptTrustLists([{ jws: own.jws }, ...heldLists, ...bundle.trustLists], { anchors: jwks, now });
  const voucher = jwks.anchorId;
  return { view, offset: 1 + heldLists.length, owns: (list) => list.anchorId === peer.id && list.federation?.vouchedBy === voucher, hosted, mayName };
}

const describe = (code: string, message: string) => `${code}: ${message}`;

/** Checks every piece of `bundle`; returns the copies to store (newer than those held) and the tally. */
async function checkPieces(
  peer: PeerAnchor,
  bundle: VerifierBundle,
  held: StoredPiece[],
  context: CheckContext,
  receivedAt: number,
): Promise<{ store: StoredPiece[]; report: Pick<RefreshReport, 'stored' | 'unchanged' | 'ignored' | 'refused'> }> {
  const report = { stored: { trustLists: 0, statusLists: 0 }, unchanged: 0, ignored: 0, refused: [] as string[] };
  const heldByKey = new Map(held.map((p) => [p.key, p]));
  const heldJws = new Set(held.map((p) => p.jws));
  const store: StoredPiece[] = [];
  bundle.trustLists.forEach((entry: BundleTrustList, i) => {
    const piece = context.view.pieces[context.offset + i]!;
    const label = `trust list ${i + 1}${entry.url ? ` (${entry.url})` : ''}`;
    if (piece.status === 'superseded') {
      if (piece.list.anchorId === peer.id) report.unchanged++;
      else report.ignored++;
    } else if (piece.status === 'refused') {
      // A list signed by a key this anchor vouches for no one with is another anchor's business.
      if (piece.problem.code === 'ERR_TRUST_ANCHOR_UNKNOWN' && !piece.list) report.ignored++;
      else report.refused.push(`${label}: ${describe(piece.problem.code, piece.problem.message)}`);
    } else if (!context.owns(piece.list)) {
      report.ignored++;
    } else if (heldByKey.get(trustPieceKey(piece.list.anchorId))?.jws === entry.jws) {
      report.unchanged++;
    } else {
      const list = piece.list;
      store.push({
        key: trustPieceKey(list.anchorId),
        peerId: peer.id,
        kind: 'trust-list',
        url: entry.url ?? null,
        jws: entry.jws,
        sequence: list.sequence,
        issuer: null,
        kid: list.signedBy,
        signedAt: list.issuedAt,
        expiresAt: list.expiresAt,
        receivedAt,
      });
      report.stored.trustLists++;
    }
  });
  for (const [i, entry] of bundle.statusLists.entries() as Iterable<[number, BundleStatusList]>) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToRequests();
    const label = `status list ${entry.url} (entry ${i + 1})`;
    // A copy already held was checked when it was stored (and is checked again whenever it is served).
    if (heldJws.has(entry.jws)) {
      report.unchanged++;
      continue;
    }
    const opened = await openStatusList(entry.jws, context.view);
    if (!opened.ok) {
      // An issuer no accepted list names belongs to another anchor; anything else is a forgery or garbage.
      if (opened.error.code === 'ERR_ISSUER_NOT_LISTED') report.ignored++;
      else report.refused.push(`${label}: ${describe(opened.error.code, opened.error.message)}`);
      continue;
    }
    const { list, acceptance } = opened;
    const speaker = acceptance.ok ? acceptance.list : acceptance.list;
    if (context.hosted.has(list.issuerId) || !speaker || !context.owns(speaker)) {
      report.ignored++;
      continue;
    }
    if (list.id !== entry.url) {
      report.refused.push(`${label}: ERR_STATUS_LIST_MALFORMED: signed id ${list.id} is not the entry's url`);
      continue;
    }
    if (!context.mayName(list.id, list.issuerId)) {
      report.refused.push(`${label}: ERR_ISSUER_OUT_OF_SCOPE: ${list.issuerId} may not speak about a list at ${list.id} (not on its host, or this deployment's)`);
      continue;
    }
    const key = statusPieceKey(list.issuerId, list.id);
    const before = heldByKey.get(key) ?? store.find((p) => p.key === key);
    if (before && before.signedAt >= list.issuedAt) {
      report.unchanged++;
      continue;
    }
    if (before && store.includes(before)) store.splice(store.indexOf(before), 1);
    else report.stored.statusLists++;
    const kid = (JSON.parse(fromUtf8(fromBase64url(entry.jws.split('.')[0]!)!)) as { kid: string }).kid;
    store.push({
      key,
      peerId: peer.id,
      kind: 'status-list',
      url: list.id,
      jws: entry.jws,
      sequence: null,
      issuer: list.issuerId,
      kid,
      signedAt: list.issuedAt,
      expiresAt: list.validUntil ?? null,
      receivedAt,
    });
  }
  return { store, report };
}

export interface RefreshOptions {
  fetch?: typeof fetch;
}

/** GET and POST of a peer for the patch protocol: no redirect, a time limit, a byte cap while reading. */
function peerTransport(fetchImpl: typeof fetch, timeoutMs: number, maxBytes: number): Pick<PeerStatusRefresh, 'get' | 'post'> {
  const read = async (response: Response, where: string): Promise<Uint8Array> => {
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ElicenceError('ERR_FETCH_FAILED', `${where} answered ${response.status}`);
    }
    const bytes = response.body ? await readStreamCapped(response.body, maxBytes) : new Uint8Array(0);
    if (!bytes) throw new ElicenceError('ERR_FETCH_FAILED', `${where}: more than the ${maxBytes} bytes allowed`);
    return bytes;
  };
  const guard = async <T>(where: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (cause) {
      if (cause instanceof ElicenceError) throw cause;
      throw new ElicenceError('ERR_FETCH_FAILED', `${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  };
  return {
    get: (url, headers) =>
      guard(`GET ${url.href}`, async () => {
        const response = await fetchNoRedirect(fetchImpl, checkFetchUrl(url.href, 'bundleUrl'), { headers, signal: AbortSignal.timeout(timeoutMs) });
        if (response.status === 304) {
          await response.body?.cancel();
          return { status: 'not-modified' as const };
        }
        const bytes = await read(response, `GET ${url.href}`);
        return { status: 'ok' as const, bytes, etag: response.headers.get('etag'), form: response.headers.get('elicence-bundle-form') };
      }),
    post: (url, body) =>
      guard(`POST ${url.href}`, async () => {
        const response = await fetchNoRedirect(fetchImpl, checkFetchUrl(url.href, 'bundleUrl'), {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return read(response, `POST ${url.href}`);
      }),
  };
}

/** The upstream anchor's row, brought in line with the configuration (a deployment that is not an anchor). */
async function upstreamPeer(deps: ServiceDeps): Promise<PeerAnchor | undefined> {
  const upstream = deps.config.upstreamAnchor;
  if (!upstream) return undefined;
  const id = upstream.anchor.anchorId;
  const current = await findPeer(deps.store.db, id);
  const keysJson = JSON.stringify(upstream.anchor.keys.map((jwk) => ({ jwk, validFrom: 0 })));
  if (current && current.role === 'upstream' && current.bundleUrl === upstream.bundleUrl && JSON.stringify(current.keys) === keysJson) return current;
  const now = deps.clock.now();
  const row = {
    id,
    role: 'upstream' as const,
    nameZh: id,
    nameEn: id,
    keysJson,
    keysSource: null,
    bundleUrl: upstream.bundleUrl,
    scopeJson: JSON.stringify({ issuerPrefixes: [], jurisdictions: [] }),
    createdAt: now,
    updatedAt: now,
    etag: null,
    bundleGeneratedAt: null,
    lastAttemptAt: null,
    lastSuccessAt: null,
    lastError: null,
  };
  await deps.store.commit([
    deps.store.db
      .insert(peerAnchors)
      .values(row)
      .onConflictDoUpdate({ target: peerAnchors.id, set: { ...row, createdAt: current?.createdAt ?? now } }),
  ]);
  return findPeer(deps.store.db, id);
}

/**
 * The patch protocol (peer-status.ts): the peer's status data as a verifier keeps it, for a federated
 * peer that speaks it. Its failures are noted on the peer's entry; what the first fetch stored stands.
 */
async function refreshPatches(deps: ServiceDeps, peer: PeerAnchor, report: RefreshReport, options: RefreshOptions, known?: CheckContext): Promise<void> {
  if (peer.role !== 'federated') return;
  const settings = deps.config.federation ?? {};
  const fetchImpl = options.fetch ?? deps.fetch ?? fetch;
  const timeoutMs = settings.timeoutMs ?? FETCH_TIMEOUT_MS;
  const maxBytes = settings.maxBytes ?? DEFAULT_FEDERATION_MAX_BYTES;
  try {
    const scope =
      known ??
      (await checkContext(
        deps,
        peer,
        { version: 1, generatedAt: formatDateTime(deps.clock.now()), trustLists: [], statusLists: [] },
        await storedPieces(deps.store.db, { peerId: peer.id }),
      ));
    const patched = await refreshPeerStatus(deps, { peer, fetch: fetchImpl, timeoutMs, maxBytes, scope, ...peerTransport(fetchImpl, timeoutMs, maxBytes) });
    if (!patched) return;
    report.stored.statusPatches = patched.stored;
    report.ignored += patched.ignored;
    report.refused.push(...patched.refused);
    if (patched.refused.length > 0) {
      const lastError = `${patched.refused.length} status piece(s) refused: ${patched.refused.slice(0, 5).join('; ')}`.slice(0, 2000);
      await deps.store.commit([deps.store.db.update(peerAnchors).set({ lastError }).where(eq(peerAnchors.id, peer.id))]);
    }
  } catch (error) {
    if (!(error instanceof ElicenceError)) throw error;
    const lastError = `status patches: ${error.code}: ${error.message}`.slice(0, 2000);
    await deps.store.commit([deps.store.db.update(peerAnchors).set({ lastError }).where(eq(peerAnchors.id, peer.id))]);
  }
}

/**
 * Fetches one peer's bundle, checks every piece and stores the newest valid copies. Never throws for
 * the peer's failures: they are in the report (outcome `failed`) and on the peer's entry.
 */
export async function refreshPeer(deps: ServiceDeps, id: string, options: RefreshOptions = {}): Promise<RefreshReport> {
  const upstream = deps.config.upstreamAnchor?.anchor.anchorId === id ? await upstreamPeer(deps) : undefined;
  const peer = upstream ?? (await requirePeer(deps.store.db, id));
  const db = deps.store.db;
  const receivedAt = deps.clock.now();
  const report: RefreshReport = { peer: id, outcome: 'failed', stored: { trustLists: 0, statusLists: 0 }, unchanged: 0, ignored: 0, refused: [], receivedAt };
  const settings = deps.config.federation ?? {};
  try {
    const fetched = await fetchPeerBundle(peer.bundleUrl, {
      fetch: options.fetch ?? deps.fetch ?? fetch,
      etag: peer.sync.etag,
      since: peer.sync.etag === null ? null : peer.sync.bundleGeneratedAt,
      timeoutMs: settings.timeoutMs ?? FETCH_TIMEOUT_MS,
      maxBytes: settings.maxBytes ?? DEFAULT_FEDERATION_MAX_BYTES,
    });
    if (fetched.status === 'not-modified') {
      report.outcome = 'not-modified';
      await deps.store.commit([db.update(peerAnchors).set({ lastAttemptAt: receivedAt, lastSuccessAt: receivedAt, lastError: null }).where(eq(peerAnchors.id, id))]);
      await refreshPatches(deps, peer, report, options);
      return report;
    }
    report.bytes = fetched.bytes.byteLength;
    let bundle: VerifierBundle;
    try {
      bundle = parseBundle(fetched.bytes);
    } catch (cause) {
      throw new ElicenceError('ERR_FETCH_FAILED', `the bundle is unusable: ${cause instanceof ElicenceError ? `${cause.code}: ${cause.message}` : String(cause)}`, { cause });
    }
    const held = await storedPieces(db, { peerId: id });
    const context = await checkContext(deps, peer, bundle, held);
    const checked = await checkPieces(peer, bundle, held, context, receivedAt);
    Object.assign(report, checked.report, { outcome: 'updated' });
    // Deltas only after a response with nothing refused: otherwise the next fetch is a full one.
    const clean = checked.report.refused.length === 0;
    const state = {
      etag: clean ? fetched.etag : null,
      bundleGeneratedAt: clean ? bundle.generatedAt : null,
      lastAttemptAt: receivedAt,
      lastSuccessAt: receivedAt,
      lastError: clean ? null : `${checked.report.refused.length} piece(s) refused: ${checked.report.refused.slice(0, 5).join('; ')}`.slice(0, 2000),
    };
    // In chunks, so a large refresh never holds the database (and the requests beside it) for long;
    // each piece stands on its own signature, and the fetch state is written last.
    for (let i = 0; i < checked.store.length; i += COMMIT_CHUNK) {
      if (i > 0) await yieldToRequests();
      await deps.store.commit(checked.store.slice(i, i + COMMIT_CHUNK).map((piece) => pieceUpsert(deps.store, piece)));
    }
    await deps.store.commit([db.update(peerAnchors).set(state).where(eq(peerAnchors.id, id))]);
    await refreshPatches(deps, peer, report, options, context);
    // What a deployment under this upstream anchor may issue can have changed.
    if (peer.role === 'upstream' && checked.store.length > 0) invalidate(db, ISSUING_POLICY_CACHE_PREFIX);
    return report;
  } catch (error) {
    if (!(error instanceof ElicenceError) || (error.code !== 'ERR_FETCH_FAILED' && error.code !== 'ERR_VALIDATION')) throw error;
    report.error = `${error.code}: ${error.message}`;
    await deps.store.commit([
      db
        .update(peerAnchors)
        .set({ lastAttemptAt: receivedAt, lastError: report.error.slice(0, 2000) })
        .where(eq(peerAnchors.id, id)),
    ]);
    return report;
  }
}

/**
 * Refreshes every peer (and the upstream anchor of a deployment that is not an anchor), one after the
 * other: what the runtime's timer (Node) or Cron Trigger (Workers) calls.
 */
export async function refreshAllPeers(deps: ServiceDeps, options: RefreshOptions = {}): Promise<RefreshReport[]> {
  const ids = (await anchorJwks(deps)) ? (await listPeers(deps.store.db)).map((p) => p.id) : deps.config.upstreamAnchor ? [deps.config.upstreamAnchor.anchor.anchorId] : [];
  const reports: RefreshReport[] = [];
  for (const id of ids) {
    try {
      reports.push(await refreshPeer(deps, id, options));
    } catch (error) {
      // A peer removed meanwhile, or this deployment's own state: the other peers still refresh.
      reports.push({
        peer: id,
        outcome: 'failed',
        stored: { trustLists: 0, statusLists: 0 },
        unchanged: 0,
        ignored: 0,
        refused: [],
        error: String(error),
        receivedAt: deps.clock.now(),
      });
    }
  }
  return reports;
}
