/**
 * What `sync` does to a fetched (or merged) bundle before writing it: every piece is verified on its
 * own, with the core functions the offline verifier uses.
 *
 * - Trust lists: signed by a pinned anchor key, or by a key a directly pinned list federates (same
 *   anchor id, key valid at its issuedAt); shape checked.
 * - Status lists: signed by a key that an accepted trust list gives their issuer, valid when signed;
 *   signed `id` equal to the entry's `url`; shape checked.
 * - Status patches and the patches attesting compact copies: the same (their issuer's key, valid at
 *   their `iat`); each copy must have the digest its patch names for it.
 * - Then the status data is brought up to date with the core's one operation (`mergeStatusState`): per
 *   list the W3C list or the copy at its last cut, the newest patches; lists a patch could not bring up
 *   to date are named (`refetch`) for `sync` to ask for.
 *
 * Policy (docs/verifier.md §sync): a piece that fails any of this (forged, malformed, signed by a
 * key nothing pinned vouches for) makes the WHOLE bundle refused (ERR_BUNDLE_REFUSED): nothing is
 * written and the previous file stays, because a bundle that carries one forgery came through a
 * channel that cannot be relied on. So is a trust list older than the sequence already seen (a
 * rollback). Genuine pieces superseded by newer ones (older sequence, older copy of the same status
 * list) are dropped with a note; genuine but expired pieces are kept with a warning (the verifier
 * decides, with its grace period).
 */
import type { BundleStatusCopies, BundleStatusList, BundleStatusPatch, BundleStatusReasons, BundleTrustList, VerifierBundle } from '../../core/bundle.js';
import { formatDateTime } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { decodeJws } from '../../core/jws-verify.js';
import type { ParsedStatusList } from '../../core/status-list.js';
import { issuerKeysFromView, openStatusReasons, STATUS_REASONS_POLICY } from '../../core/status-reasons.js';
import { decodeStatusCopy, sparseDigest } from '../../core/status-set.js';
import { openStatusPatch } from '../../core/trust/status-patches.js';
import { mergeStatusState, namedStatusLists, resolveStatus, statusSources } from '../../core/trust/status-state.js';
import { type AnchorKeys, acceptTrustLists, openStatusList, type TrustView } from '../../core/trust-list.js';

export interface CheckedTrustList {
  anchorId: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  authorities: number;
  vouchedBy?: string;
}

export interface CheckedStatusList {
  url: string;
  issuer: string;
  purpose: string;
  issuedAt: number;
  validUntil?: number;
}

export interface BundleCheck {
  /** The bundle to keep: only verified pieces, newest per anchor / URL. */
  bundle: VerifierBundle;
  trustLists: CheckedTrustList[];
  statusLists: CheckedStatusList[];
  /** Genuine pieces left out because a newer one is kept. */
  dropped: string[];
  /** Genuine pieces kept that a verifier may refuse (expired, issuer not active), and pieces skipped. */
  warnings: string[];
  /** Anchor ids bare pinned keys were bound to (to keep in the state). */
  anchorBindings: Record<string, string>;
  /** Lists no patch could bring up to date: ask for full copies (POST /verifier-bundle/lists). */
  refetch: string[];
  /** Lists left out in province-only mode. */
  outOfProvince: number;
}

export interface CheckOptions {
  anchors: AnchorKeys;
  now: number;
  /** Highest sequence already seen per anchor (from the state file). */
  minSequences: Readonly<Record<string, number>>;
  /** Anchor ids bare pinned keys were bound to earlier (from the state file). */
  anchorBindings?: Readonly<Record<string, string>>;
  /** Keep only the status data of the pinned anchors' own authorities. */
  provinceOnly?: boolean;
}

const describe = (error: unknown): string => (error instanceof ElicenceError ? `${error.code}: ${error.message}` : String(error));

function uniqueByJws<T extends { jws: string }>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.jws) && seen.add(e.jws));
}

/** Newest piece per key; the others are reported as dropped. */
function newestBy<T>(items: readonly T[], keyOf: (item: T) => string, rank: (item: T) => number, name: (item: T) => string, dropped: string[]): T[] {
  const best = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const seen = best.get(key);
    if (!seen || rank(item) > rank(seen)) best.set(key, item);
  }
  const kept = new Set(best.values());
  for (const item of items) if (!kept.has(item)) dropped.push(`${name(item)} (superseded by a newer copy)`);
  return items.filter((item) => kept.has(item));
}

export async function checkBundle(input: VerifierBundle, options: CheckOptions): Promise<BundleCheck> {
  const problems: string[] = [];
  const dropped: string[] = [];
  const warnings: string[] = [];

  // The same trust view the verifier decides with; only the policy on what it refuses differs here.
  const trustEntries = uniqueByJws(input.trustLists);
  const view = await acceptTrustLists(trustEntries, {
    anchors: options.anchors,
    now: options.now,
    minSequences: options.minSequences,
    ...(options.anchorBindings === undefined ? {} : { anchorBindings: options.anchorBindings }),
  });
  const keptTrust: Array<{ entry: BundleTrustList; checked: CheckedTrustList }> = [];
  view.pieces.forEach((piece, index) => {
    const entry = trustEntries[index]!;
    const label = `trust list ${index + 1}${entry.url ? ` (${entry.url})` : ''}`;
    if (piece.status === 'superseded') {
      dropped.push(`trust list ${piece.list.anchorId} #${piece.list.sequence} (superseded by a newer copy)`);
      return;
    }
    if (piece.status === 'refused' && (!piece.genuine || piece.problem.code === 'ERR_TRUST_LIST_REPLAYED' || !piece.list)) {
      problems.push(`${label}: ${piece.problem.code}: ${piece.problem.message}${piece.problem.code === 'ERR_TRUST_LIST_REPLAYED' ? ': a rollback' : ''}`);
      return;
    }
    // Accepted, or genuine but refused by the clock: kept, the verifier decides with its grace period.
    const list = piece.list!;
    if (piece.status === 'refused') warnings.push(`trust list ${list.anchorId} #${list.sequence}: ${piece.problem.code}: ${piece.problem.message}`);
    else if (piece.list.inGrace) warnings.push(`trust list ${list.anchorId} #${list.sequence} expired at ${list.payload.expiresAt} (still in its grace period)`);
    const vouchedBy = piece.status === 'accepted' ? piece.list.federation?.vouchedBy : undefined;
    keptTrust.push({
      entry,
      checked: {
        anchorId: list.anchorId,
        sequence: list.sequence,
        issuedAt: list.payload.issuedAt,
        expiresAt: list.payload.expiresAt,
        authorities: list.authorities.size,
        ...(vouchedBy === undefined ? {} : { vouchedBy }),
      },
    });
  });
  for (const note of view.notes) warnings.push(note);

  const statusPieces: Array<{ entry: BundleStatusList; checked: CheckedStatusList; list: ParsedStatusList }> = [];
  for (const [index, entry] of uniqueByJws(input.statusLists).entries()) {
    const label = `status list ${entry.url}`;
    const opened = await openStatusList(entry.jws, view);
    if (!opened.ok) {
      // An authority the deployment hosts but no accepted list names (not yet registered, or outside a
      // federation scope) cannot be checked: skip its lists, keep the rest. Anything else is a forgery.
      if (opened.error.code === 'ERR_ISSUER_NOT_LISTED' || opened.error.code === 'ERR_ISSUER_OUT_OF_SCOPE') {
        warnings.push(`${label}: skipped, its issuer is not on an accepted trust list (${opened.error.code})`);
      } else {
        problems.push(`${label} (entry ${index + 1}): ${describe(opened.error)}`);
      }
      continue;
    }
    const { list, acceptance } = opened;
    if (list.id !== entry.url) {
      problems.push(`${label} (entry ${index + 1}): ERR_STATUS_LIST_MALFORMED: signed id ${list.id} is not the entry's url`);
      continue;
    }
    if (!acceptance.ok) warnings.push(`${label}: genuine, but ${acceptance.code}: ${acceptance.message}`);
    statusPieces.push({
      entry,
      list,
      checked: { url: entry.url, issuer: list.issuerId, purpose: list.purpose, issuedAt: list.issuedAt, ...(list.validUntil === undefined ? {} : { validUntil: list.validUntil }) },
    });
  }
  const status = newestBy(
    statusPieces,
    (p) => p.entry.url,
    (p) => p.checked.issuedAt,
    (p) => `status list ${p.entry.url} signed ${formatDateTime(p.checked.issuedAt)}`,
    dropped,
  );
  const reasons = await checkReasons(input.statusReasons ?? [], status, view, problems, dropped, warnings);
  const patched = await checkPatches(input.statusPatches ?? [], input.statusCopies ?? [], view, problems, warnings);
  if (problems.length > 0) {
    throw new ElicenceError('ERR_BUNDLE_REFUSED', `bundle refused, nothing written: ${problems.length} piece(s) failed verification:\n  - ${problems.join('\n  - ')}`, {
      details: problems,
    });
  }
  // Verified: now the status data is brought up to date, as the verifier will (the newest copy per list).
  const merged = await mergeStatusState({ statusLists: status.map((p) => p.entry), statusReasons: reasons, statusPatches: patched.patches, statusCopies: patched.copies }, view, {
    provinceOnly: options.provinceOnly === true,
  });
  const kept = { statusLists: merged.statusLists, statusReasons: merged.statusReasons, statusPatches: merged.statusPatches, statusCopies: merged.statusCopies };
  const checkedLists = await checkedStatusLists(kept, view);
  for (const url of merged.refetch) warnings.push(`status list ${url}: no patch brings the copy held up to date; a full copy is needed`);
  for (const { checked } of status) {
    if (checked.validUntil !== undefined && options.now > checked.validUntil) warnings.push(`status list ${checked.url} expired at ${formatDateTime(checked.validUntil)}`);
  }
  return {
    bundle: {
      version: 1,
      generatedAt: input.generatedAt,
      trustLists: keptTrust.map((p) => p.entry),
      statusLists: kept.statusLists,
      ...(kept.statusReasons.length === 0 ? {} : { statusReasons: kept.statusReasons }),
      ...(kept.statusPatches.length === 0 ? {} : { statusPatches: kept.statusPatches }),
      ...(kept.statusCopies.length === 0 ? {} : { statusCopies: kept.statusCopies }),
    },
    trustLists: keptTrust.map((p) => p.checked),
    statusLists: checkedLists,
    dropped,
    warnings,
    anchorBindings: view.anchorBindings,
    refetch: merged.refetch,
    outOfProvince: merged.outOfProvince,
  };
}

/** Every list the kept pieces make usable, as the verifier resolves it. */
async function checkedStatusLists(pieces: Parameters<typeof statusSources>[0], view: TrustView): Promise<CheckedStatusList[]> {
  const sources = statusSources(pieces);
  const out: CheckedStatusList[] = [];
  for (const query of namedStatusLists(sources)) {
    const resolved = await resolveStatus(sources, view, { ...query, genuine: true });
    if (!resolved.ok) continue;
    const list = resolved.list;
    // A copy is bound to its URL only; its purpose is shown from the URL.
    const purpose = list.purpose ?? (/\/suspension\//.test(query.url) ? 'suspension' : /\/revocation\//.test(query.url) ? 'revocation' : 'status');
    out.push({ url: query.url, issuer: query.issuerId, purpose, issuedAt: list.attestedAt, ...(list.validUntil === undefined ? {} : { validUntil: list.validUntil }) });
  }
  return out;
}

/**
 * Status patches and the patches that attest compact copies: each must verify with a key of its
 * issuer (a forgery refuses the bundle; an issuer on no accepted list is skipped with a note), and
 * every copy must have the digest its patch names for it.
 */
async function checkPatches(
  patches: readonly BundleStatusPatch[],
  copies: readonly BundleStatusCopies[],
  view: TrustView,
  problems: string[],
  warnings: string[],
): Promise<{ patches: BundleStatusPatch[]; copies: BundleStatusCopies[] }> {
  const opened = async (jws: string, label: string) => {
    const result = await openStatusPatch(jws, view);
    if (result.ok) {
      if (!result.acceptance.ok) warnings.push(`${label}: genuine, but ${result.acceptance.code}: ${result.acceptance.message}`);
      return result;
    }
    if (result.error.code === 'ERR_ISSUER_NOT_LISTED' || result.error.code === 'ERR_ISSUER_OUT_OF_SCOPE') {
      warnings.push(`${label}: skipped, its issuer is not on an accepted trust list (${result.error.code})`);
    } else {
      problems.push(`${label}: ${describe(result.error)}`);
    }
    return undefined;
  };
  const keptPatches: BundleStatusPatch[] = [];
  for (const [i, entry] of uniqueByJws(patches).entries()) if (await opened(entry.jws, `status patch ${i + 1}`)) keptPatches.push(entry);
  const keptCopies: BundleStatusCopies[] = [];
  for (const [i, group] of copies.entries()) {
    const result = await opened(group.jws, `status copies ${i + 1} (their patch)`);
    if (!result) continue;
    for (const copy of group.lists) {
      const entry = result.patch.changes.get(copy.url) ?? result.patch.current.get(copy.url);
      const decoded = decodeStatusCopy(copy);
      if (!entry?.digest || !decoded || (await sparseDigest(decoded)) !== entry.digest) {
        problems.push(`status copy ${copy.url}: ERR_STATUS_PATCH_MISMATCH: it does not have the digest its patch names for it`);
      }
    }
    keptCopies.push(group);
  }
  return { patches: keptPatches, copies: keptCopies };
}

/**
 * Reasons documents: each is kept only when it opens against the newest kept copy of the list it
 * describes. One for an older version of that list is stale (dropped with a note); one that fails its
 * signature, names another issuer or list, or is malformed is a forgery like any other bad piece.
 */
async function checkReasons(
  entries: readonly BundleStatusReasons[],
  lists: ReadonlyArray<{ list: ParsedStatusList }>,
  view: TrustView,
  problems: string[],
  dropped: string[],
  warnings: string[],
): Promise<BundleStatusReasons[]> {
  const byUrl = new Map(lists.map((p) => [p.list.id, p.list]));
  const kept: BundleStatusReasons[] = [];
  for (const entry of uniqueByJws(entries)) {
    const described = describedList(entry.jws);
    const list = described === undefined ? undefined : byUrl.get(described);
    if (!list) {
      warnings.push(`status reasons ${entry.url}: skipped, the list it describes is not in the bundle or cannot be checked`);
      continue;
    }
    const opened = await openStatusReasons(entry.jws, list, issuerKeysFromView(view, list.issuerId));
    if (opened.ok) kept.push(entry);
    else if (opened.error.code === 'ERR_STATUS_REASONS_STALE') dropped.push(`status reasons ${entry.url} (${opened.error.message})`);
    else problems.push(`status reasons ${entry.url}: ${describe(opened.error)}`);
  }
  return kept;
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

/** A delta merged into the previous bundle: both sets of pieces, pruned later by checkBundle. */
export function mergeBundles(previous: VerifierBundle, delta: VerifierBundle): VerifierBundle {
  return {
    version: 1,
    generatedAt: delta.generatedAt,
    trustLists: [...previous.trustLists, ...delta.trustLists],
    statusLists: [...previous.statusLists, ...delta.statusLists],
    statusReasons: [...(previous.statusReasons ?? []), ...(delta.statusReasons ?? [])],
    statusPatches: [...(previous.statusPatches ?? []), ...(delta.statusPatches ?? [])],
    statusCopies: [...(previous.statusCopies ?? []), ...(delta.statusCopies ?? [])],
  };
}
