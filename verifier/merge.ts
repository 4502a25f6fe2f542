/**
 * `mergeBundles(previous, delta, options)`: a delta (`?since=`) merged into the bundle a device holds,
 * pruned with the same trust view `verify()` uses: superseded and forged trust lists go, and per
 * status list URL only the newest copy that verifies stays. A status list that cannot be checked yet
 * (its issuer is not on any accepted list) is kept only from the newest fetch, so nothing accumulates.
 */
import { type BundleStatusList, type BundleStatusReasons, buildBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { parseDateTimeMs } from '../src/core/dates.js';
import type { ParsedStatusList } from '../src/core/status-list.js';
import { issuerKeysFromView, openStatusReasons } from '../src/core/status-reasons.js';
import { acceptTrustLists, openStatusList } from '../src/core/trust-list.js';
import { resolveOptions, type VerifyOptions } from './options.js';

function uniqueByJws<T extends { jws: string }>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.jws) && seen.add(e.jws));
}

export async function mergeBundles(previous: unknown, delta: unknown, options: VerifyOptions): Promise<VerifierBundle> {
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
  const newest = new Map<string, { entry: BundleStatusList; issuedAt: number; list: ParsedStatusList }>();
  const unchecked: BundleStatusList[] = [];
  const fromDelta = new Set(next.statusLists.map((e) => e.jws));
  for (const entry of uniqueByJws([...base.statusLists, ...next.statusLists])) {
    const opened = await openStatusList(entry.jws, view);
    if (!opened.ok) {
      if (fromDelta.has(entry.jws) && opened.error.code !== 'ERR_JWS_SIGNATURE') unchecked.push(entry);
      continue;
    }
    if (opened.list.id !== entry.url) continue;
    const held = newest.get(entry.url);
    if (!held || opened.list.issuedAt > held.issuedAt) newest.set(entry.url, { entry, issuedAt: opened.list.issuedAt, list: opened.list });
  }
  const statusLists = [...[...newest.values()].map((n) => n.entry), ...unchecked.filter((e) => !newest.has(e.url))];
  // Reasons documents that describe the kept copy of their list; the newest fetch's others wait for theirs.
  const fromDeltaReasons = new Set((next.statusReasons ?? []).map((e) => e.jws));
  const revocationLists = [...newest.values()].filter((n) => n.list.purpose === 'revocation');
  const statusReasons: BundleStatusReasons[] = [];
  for (const entry of uniqueByJws([...(base.statusReasons ?? []), ...(next.statusReasons ?? [])])) {
    const opened = await Promise.all(revocationLists.map((n) => openStatusReasons(entry.jws, n.list, issuerKeysFromView(view, n.list.issuerId))));
    if (opened.some((o) => o.ok) || (fromDeltaReasons.has(entry.jws) && revocationLists.length === 0)) statusReasons.push(entry);
  }
  return buildBundle({ generatedAt: new Date(parseDateTimeMs(next.generatedAt) ?? resolved.now), trustLists: keptTrust, statusLists, statusReasons });
}
