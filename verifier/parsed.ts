/**
 * Parsing a bundle checks every entry's shape, and the status data resolved from it is remembered per
 * parsed bundle: `verify()`, `prepare()` and `freshness()` share one parse per bundle object, so what
 * `prepare()` verified is what the next `verify()` finds.
 */
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { type Outcome, syncOutcomeOf } from '../src/core/memo.js';

const parsedBundles = new WeakMap<object, Outcome<VerifierBundle>>();

export function bundleOf(bundle: unknown): Outcome<VerifierBundle> {
  if (typeof bundle !== 'object' || bundle === null || bundle instanceof Uint8Array) return syncOutcomeOf(() => parseBundle(bundle));
  let parsed = parsedBundles.get(bundle);
  if (!parsed) {
    parsed = syncOutcomeOf(() => parseBundle(bundle));
    parsedBundles.set(bundle, parsed);
  }
  return parsed;
}

/** The parsed bundle, or a throw of its parse error. */
export function parsedBundle(bundle: unknown): VerifierBundle {
  const outcome = bundleOf(bundle);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
