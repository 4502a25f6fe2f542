/**
 * `mergeBundles(previous, delta, options)`: a delta (`?since=`) merged into the bundle a device holds,
 * pruned with the same trust view `verify()` uses: superseded and forged trust lists go; status data is
 * brought up to date by the core's one operation (`mergeStatusState`): per list the W3C list or the
 * compact copy at its last cut with the patch that attests it, plus the newest patches, so nothing
 * accumulates. `mergeBundlesReport` also says which lists a patch could not bring up to date (a gap or
 * a digest that differs): a device asks for full copies of just those (`POST /verifier-bundle/lists`).
 * Pieces whose issuer is on no accepted list yet are kept only from the newest fetch.
 */
import { buildBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { parseDateTimeMs } from '../src/core/dates.js';
import { mergeStatusState } from '../src/core/trust/status-state.js';
import { acceptTrustLists } from '../src/core/trust-list.js';
import { resolveOptions, type VerifyOptions } from './options.js';

function uniqueByJws<T extends { jws: string }>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.jws) && seen.add(e.jws));
}

export interface MergeReport {
  bundle: VerifierBundle;
  /** Status list URLs whose copy no patch could bring up to date: fetch full copies of these. */
  refetch: string[];
  /** Lists left out because `provinceOnly` was set. */
  outOfProvince: number;
}

export async function mergeBundlesReport(previous: unknown, delta: unknown, options: VerifyOptions): Promise<MergeReport> {
  const resolved = resolveOptions(options);
  const base = parseBundle(previous);
  const next = parseBundle(delta);
  const trustLists = uniqueByJws([...base.trustLists, ...next.trustLists]);
  const view = await acceptTrustLists(trustLists, {
    anchors: resolved.anchors,
    now: resolved.now,
    graceSeconds: resolved.graceSeconds,
    skewSeconds: resolved.skewSeconds,
    minSequences: resolved.minSequences,
    anchorBindings: resolved.anchorBindings,
  });
  const keptTrust = trustLists.filter((_, i) => {
    const piece = view.pieces[i]!;
    return piece.status === 'accepted' || (piece.status === 'refused' && piece.genuine);
  });
  const status = await mergeStatusState(
    {
      statusLists: uniqueByJws([...base.statusLists, ...next.statusLists]),
      statusReasons: uniqueByJws([...(base.statusReasons ?? []), ...(next.statusReasons ?? [])]),
      statusPatches: uniqueByJws([...(base.statusPatches ?? []), ...(next.statusPatches ?? [])]),
      statusCopies: [...(base.statusCopies ?? []), ...(next.statusCopies ?? [])],
    },
    view,
    { provinceOnly: resolved.provinceOnly, newest: next },
  );
  const bundle = buildBundle({
    generatedAt: new Date(parseDateTimeMs(next.generatedAt) ?? resolved.now),
    trustLists: keptTrust,
    statusLists: status.statusLists,
    statusReasons: status.statusReasons,
    ...(status.statusPatches.length > 0 ? { statusPatches: status.statusPatches } : {}),
    ...(status.statusCopies.length > 0 ? { statusCopies: status.statusCopies } : {}),
  });
  return { bundle, refetch: status.refetch, outOfProvince: status.outOfProvince };
}

export async function mergeBundles(previous: unknown, delta: unknown, options: VerifyOptions): Promise<VerifierBundle> {
  return (await mergeBundlesReport(previous, delta, options)).bundle;
}
