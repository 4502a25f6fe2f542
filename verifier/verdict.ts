/**
 * What the offline verifier returns: a verdict, one entry per check (with a stable code), and the
 * licence's display fields. Precedence between verdicts is argued in docs/verifier.md.
 */
import type { ErrorCode } from '../src/core/errors.js';
import type { StatusReason } from '../src/core/status-reasons.js';

export type Verdict = 'VALID' | 'REVOKED' | 'SUSPENDED' | 'EXPIRED' | 'NOT_YET_VALID' | 'UNTRUSTED_ISSUER' | 'INVALID' | 'STATUS_UNKNOWN';

/** Most severe first: the verdict of a result is the first one any failed check implies. */
export const VERDICT_PRECEDENCE: readonly Verdict[] = ['INVALID', 'UNTRUSTED_ISSUER', 'REVOKED', 'EXPIRED', 'SUSPENDED', 'NOT_YET_VALID', 'STATUS_UNKNOWN', 'VALID'];

/** Checks in the order they are reported. */
export const CHECK_NAMES = [
  'format',
  'algorithm',
  'signature',
  'trustList',
  'issuerListed',
  'keyValid',
  'typeAuthorised',
  'validityWindow',
  'revocation',
  'suspension',
  'statusFreshness',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type CheckResult = 'ok' | 'fail' | 'skip';

/** Codes only the verifier reports (the rest are the core's ErrorCodes). */
export type VerifierCode =
  | 'OK'
  | 'SKIPPED'
  | 'ERR_INPUT'
  | 'ERR_NO_TRUST_LIST'
  | 'ERR_LICENCE_EXPIRED'
  | 'ERR_LICENCE_NOT_YET_VALID'
  | 'ERR_LICENCE_REVOKED'
  | 'ERR_LICENCE_SUSPENDED'
  | 'ERR_STATUS_LIST_MISSING'
  | 'ERR_STATUS_LIST_INVALID'
  | 'ERR_STATUS_LIST_STALE'
  | 'ERR_STATUS_LIST_REPLAYED'
  | 'ERR_STATUS_INDEX_OUT_OF_RANGE';

export type CheckCode = ErrorCode | VerifierCode;

export interface Check {
  name: CheckName;
  result: CheckResult;
  code: CheckCode;
  message: string;
}

export interface LicenceField {
  key: string;
  label: { zh: string; en: string };
  value: unknown;
}

/**
 * Why a licence identifier does not check out (shown flagged beside it; the verdict stands, since the
 * signature covers it): its shape, its ISO 7064 check character, or an issuing authority segment other
 * than the credit code the trust list gives the issuer.
 */
export type IdentifierFlag = 'length' | 'characters' | 'serial' | 'version' | 'check' | 'authority';

/** Display fields; only present when the signature was verified with a trusted issuer key. */
export interface LicenceDisplay {
  id: string;
  /** The licence identifier (证照标识, GB/T 36904), when the credential carries one; `flag` when it does not check out. */
  identifier?: { value: string; flag?: IdentifierFlag };
  type: { code: string; name: { zh: string; en: string } };
  /** The holder's name: the field a built-in type declares (undefined for other types, whose declarations the verifier does not hold). */
  holder: string | undefined;
  /** The subject field `holder` came from. */
  holderField?: string;
  creditCode: string | undefined;
  validFrom: string;
  /** Absent when the licence does not expire (有效期：长期). */
  validUntil?: string;
  /** The China date (UTC+8) of `validFrom`, YYYY-MM-DD: what people read as the first day. */
  firstDay: string;
  /** The China date of `validUntil` minus one second: the last valid day; absent without expiry. */
  lastDay?: string;
  issuedAt: string;
  issuer: { id: string; name: string; listedName?: { zh: string; en: string }; jurisdiction?: string };
  supersedes?: string;
  fields: LicenceField[];
}

export interface TrustListUsed {
  anchorId: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  inGrace: boolean;
  /** Anchor id whose federation entry vouched for this list. */
  vouchedBy?: string;
}

export interface VerifyResult {
  verdict: Verdict;
  /**
   * Which legal act (src/core/status-reasons.ts) when the verdict is REVOKED (`penalty`, `rescinded`,
   * `deregistered`, `superseded`, `other`, or `unspecified` without current signed reasons) or
   * SUSPENDED (`suspended`).
   */
  reason?: StatusReason;
  /** The status data of this licence's authority is not on the device by choice: synced in province-only mode. */
  statusNotSynced?: 'province-only';
  checks: Check[];
  licence?: LicenceDisplay;
  /** Seconds since the oldest status list used was signed. */
  statusAge?: number;
  /** Seconds since the trust list that accepted the issuer was issued. */
  trustListAge?: number;
  /** Every trust list accepted (persist the highest `sequence` per anchor to refuse replays later). */
  trustLists: TrustListUsed[];
  /** Every status list used, with when it was signed (persist the newest per URL to refuse replays later). */
  statusLists: StatusListUsed[];
  /** The anchor id of each pinned key given without one, by kid (persist, pass back as `anchorBindings`). */
  anchorBindings: Record<string, string>;
}

export interface StatusListUsed {
  url: string;
  purpose: 'revocation' | 'suspension';
  /** When the newest statement of the copy used was signed (the list, or a patch attesting its version), ms since the epoch. */
  issuedAt: number;
  /** The list's version (absent for lists signed before versions). */
  version?: number;
}

/** Which verdict a failed check points to. */
export function verdictOf(checks: readonly Check[], implied: ReadonlyMap<CheckName, Verdict>): Verdict {
  let best = VERDICT_PRECEDENCE.length - 1;
  for (const check of checks) {
    if (check.result !== 'fail') continue;
    const verdict = implied.get(check.name);
    if (verdict !== undefined) best = Math.min(best, VERDICT_PRECEDENCE.indexOf(verdict));
  }
  return VERDICT_PRECEDENCE[best]!;
}
