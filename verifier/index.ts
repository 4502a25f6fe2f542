/**
 * The offline verifier library: `verify()`, its result types, and the words every front end shows a
 * result in (messages.ts). Imports the pure core only.
 */

export type { JWK } from 'jose';
export { packBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
export { type AnchorKeys, readPinnedAnchors } from '../src/core/trust-list.js';
export { type BundleFreshness, type FreshnessState, freshness, type ProvinceFreshness } from './freshness.js';
export { type MergeReport, mergeBundles, mergeBundlesReport } from './merge.js';
export { ageText, durationText, type Lang, MESSAGES, type Messages, reasonOf } from './messages.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_LIVE_WINDOW_SECONDS,
  DEFAULT_MAX_STATUS_AGE_SECONDS,
  DEFAULT_TRUST_LIST_GRACE_SECONDS,
  type VerifyOptions,
} from './options.js';
export { prepare } from './prepare.js';
export {
  type AuthorisationDisplay,
  CHECK_NAMES,
  type Check,
  type CheckCode,
  type CheckName,
  type CheckResult,
  type LicenceDisplay,
  type LicenceField,
  type LiveProofInfo,
  type Presentation,
  type StatusListUsed,
  statusSeenKey,
  type TrustListUsed,
  VERDICT_PRECEDENCE,
  type Verdict,
  type VerifierCode,
  type VerifyResult,
} from './verdict.js';
export { verify } from './verify.js';
