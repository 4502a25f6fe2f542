/** Options of `verify()`: every policy knob passed per call, with documented defaults (docs/verifier.md). */
import type { AnchorKeys } from '../src/core/trust-list.js';

export interface VerifyOptions {
  /**
   * Pinned trust anchors (docs/trust-list.md): `{ anchorId, keys }` as served at
   * /.well-known/trust-anchor.json, `[{ id, keys }]`, or a bare JWKS / array of JWKs. Keys come from
   * nowhere else, and each counts only for its anchor id.
   */
  anchors: AnchorKeys;
  /** Verification time (default: the current time). */
  now?: Date | number;
  /** Tolerated clock difference, seconds (default 300). */
  clockSkewSeconds?: number;
  /**
   * How far the middle of a live proof's 30-second slot may be from this verifier's clock, seconds
   * (default 90), for the presentation to count as `live`. Independent of `clockSkewSeconds`.
   */
  liveWindowSeconds?: number;
  /** Oldest acceptable status list, seconds since it was signed (default 86,400). */
  maxStatusAgeSeconds?: number;
  /** How long after its expiry a trust list is still accepted, seconds (default 86,400). */
  trustListGraceSeconds?: number;
  /** Highest trust list sequence already seen, per anchor id: older lists are refused as replays. */
  trustListSequences?: Readonly<Record<string, number>>;
  /**
   * Newest status list already seen, per `statusLists[].seenKey` of an earlier result (issuer and list
   * URL; ms since the epoch it was signed): an older copy of that list is refused as a replay. A key
   * that is a bare URL (states from before) counts for that URL whoever the issuer.
   */
  statusListsSeen?: Readonly<Record<string, number>>;
  /**
   * Highest version already seen, per `statusLists[].seenKey` (as returned in `statusLists[].version` of an
   * earlier result): a copy of a lower version is refused as a replay, so a replayed patch can never
   * move a list back (a reinstated licence stays reinstated).
   */
  statusVersionsSeen?: Readonly<Record<string, number>>;
  /**
   * The device syncs only the status data of its pinned anchors' own authorities (province-only mode):
   * a licence from elsewhere says so (ERR_STATUS_LIST_MISSING, "not synced in province-only mode").
   */
  provinceOnly?: boolean;
  /**
   * Anchor ids that pinned keys given without one were bound to earlier, by kid (as returned in
   * `anchorBindings` of an earlier result): a bare key set keeps speaking for the same anchor.
   */
  anchorBindings?: Readonly<Record<string, string>>;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_MAX_STATUS_AGE_SECONDS = 86_400;
export const DEFAULT_TRUST_LIST_GRACE_SECONDS = 86_400;
export const DEFAULT_LIVE_WINDOW_SECONDS = 90;

export interface ResolvedOptions {
  anchors: AnchorKeys;
  now: number;
  skewSeconds: number;
  liveWindowSeconds: number;
  maxStatusAgeSeconds: number;
  graceSeconds: number;
  minSequences: Readonly<Record<string, number>>;
  statusListsSeen: Readonly<Record<string, number>>;
  statusVersionsSeen: Readonly<Record<string, number>>;
  provinceOnly: boolean;
  anchorBindings: Readonly<Record<string, string>>;
}

function seconds(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number of seconds`);
  return value;
}

/** Fills defaults; throws TypeError on nonsense (verify() turns that into a verdict). */
export function resolveOptions(options: VerifyOptions | undefined): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options with anchors are required');
  const now = options.now === undefined ? Date.now() : options.now instanceof Date ? options.now.getTime() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('now must be a valid time');
  return {
    anchors: options.anchors,
    now,
    skewSeconds: seconds(options.clockSkewSeconds, DEFAULT_CLOCK_SKEW_SECONDS, 'clockSkewSeconds'),
    liveWindowSeconds: seconds(options.liveWindowSeconds, DEFAULT_LIVE_WINDOW_SECONDS, 'liveWindowSeconds'),
    maxStatusAgeSeconds: seconds(options.maxStatusAgeSeconds, DEFAULT_MAX_STATUS_AGE_SECONDS, 'maxStatusAgeSeconds'),
    graceSeconds: seconds(options.trustListGraceSeconds, DEFAULT_TRUST_LIST_GRACE_SECONDS, 'trustListGraceSeconds'),
    minSequences: options.trustListSequences ?? {},
    statusListsSeen: options.statusListsSeen ?? {},
    statusVersionsSeen: options.statusVersionsSeen ?? {},
    provinceOnly: options.provinceOnly === true,
    anchorBindings: options.anchorBindings ?? {},
  };
}
