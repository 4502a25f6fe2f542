/**
 * `prepare(bundle, options)`: verifies a bundle's trust lists and status data once, right after it is
 * loaded or synced, so the first scan costs one licence signature check instead of every list's and
 * patch's (the core memoises those checks by JWS text and key, and the status data it resolves per
 * bundle object). It decides nothing: the next `verify()` does.
 */

import { resolveAll, statusSources } from '../src/core/trust/status-state.js';
import { acceptTrustLists } from '../src/core/trust-list.js';
import { resolveOptions, type VerifyOptions } from './options.js';
import { parsedBundle } from './parsed.js';

export async function prepare(bundle: unknown, options: VerifyOptions): Promise<void> {
  try {
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
    if (view.lists.length === 0) return;
    await resolveAll(statusSources(parsed), view);
  } catch {
    // Preparing is an optimisation only.
  }
}
