/**
 * `mergeBundles(previous, delta, options)`: a delta (`?since=`) merged into the bundle a device holds,
 * pruned with the same trust view `verify()` uses: superseded and forged trust lists go, and per
 * status list URL only the newest copy that verifies stays. A status list that cannot be checked yet
 * (its issuer is not on any accepted list) is kept only from the newest fetch, so nothing accumulates.
 */
import { type BundleStatusList, buildBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { parseDateTimeMs } from '../src/core/dates.js';
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
  const newest = new Map<string, { entry: BundleStatusList; issuedAt: number }>();
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
    if (!held || opened.list.issuedAt > held.issuedAt) newest.set(entry.url, { entry, issuedAt: opened.list.issuedAt });
  }
  const statusLists = [...[...newest.values()].map((n) => n.entry), ...unchecked.filter((e) => !newest.has(e.url))];
  return buildBundle({ generatedAt: new Date(parseDateTimeMs(next.generatedAt) ?? resolved.now), trustLists: keptTrust, statusLists });
}
