/**
 * Status data of a bundle as one operation (docs/trust-list.md, "Status patches" and "Status copies"):
 * for a list URL, the newest copy a verifier can vouch for, built from W3C lists, compact copies and
 * status patches, each checked against the trust view:
 *
 * 1. Bases: each W3C list of that URL (its own signature, issuer, id, purpose) and each compact copy
 *    (its attesting patch's signature by the issuer, the digest that patch names for the URL). The
 *    highest version wins.
 * 2. Chain: from the base's version, the patches of the same issuer whose change starts there (the
 *    highest `to` first, a cut before a tail of the same `to`), each checked against its digest. A
 *    digest that differs makes the list unknown (ERR_STATUS_PATCH_MISMATCH).
 * 3. Gap: a genuine patch that names a later version than the one reached (a change or a `current`
 *    entry above it) proves the copy outdated: the list is unknown (ERR_STATUS_PATCH_GAP) until a full
 *    copy arrives. Never VALID from a list that could not be brought up to date.
 * 4. Freshness: the newest signing time of any statement of that version (the base's, an applied
 *    patch's, a `current` entry's).
 *
 * A patch whose `to` is not above a version already seen can never move a list back: the result is
 * refused when it ends below the highest version seen (`versionsSeen`, persisted by the front ends).
 *
 * `mergeStatusState` keeps what a device needs from held and fetched pieces: per list the copy at its
 * last cut (stored compactly, grouped under the patch that attests it) or the W3C list still current,
 * and the newest patches (the tail since the cut, the freshest statement). Nothing accumulates.
 */
import type { BundleStatusCopies, BundleStatusList, BundleStatusPatch, BundleStatusReasons, VerifierBundle } from '../bundle.js';
import type { StatusPurpose } from '../credential.js';
import { ElicenceError } from '../errors.js';
import { decodeJws } from '../jws-verify.js';
import { BoundedMap, type Outcome, outcomeOf } from '../memo.js';
import type { ParsedStatusList } from '../status-list.js';
import { applyStatusChangeSparse, type StatusPatch, type StatusPatchChange } from '../status-patch.js';
import { issuerKeysFromView, openStatusReasons, STATUS_REASONS_POLICY } from '../status-reasons.js';
import { decodeStatusCopy, encodeStatusCopy, reasonsDigest, type SparseStatusList, type StatusCopyJson, setIndicesOf, sparseDigest } from '../status-set.js';
import type { Acceptance } from './acceptance.js';
import { openStatusList } from './status-lists.js';
import { openStatusPatch, peekStatusPatch } from './status-patches.js';
import type { TrustView } from './view.js';

export type StatusProblemCode = 'ERR_STATUS_LIST_MISSING' | 'ERR_STATUS_LIST_INVALID' | 'ERR_STATUS_PATCH_GAP' | 'ERR_STATUS_PATCH_MISMATCH';

/** What attests a base: a W3C list, or a patch entry with the list's digest (a compact copy). */
export type BaseSource =
  | { kind: 'list'; entry: BundleStatusList; parsed: ParsedStatusList; reasons?: BundleStatusReasons }
  | { kind: 'copy'; jws: string; fetchedAt: string; copy?: StatusCopyJson };

export interface ResolvedStatusList extends SparseStatusList {
  url: string;
  issuerId: string;
  /** Known when a W3C list was the base (signed); a copy is bound to its URL only. */
  purpose: StatusPurpose | undefined;
  /** Undefined only for a W3C list from before versions. */
  version: number | undefined;
  /** Signing time of the newest statement attesting this version (epoch ms): the status age counts from here. */
  attestedAt: number;
  /** A W3C list's own `validUntil`, when no later statement attests its version. */
  validUntil: number | undefined;
  /** What a device stores: the list at its last cut, what attests it, and the digests it was checked against. */
  base: { version: number | undefined; list: SparseStatusList; source: BaseSource; digests?: { digest: string; reasonsDigest?: string | undefined } };
  /** Patches a device keeps for this list: those applied after the base (tails) and the freshest statement. */
  keep: Array<{ jws: string; fetchedAt: string }>;
  notes: string[];
}

export type ResolvedStatus =
  | { ok: true; list: ResolvedStatusList }
  /** `base`: the best verified copy there was (kept by a device until a full copy replaces it). */
  | { ok: false; code: StatusProblemCode; message: string; base?: ResolvedStatusList['base'] };

interface PatchDoc {
  jws: string;
  fetchedAt: string;
  /** Undecodable documents name nothing. */
  patch: StatusPatch | undefined;
}

/** A bundle's status pieces by list URL. */
export interface StatusSources {
  lists: ReadonlyMap<string, readonly BundleStatusList[]>;
  copies: ReadonlyMap<string, ReadonlyArray<{ group: BundleStatusCopies; copy: StatusCopyJson }>>;
  patches: ReadonlyMap<string, readonly PatchDoc[]>;
  reasons: ReadonlyMap<string, readonly BundleStatusReasons[]>;
  /** Every URL any piece names. */
  urls: ReadonlySet<string>;
  docs: readonly PatchDoc[];
  /** Resolutions, per trust view (its accepted lists) and then per query. */
  memo: Map<string, Map<string, Promise<ResolvedStatus>>>;
}

type StatusPieces = Pick<VerifierBundle, 'statusLists' | 'statusReasons' | 'statusPatches' | 'statusCopies'>;

const indexed = new WeakMap<object, StatusSources>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The list a reasons document says it describes (read before verifying, only to find that list). */
function describedList(jws: string): string | undefined {
  try {
    const url = decodeJws(jws, STATUS_REASONS_POLICY).payload.statusListCredential;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Indexes a bundle's status pieces (remembered per bundle object). */
export function statusSources(bundle: StatusPieces): StatusSources {
  const hit = indexed.get(bundle);
  if (hit) return hit;
  const lists = new Map<string, BundleStatusList[]>();
  const copies = new Map<string, Array<{ group: BundleStatusCopies; copy: StatusCopyJson }>>();
  const patches = new Map<string, PatchDoc[]>();
  const reasons = new Map<string, BundleStatusReasons[]>();
  const urls = new Set<string>();
  const docs: PatchDoc[] = [];
  const seenDocs = new Set<string>();
  const addDoc = (jws: string, fetchedAt: string) => {
    if (seenDocs.has(jws)) return;
    seenDocs.add(jws);
    const peeked = peekStatusPatch(jws);
    const doc: PatchDoc = { jws, fetchedAt, patch: peeked.ok ? peeked.value.patch : undefined };
    docs.push(doc);
    if (!doc.patch) return;
    for (const url of [...doc.patch.changes.keys(), ...doc.patch.current.keys()]) {
      push(patches, url, doc);
      urls.add(url);
    }
  };
  for (const entry of bundle.statusLists) {
    push(lists, entry.url, entry);
    urls.add(entry.url);
  }
  for (const group of bundle.statusCopies ?? []) {
    addDoc(group.jws, group.fetchedAt);
    for (const copy of group.lists) {
      push(copies, copy.url, { group, copy });
      urls.add(copy.url);
    }
  }
  for (const entry of bundle.statusPatches ?? []) addDoc(entry.jws, entry.fetchedAt);
  for (const entry of bundle.statusReasons ?? []) {
    const url = describedList(entry.jws);
    if (url !== undefined) push(reasons, url, entry);
  }
  const sources: StatusSources = { lists, copies, patches, reasons, urls, docs, memo: new Map() };
  indexed.set(bundle, sources);
  return sources;
}

const viewKeys = new WeakMap<TrustView, string>();

/** Which lists the view accepts: two views with the same accepted lists accept the same keys. */
function viewKey(view: TrustView): string {
  let key = viewKeys.get(view);
  if (key === undefined) {
    key = view.lists.map((l) => `${l.anchorId}#${l.sequence}#${l.signedBy}`).join(' ');
    viewKeys.set(view, key);
  }
  return key;
}

type DecodedCopy = Outcome<{ list: SparseStatusList; digest: string; reasonsDigest: string | undefined }>;

// Decoded copies with the digests of what they decode to, by content (the set indices' text): the
// same copy parsed again (a bundle reloaded, held and fetched pieces merged) is decoded and hashed once.
const decodedCopies = new BoundedMap<string, { size: number; count: number; reasons: string | undefined; decoded: Promise<DecodedCopy> }>(32_768);

function decodeCopy(copy: StatusCopyJson): Promise<DecodedCopy> {
  const known = decodedCopies.get(copy.set);
  if (known && known.size === copy.size && known.count === copy.count && known.reasons === copy.reasons) return known.decoded;
  const decoded = outcomeOf(async () => {
    const list = decodeStatusCopy(copy);
    if (!list) throw new ElicenceError('ERR_STATUS_LIST_MALFORMED', `the copy of ${copy.url} does not decode`);
    return { list, digest: await sparseDigest(list), reasonsDigest: list.reasons === undefined ? undefined : await reasonsDigest(list.reasons) };
  });
  decodedCopies.set(copy.set, { size: copy.size, count: copy.count, reasons: copy.reasons, decoded });
  return decoded;
}

/** A copy encoded from a list whose digests were just checked: its decoding is known (no second decode on the next load). */
function encodeVerifiedCopy(url: string, list: SparseStatusList, digests: { digest: string; reasonsDigest?: string | undefined }): StatusCopyJson {
  const copy = encodeStatusCopy(url, list);
  const decoded: DecodedCopy = { ok: true, value: { list, digest: digests.digest, reasonsDigest: list.reasons === undefined ? undefined : digests.reasonsDigest } };
  decodedCopies.set(copy.set, { size: copy.size, count: copy.count, reasons: copy.reasons, decoded: Promise.resolve(decoded) });
  return copy;
}

// W3C lists as sparse lists (with the reasons of the reasons document that opens against them), per parsed list.
const sparseLists = new WeakMap<ParsedStatusList, Map<string, SparseStatusList>>();

function sparseOfParsed(parsed: ParsedStatusList, reasons: { jws: string; codes: Uint8Array } | undefined): SparseStatusList {
  let byReasons = sparseLists.get(parsed);
  if (!byReasons) {
    byReasons = new Map();
    sparseLists.set(parsed, byReasons);
  }
  const key = reasons?.jws ?? '';
  let list = byReasons.get(key);
  if (!list) {
    const set = byReasons.get('')?.set ?? setIndicesOf(parsed.bits);
    list = { size: parsed.bits.length, set, ...(reasons ? { reasons: reasons.codes } : {}) };
    byReasons.set(key, list);
  }
  return list;
}

// Patch applications, per base list object and patch.
const applications = new WeakMap<SparseStatusList, Map<string, Promise<Outcome<SparseStatusList>>>>();

function apply(list: SparseStatusList, jws: string, change: StatusPatchChange): Promise<Outcome<SparseStatusList>> {
  let byPatch = applications.get(list);
  if (!byPatch) {
    byPatch = new Map();
    applications.set(list, byPatch);
  }
  let applied = byPatch.get(jws);
  if (!applied) {
    applied = outcomeOf(() => applyStatusChangeSparse(list, change));
    byPatch.set(jws, applied);
  }
  return applied;
}

const describe = (error: { code: string; message: string }) => `${error.code}: ${error.message}`;

export interface ResolveQuery {
  url: string;
  /** The licence's issuer: only its own pieces count. */
  issuerId: string;
  /**
   * Also use pieces signed by a listed key of an issuer the view does not accept now (suspended,
   * withdrawn, a key outside its window): what a device keeps, for the verifier to judge.
   */
  genuine?: boolean;
}

/**
 * The newest verifiable copy of one list (see the module comment). Memoised per bundle, trust view
 * (its accepted lists) and query; never throws.
 */
export function resolveStatus(sources: StatusSources, view: TrustView, query: ResolveQuery): Promise<ResolvedStatus> {
  const forView = viewKey(view);
  let memo = sources.memo.get(forView);
  if (!memo) {
    // Another set of accepted lists (the clock moved a list into or out of grace): earlier answers no longer hold.
    sources.memo.clear();
    memo = new Map();
    sources.memo.set(forView, memo);
  }
  const key = query.genuine === true ? `${query.url} ${query.issuerId} genuine` : `${query.url} ${query.issuerId}`;
  let resolved = memo.get(key);
  if (!resolved) {
    resolved = resolve(sources, view, query).catch(
      (error: unknown): ResolvedStatus => ({ ok: false, code: 'ERR_STATUS_LIST_INVALID', message: error instanceof Error ? error.message : String(error) }),
    );
    memo.set(key, resolved);
  }
  return resolved;
}

interface Base {
  version: number | undefined;
  list: SparseStatusList;
  attestedAt: number;
  validUntil: number | undefined;
  purpose: StatusPurpose | undefined;
  source: BaseSource;
}

interface Statement {
  jws: string;
  fetchedAt: string;
  patch: StatusPatch;
}

function issuerProblem(acceptance: Acceptance): string | undefined {
  return acceptance.ok ? undefined : describe(acceptance);
}

async function bases(sources: StatusSources, view: TrustView, query: ResolveQuery, problems: string[]): Promise<Base[]> {
  const found: Base[] = [];
  for (const entry of sources.lists.get(query.url) ?? []) {
    const opened = await openStatusList(entry.jws, view);
    if (!opened.ok) {
      problems.push(describe(opened.error));
      continue;
    }
    const { list } = opened;
    if (list.issuerId !== query.issuerId) problems.push(`list is issued by ${list.issuerId}, not ${query.issuerId}`);
    else if (!query.genuine && issuerProblem(opened.acceptance)) problems.push(issuerProblem(opened.acceptance)!);
    else if (list.id !== query.url) problems.push(`signed id ${list.id} is not ${query.url}`);
    else {
      let reasons: { jws: string; codes: Uint8Array; entry: BundleStatusReasons } | undefined;
      if (list.purpose === 'revocation') {
        for (const candidate of sources.reasons.get(query.url) ?? []) {
          const doc = await openStatusReasons(candidate.jws, list, issuerKeysFromView(view, list.issuerId));
          if (doc.ok) {
            reasons = { jws: candidate.jws, codes: doc.reasons.codes(), entry: candidate };
            break;
          }
        }
      }
      found.push({
        version: list.version,
        list: sparseOfParsed(list, reasons),
        attestedAt: list.issuedAt,
        validUntil: list.validUntil,
        purpose: list.purpose,
        source: { kind: 'list', entry, parsed: list, ...(reasons ? { reasons: reasons.entry } : {}) },
      });
    }
  }
  for (const { group, copy } of sources.copies.get(query.url) ?? []) {
    const opened = await openStatusPatch(group.jws, view);
    if (!opened.ok) {
      problems.push(`copy attested by a refused patch: ${describe(opened.error)}`);
      continue;
    }
    const { patch } = opened;
    if (patch.issuerId !== query.issuerId) {
      problems.push(`copy attested by a patch of ${patch.issuerId}, not ${query.issuerId}`);
      continue;
    }
    if (!query.genuine && issuerProblem(opened.acceptance)) {
      problems.push(issuerProblem(opened.acceptance)!);
      continue;
    }
    const change = patch.changes.get(query.url);
    const current = patch.current.get(query.url);
    const attested = change ? { version: change.to, digest: change.digest, reasonsDigest: change.reasonsDigest } : current;
    if (!attested?.digest) {
      problems.push(`copy of ${query.url}: its patch names no digest for it`);
      continue;
    }
    const decoded = await decodeCopy(copy);
    if (!decoded.ok) {
      problems.push(describe(decoded.error as ElicenceError));
      continue;
    }
    if (decoded.value.digest !== attested.digest) {
      problems.push(`copy of ${query.url} does not have the digest its patch names for version ${attested.version}`);
      continue;
    }
    const { list } = decoded.value;
    const reasonsOk = list.reasons !== undefined && attested.reasonsDigest !== undefined && decoded.value.reasonsDigest === attested.reasonsDigest;
    found.push({
      version: attested.version,
      list: reasonsOk || list.reasons === undefined ? list : { size: list.size, set: list.set },
      attestedAt: patch.issuedAt,
      validUntil: undefined,
      purpose: undefined,
      source: { kind: 'copy', jws: group.jws, fetchedAt: group.fetchedAt, ...(reasonsOk || list.reasons === undefined ? { copy } : {}) },
    });
  }
  return found;
}

async function resolve(sources: StatusSources, view: TrustView, query: ResolveQuery): Promise<ResolvedStatus> {
  const problems: string[] = [];
  const candidates = await bases(sources, view, query, problems);

  // Genuine statements of this issuer about this URL.
  const statements: Statement[] = [];
  for (const doc of sources.patches.get(query.url) ?? []) {
    if (doc.patch?.issuerId !== query.issuerId) {
      problems.push(`a patch of ${doc.patch?.issuerId ?? 'unknown issuer'} names this list: ignored`);
      continue;
    }
    const opened = await openStatusPatch(doc.jws, view);
    if (!opened.ok) problems.push(`patch refused: ${describe(opened.error)}`);
    else if (!query.genuine && issuerProblem(opened.acceptance)) problems.push(`patch refused: ${issuerProblem(opened.acceptance)}`);
    else statements.push({ jws: doc.jws, fetchedAt: doc.fetchedAt, patch: opened.patch });
  }

  if (candidates.length === 0) {
    if (problems.length === 0 && statements.length === 0) return { ok: false, code: 'ERR_STATUS_LIST_MISSING', message: `the bundle has no list ${query.url}` };
    if (statements.length > 0 && problems.length === 0) {
      return { ok: false, code: 'ERR_STATUS_LIST_MISSING', message: `the bundle has patches but no copy of ${query.url} to apply them to` };
    }
    return { ok: false, code: 'ERR_STATUS_LIST_INVALID', message: `no usable list ${query.url}: ${problems.join('; ')}` };
  }
  // The highest version (a list without one ranks lowest); the newest statement among equals.
  let base = candidates[0]!;
  for (const c of candidates) {
    if ((c.version ?? -1) > (base.version ?? -1) || (c.version === base.version && c.attestedAt > base.attestedAt)) base = c;
  }
  const kept = { version: base.version, list: base.list, source: base.source };
  const notes: string[] = [];
  if (base.version === undefined) {
    if (statements.length > 0) {
      return { ok: false, code: 'ERR_STATUS_PATCH_GAP', message: `the list ${query.url} has patches but its copy carries no version to apply them to`, base: kept };
    }
    return { ok: true, list: result(query, base, base.list, undefined, base.attestedAt, base.validUntil, [], notes) };
  }

  // The chain: from the base's version, the highest `to` first; a cut before a tail of the same `to`.
  let version = base.version;
  let list = base.list;
  let stored: ResolvedStatusList['base'] = { version, list, source: base.source };
  const applied: Statement[] = [];
  for (;;) {
    let next: { statement: Statement; change: StatusPatchChange } | undefined;
    for (const statement of statements) {
      const change = statement.patch.changes.get(query.url);
      if (!change || change.from !== version) continue;
      if (!next || change.to > next.change.to || (change.to === next.change.to && next.statement.patch.tail && !statement.patch.tail)) next = { statement, change };
    }
    if (!next) break;
    const outcome = await apply(list, next.statement.jws, next.change);
    if (!outcome.ok) {
      const error = outcome.error as ElicenceError;
      return {
        ok: false,
        code: 'ERR_STATUS_PATCH_MISMATCH',
        message: `the patch of ${formatTime(next.statement.patch.issuedAt)} from version ${version} does not apply to this copy (${error.message}): a full copy is needed`,
        base: kept,
      };
    }
    version = next.change.to;
    list = outcome.value;
    applied.push(next.statement);
    if (!next.statement.patch.tail) {
      stored = {
        version,
        list,
        source: { kind: 'copy', jws: next.statement.jws, fetchedAt: next.statement.fetchedAt },
        digests: { digest: next.change.digest, reasonsDigest: next.change.reasonsDigest },
      };
    }
  }
  // A genuine statement of a later version proves this copy outdated.
  for (const statement of statements) {
    const change = statement.patch.changes.get(query.url);
    const later = change ? change.to > version : (statement.patch.current.get(query.url)?.version ?? -1) > version;
    if (later) {
      const named = change ? `version ${change.from} to ${change.to}` : `version ${statement.patch.current.get(query.url)!.version}`;
      return {
        ok: false,
        code: 'ERR_STATUS_PATCH_GAP',
        message: `the issuer's patch of ${formatTime(statement.patch.issuedAt)} names ${named}, but this copy could only be brought to version ${version}: a full copy is needed`,
        base: stored,
      };
    }
  }
  // Freshness: the newest statement of this version.
  let attestedAt = version === base.version ? base.attestedAt : 0;
  let validUntil = version === base.version ? base.validUntil : undefined;
  let freshest: Statement | undefined;
  for (const statement of statements) {
    const change = statement.patch.changes.get(query.url);
    const states = change ? change.to === version : statement.patch.current.get(query.url)?.version === version;
    if (states && statement.patch.issuedAt > attestedAt) {
      attestedAt = statement.patch.issuedAt;
      validUntil = undefined;
      freshest = statement;
    }
  }
  const keep = new Map<string, { jws: string; fetchedAt: string }>();
  for (const s of applied) if (s.patch.tail) keep.set(s.jws, { jws: s.jws, fetchedAt: s.fetchedAt });
  if (freshest) keep.set(freshest.jws, { jws: freshest.jws, fetchedAt: freshest.fetchedAt });
  if (problems.length > 0) notes.push(...problems);
  return { ok: true, list: result(query, base, list, stored, attestedAt, validUntil, [...keep.values()], notes, version) };
}

function result(
  query: ResolveQuery,
  base: Base,
  list: SparseStatusList,
  stored: ResolvedStatusList['base'] | undefined,
  attestedAt: number,
  validUntil: number | undefined,
  keep: ResolvedStatusList['keep'],
  notes: string[],
  version = base.version,
): ResolvedStatusList {
  return {
    url: query.url,
    issuerId: query.issuerId,
    purpose: base.purpose,
    version,
    size: list.size,
    set: list.set,
    ...(list.reasons === undefined ? {} : { reasons: list.reasons }),
    attestedAt,
    validUntil,
    base: stored ?? { version: base.version, list: base.list, source: base.source },
    keep,
    notes,
  };
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Who a URL's pieces say issued it: the signed issuer of each list and patch naming it. */
function issuersOf(sources: StatusSources, url: string): Set<string> {
  const issuers = new Set<string>();
  for (const doc of sources.patches.get(url) ?? []) if (doc.patch) issuers.add(doc.patch.issuerId);
  for (const entry of sources.lists.get(url) ?? []) {
    try {
      const payload = decodeJws(entry.jws, { typ: 'vc+jwt', cty: 'vc', maxLength: 4 * 1024 * 1024 }).payload;
      const issuer = typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer as { id?: unknown } | undefined)?.id;
      if (typeof issuer === 'string') issuers.add(issuer);
    } catch {
      // A list that does not decode names no issuer.
    }
  }
  return issuers;
}

/** Runs `task` over `items`, `limit` at a time (signatures and digests run on WebCrypto's threads meanwhile). */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Checks every patch of the pieces at once, and resolves every list they name: what `prepare` does. */
export async function resolveAll(sources: StatusSources, view: TrustView, genuine = false): Promise<Array<{ url: string; issuerId: string; resolved: ResolvedStatus }>> {
  await mapConcurrently(sources.docs, 32, (doc) => openStatusPatch(doc.jws, view));
  const named = namedStatusLists(sources);
  const resolved = await mapConcurrently(named, 8, (query) => resolveStatus(sources, view, { ...query, ...(genuine ? { genuine } : {}) }));
  return named.map((query, i) => ({ ...query, resolved: resolved[i]! }));
}

/** Every (list URL, issuer) the pieces name: what `resolveStatus` can be asked about. */
export function namedStatusLists(sources: StatusSources): Array<{ url: string; issuerId: string }> {
  const out: Array<{ url: string; issuerId: string }> = [];
  for (const url of sources.urls) for (const issuerId of issuersOf(sources, url)) out.push({ url, issuerId });
  return out;
}

export interface MergeStatusOptions {
  /** Keep only the status data of authorities a directly pinned anchor lists (province-only mode). */
  provinceOnly?: boolean;
  /** Pieces that cannot be checked yet (their issuer is on no accepted list) are kept only from here. */
  newest?: StatusPieces;
}

export interface MergedStatus {
  statusLists: BundleStatusList[];
  statusReasons: BundleStatusReasons[];
  statusPatches: BundleStatusPatch[];
  statusCopies: BundleStatusCopies[];
  /** Lists a patch could not bring up to date (a gap or a mismatch): ask for full copies of these. */
  refetch: string[];
  /** Lists left out in province-only mode. */
  outOfProvince: number;
}

/**
 * What a device keeps of `pieces` (held and fetched together): per list the W3C list or the compact copy
 * at its last cut with what attests it, and the newest patches. See the module comment.
 */
export async function mergeStatusState(pieces: StatusPieces, view: TrustView, options: MergeStatusOptions = {}): Promise<MergedStatus> {
  const sources = statusSources(pieces);
  const newest = options.newest === undefined ? undefined : statusSources(options.newest);
  const statusLists = new Map<string, BundleStatusList>();
  const statusReasons = new Map<string, BundleStatusReasons>();
  const patches = new Map<string, BundleStatusPatch>();
  const groups = new Map<string, BundleStatusCopies>();
  const refetch: string[] = [];
  let outOfProvince = 0;
  const keepPatch = (p: { jws: string; fetchedAt: string }) => patches.set(p.jws, { jws: p.jws, fetchedAt: p.fetchedAt });
  const keepBase = (url: string, base: ResolvedStatusList['base']) => {
    if (base.source.kind === 'list') {
      statusLists.set(base.source.entry.jws, base.source.entry);
      if (base.source.reasons) statusReasons.set(base.source.reasons.jws, base.source.reasons);
    } else {
      const copy = base.source.copy ?? (base.digests ? encodeVerifiedCopy(url, base.list, base.digests) : encodeStatusCopy(url, base.list));
      addCopy(groups, base.source.jws, base.source.fetchedAt, copy);
    }
  };
  // Every patch checked at once (WebCrypto's threads), then every list resolved a few at a time.
  await mapConcurrently(sources.docs, 32, (doc) => openStatusPatch(doc.jws, view));
  const pairs = [...sources.urls].map((url) => ({ url, issuers: issuersOf(sources, url) }));
  const resolvedAll = new Map<string, ResolvedStatus>();
  await mapConcurrently(
    pairs.flatMap(({ url, issuers }) => [...issuers].map((issuerId) => ({ url, issuerId }))),
    8,
    async (query) => resolvedAll.set(`${query.issuerId} ${query.url}`, await resolveStatus(sources, view, { ...query, genuine: true })),
  );
  for (const { url, issuers } of pairs) {
    for (const issuerId of issuers) {
      const acceptance = view.accept({ issuerId, kid: '', issuedAt: 0 });
      const speaker = acceptance.list;
      if (!speaker && !acceptance.ok && (acceptance.code === 'ERR_ISSUER_NOT_LISTED' || acceptance.code === 'ERR_ISSUER_OUT_OF_SCOPE')) {
        // Not checkable yet: kept from the newest fetch only, so nothing accumulates.
        if (newest?.urls.has(url)) {
          for (const entry of newest.lists.get(url) ?? []) statusLists.set(entry.jws, entry);
          for (const doc of newest.patches.get(url) ?? []) if (doc.patch?.issuerId === issuerId) keepPatch(doc);
          for (const { group } of newest.copies.get(url) ?? []) groups.set(group.jws, group);
        }
        continue;
      }
      if (options.provinceOnly && speaker?.federation) {
        outOfProvince++;
        continue;
      }
      const resolved = resolvedAll.get(`${issuerId} ${url}`)!;
      if (!resolved.ok) {
        // Patches of an issuer for a list another issuer's copy holds: another authority's, dropped.
        if (resolved.code === 'ERR_STATUS_LIST_MISSING' && issuers.size > 1) continue;
        if (resolved.code === 'ERR_STATUS_PATCH_GAP' || resolved.code === 'ERR_STATUS_PATCH_MISMATCH' || resolved.code === 'ERR_STATUS_LIST_MISSING') refetch.push(url);
        // Keep the best copy there was and the newest patches: the list stays unknown until a full copy comes.
        if (resolved.base) keepBase(url, resolved.base);
        for (const doc of newestPatches(sources.patches.get(url) ?? [], issuerId)) keepPatch(doc);
        continue;
      }
      keepBase(url, resolved.list.base);
      for (const p of resolved.list.keep) keepPatch(p);
    }
  }
  // A group's patch is kept there; not twice.
  for (const jws of groups.keys()) patches.delete(jws);
  return {
    statusLists: [...statusLists.values()],
    statusReasons: [...statusReasons.values()],
    statusPatches: [...patches.values()],
    statusCopies: [...groups.values()],
    refetch: [...new Set(refetch)],
    outOfProvince,
  };
}

function addCopy(groups: Map<string, BundleStatusCopies>, jws: string, fetchedAt: string, copy: StatusCopyJson): void {
  const group = groups.get(jws);
  if (!group) groups.set(jws, { jws, fetchedAt, lists: [copy] });
  else if (!group.lists.some((l) => l.url === copy.url && l.set === copy.set)) group.lists.push(copy);
}

/** The newest cut and the newest tail of an issuer among `docs`. */
function newestPatches(docs: readonly PatchDoc[], issuerId: string): PatchDoc[] {
  let cut: PatchDoc | undefined;
  let tail: PatchDoc | undefined;
  for (const doc of docs) {
    if (doc.patch?.issuerId !== issuerId) continue;
    if (doc.patch.tail) {
      if (!tail || doc.patch.issuedAt > tail.patch!.issuedAt) tail = doc;
    } else if (!cut || doc.patch.issuedAt > cut.patch!.issuedAt) cut = doc;
  }
  return [cut, tail].filter((d): d is PatchDoc => d !== undefined);
}
