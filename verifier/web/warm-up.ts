/**
 * Verifies the bundle's trust lists and status lists once, right after the bundle is loaded or synced,
 * so the first scan costs one licence signature check instead of every list's. Nothing here decides a
 * verdict, and a failure is simply ignored (the scan will report it).
 */
import { prepare, type VerifierBundle, type VerifyOptions } from '../index.js';

export function warmUp(bundle: VerifierBundle, options: VerifyOptions): Promise<void> {
  return prepare(bundle, options);
}
