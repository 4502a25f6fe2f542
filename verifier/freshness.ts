/**
 * `freshness(bundle, options)`: how old the verified data is, per province (per accepted trust list),
 * for the line an inspector always sees. Computed from the same trust view `verify()` uses, so a forged
 * or refused piece never makes data look fresh; status lists count for the anchor whose list accepts
 * their issuer.
 */

import { namedStatusLists, resolveStatus, statusSources } from '../src/core/trust/status-state.js';
import { acceptTrustLists } from '../src/core/trust-list.js';
import { resolveOptions, type VerifyOptions } from './options.js';
import { parsedBundle } from './parsed.js';

export type FreshnessState = 'fresh' | 'grace' | 'stale' | 'missing';

export interface ProvinceFreshness {
  anchorId: string;
  name: { zh: string; en: string };
  /** The anchor whose federation entry vouched for this one, when it is not pinned directly. */
  vouchedBy?: string;
  sequence: number;
  /** Seconds since the trust list was issued. */
  trustListAge: number;
  trustListState: Exclude<FreshnessState, 'missing'>;
  /** Status lists of this province's authorities, and the age of the oldest (seconds). */
  statusLists: number;
  oldestStatusAge: number | undefined;
  statusState: FreshnessState;
}

export interface BundleFreshness {
  provinces: ProvinceFreshness[];
  /** Why trust lists were refused (expired beyond grace, replayed, unknown key...). */
  problems: Array<{ code: string; message: string }>;
  /** The worst state over every province (missing when no trust list is accepted). */
  state: FreshnessState;
}

const RANK: Record<FreshnessState, number> = { fresh: 0, grace: 1, stale: 2, missing: 3 };

export async function freshness(bundle: unknown, options: VerifyOptions): Promise<BundleFreshness> {
  const resolved = resolveOptions(options);
  const parsed = parsedBundle(bundle);
  const view = await acceptTrustLists(parsed.trustLists, {
    anchors: resolved.anchors,
    now: resolved.now,
    graceSeconds: resolved.graceSeconds,
    skewSeconds: resolved.skewSeconds,
    minSequences: resolved.minSequences,
    anchorBindings: resolved.anchorBindings,
  });
  const status = new Map<string, { count: number; oldest: number; stale: boolean }>();
  const sources = statusSources(parsed);
  for (const query of namedStatusLists(sources)) {
    const acceptance = view.accept({ issuerId: query.issuerId, kid: '', issuedAt: 0 });
    const speaker = acceptance.list;
    if (!speaker || (!acceptance.ok && acceptance.rule === 'issuerListed')) continue;
    const outcome = await resolveStatus(sources, view, query);
    if (!outcome.ok) {
      // A list no patch could bring up to date counts as stale for its province.
      const seen = status.get(speaker.anchorId) ?? { count: 0, oldest: 0, stale: false };
      if (outcome.code !== 'ERR_STATUS_LIST_INVALID') status.set(speaker.anchorId, { ...seen, stale: true });
      continue;
    }
    const list = outcome.list;
    const anchorId = speaker.anchorId;
    const age = (resolved.now - list.attestedAt) / 1000;
    const expired = list.validUntil !== undefined && resolved.now > list.validUntil + resolved.skewSeconds * 1000;
    const seen = status.get(anchorId) ?? { count: 0, oldest: 0, stale: false };
    status.set(anchorId, { count: seen.count + 1, oldest: Math.max(seen.oldest, age), stale: seen.stale || expired || age > resolved.maxStatusAgeSeconds });
  }
  const provinces = view.lists.map((list): ProvinceFreshness => {
    const lists = status.get(list.anchorId);
    return {
      anchorId: list.anchorId,
      name: list.payload.name,
      ...(list.federation ? { vouchedBy: list.federation.vouchedBy } : {}),
      sequence: list.sequence,
      trustListAge: Math.floor((resolved.now - list.issuedAt) / 1000),
      trustListState: list.inGrace ? 'grace' : 'fresh',
      statusLists: lists?.count ?? 0,
      oldestStatusAge: lists === undefined ? undefined : Math.floor(lists.oldest),
      // A province that lists no authority of its own (a national root) has no status lists to miss.
      statusState: lists === undefined ? (list.authorities.size > 0 ? 'missing' : 'fresh') : lists.stale ? 'stale' : 'fresh',
    };
  });
  let state: FreshnessState = provinces.length === 0 ? 'missing' : 'fresh';
  for (const p of provinces) {
    for (const s of [p.trustListState, p.statusState]) if (RANK[s] > RANK[state]) state = s;
  }
  return { provinces, problems: view.problems, state };
}
