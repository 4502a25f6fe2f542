/**
 * The offline verifier library: `verify()`, its result types, and the words every front end shows a
 * result in (messages.ts). Imports the pure core only.
 */
export { verify } from './verify.js';
export { prepare } from './prepare.js';
export { mergeBundles } from './merge.js';
export { freshness, type BundleFreshness, type FreshnessState, type ProvinceFreshness } from './freshness.js';
export {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_STATUS_AGE_SECONDS,
  DEFAULT_TRUST_LIST_GRACE_SECONDS,
  type VerifyOptions,
} from './options.js';
export {
  CHECK_NAMES,
  VERDICT_PRECEDENCE,
  type Check,
  type CheckCode,
  type CheckName,
  type CheckResult,
  type LicenceDisplay,
  type LicenceField,
  type TrustListUsed,
  type StatusListUsed,
  type Verdict,
  type VerifierCode,
  type VerifyResult,
} from './verdict.js';
export { MESSAGES, ageText, durationText, reasonOf, type Lang, type Messages } from './messages.js';
export { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
export { readPinnedAnchors, type AnchorKeys } from '../src/core/trust-list.js';
export type { JWK } from 'jose';
// Small helpers the front ends share with the core, so they need not reach into it.
export { calendarDateAt, formatDate, parseDateTimeMs } from '../src/core/dates.js';
