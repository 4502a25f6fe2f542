/**
 * Verifies the bundle's trust lists and status lists once, right after the bundle is loaded or synced,
 * so the first scan costs one licence signature check instead of every list's (the library memoises
 * those checks by JWS text). Uses the library's own memoised functions; nothing here decides a verdict,
 * and a failure is simply ignored (the scan will report it).
 */
import type { VerifierBundle } from '../index.js';
import { parseBundle } from '../../src/core/bundle.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_TRUST_LIST_GRACE_SECONDS } from '../options.js';
import { findStatusList } from '../status.js';
import { trustedLists } from '../trust.js';
import type { AnchorKeys } from '../index.js';
import { jwsPayload } from './signed-times.js';

export async function warmUp(bundle: VerifierBundle, anchors: AnchorKeys, minSequences: Readonly<Record<string, number>>): Promise<void> {
  try {
    const parsed = parseBundle(bundle);
    const trust = await trustedLists(parsed, { anchors, now: Date.now(), graceSeconds: DEFAULT_TRUST_LIST_GRACE_SECONDS, skewSeconds: DEFAULT_CLOCK_SKEW_SECONDS, minSequences });
    if (trust.lists.length === 0) return;
    for (const entry of parsed.statusLists) {
      const payload = jwsPayload(entry.jws);
      const issuer = (payload?.issuer as { id?: unknown } | undefined)?.id;
      const purpose = (payload?.credentialSubject as { statusPurpose?: unknown } | undefined)?.statusPurpose;
      if (typeof issuer !== 'string' || (purpose !== 'revocation' && purpose !== 'suspension')) continue;
      await findStatusList(parsed.statusLists, entry.url, purpose, issuer, trust.lists);
    }
  } catch {
    // Warming up is an optimisation only.
  }
}
