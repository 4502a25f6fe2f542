/**
 * `prepare(bundle, options)`: verifies a bundle's trust lists and status lists once, right after it is
 * loaded or synced, so the first scan costs one licence signature check instead of every list's (the
 * core memoises those checks by JWS text and key). It decides nothing: the next `verify()` does.
 */
import { parseBundle } from '../src/core/bundle.js';
import { acceptTrustLists, openStatusList } from '../src/core/trust-list.js';
import { resolveOptions, type VerifyOptions } from './options.js';

export async function prepare(bundle: unknown, options: VerifyOptions): Promise<void> {
  try {
    const resolved = resolveOptions(options);
    const parsed = parseBundle(bundle);
    const view = await acceptTrustLists(parsed.trustLists, {
      anchors: resolved.anchors,
      now: resolved.now,
      graceSeconds: resolved.graceSeconds,
      skewSeconds: resolved.skewSeconds,
      minSequences: resolved.minSequences,
      anchorBindings: resolved.anchorBindings,
    });
    if (view.lists.length === 0) return;
    for (const entry of parsed.statusLists) await openStatusList(entry.jws, view);
  } catch {
    // Preparing is an optimisation only.
  }
}
