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
  'presentation',
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
  | 'ERR_STATUS_INDEX_OUT_OF_RANGE'
  /** A status list a bound copy or authorisation references is issued by another authority. */
  | 'ERR_STATUS_ISSUER_MISMATCH'
  /** A bound copy's own revocation bit: its device was removed. */
  | 'ERR_DEVICE_REMOVED'
  /** An agent authorisation's own revocation bit. */
  | 'ERR_AUTHORISATION_REVOKED'
  /** An agent authorisation for a licence whose identifier names another issuing authority. */
  | 'ERR_AUTHORISATION_FOREIGN_LICENCE'
  /** An agent authorisation whose period runs past its licence's validity or past one year. */
  | 'ERR_AUTHORISATION_PERIOD'
  /** A bound copy past its validUntil (the 30-day binding, renewed while the holder app is online). */
  | 'ERR_BINDING_EXPIRED'
  /** An agent authorisation shown other than live (a static or replayed QR): never accepted. */
  | 'ERR_PRESENTATION_NOT_LIVE'
  /** A live proof that does not verify with the credential's cnf key, or a proof on a credential without one. */
  | 'ERR_PROOF_INVALID'
  /** A valid live proof from a slot outside the window: a copy shown later (or made earlier), not live. */
  | 'ERR_PROOF_OUTSIDE_WINDOW';

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
  /** A bound copy: the licence bound to a holder device (`cnf`); its validity is the binding's (at most 30 days). */
  bound?: true;
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

/**
 * How the credential was shown (docs/verifier.md, "Live presentation"): `live` when a proof by the
 * credential's cnf key for a slot within `liveWindowSeconds` of this verifier's clock verifies (shown
 * from the key holder's device just now; it does not prove the holder is present: a real-time relay
 * cannot be detected offline); `static` for an EL1 QR, a JWS or printout, or a proof outside the window
 * (a screenshot): nothing proves who shows it; `bindingExpired` for a bound copy past its validUntil;
 * `proofFailed` when a proof does not verify (the verdict is then INVALID).
 */
export type Presentation = 'live' | 'static' | 'bindingExpired' | 'proofFailed';

export interface LiveProofInfo {
  slot: number;
  /** The middle of the slot (UTC, whole seconds): when the device says it showed the QR. */
  shownAt: string;
  /** This verifier's clock minus `shownAt`, seconds: positive for a proof from the past, negative from the future. */
  differenceSeconds: number;
  windowSeconds: number;
  /**
   * Set only when this verifier's clock is provably wrong: earlier than the newest signed time in its
   * bundle (a trust list or status list it verified). Otherwise a difference is not blamed on either clock.
   */
  clockBehind?: { newestSignedAt: string };
}

/** What an agent authorisation (授权用证) lets an inspector read; only after its signature verified with a trusted key. */
export interface AuthorisationDisplay {
  id: string;
  company: { name: string; creditCode: string };
  licence: { id: string; identifier: string; type: { code: string; name: { zh: string; en: string } }; validUntil?: string; lastDay?: string };
  agent: { name: string; idNumberMasked: string };
  /** `all`, or the matter codes. */
  matters: 'all' | string[];
  period: { validFrom: string; validUntil: string; firstDay: string; lastDay: string };
  issuer: LicenceDisplay['issuer'];
  issuedAt: string;
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
  /** How it was shown (always present; `static` when nothing was proven live). */
  presentation: Presentation;
  /** The live proof's time against this verifier's clock, when the input carried one (EL2). */
  liveProof?: LiveProofInfo;
  /** A licence or a bound copy of one (`licence.bound`). */
  licence?: LicenceDisplay;
  /** An agent authorisation. */
  authorisation?: AuthorisationDisplay;
  /** Seconds since the oldest status list used was signed. */
  statusAge?: number;
  /** Seconds since the trust list that accepted the issuer was issued. */
  trustListAge?: number;
  /** Every trust list accepted (persist the highest `sequence` per anchor to refuse replays later). */
  trustLists: TrustListUsed[];
  /** Every status list used, with when it was signed (persist the newest per `seenKey` to refuse replays later). */
  statusLists: StatusListUsed[];
  /** The anchor id of each pinned key given without one, by kid (persist, pass back as `anchorBindings`). */
  anchorBindings: Record<string, string>;
}

export interface StatusListUsed {
  url: string;
  /** The issuer whose list it is (the credential's issuer: only its own pieces count). */
  issuerId: string;
  /**
   * The key to persist its time and version under (`statusListsSeen`, `statusVersionsSeen`):
   * `statusSeenKey(issuerId, url)`. Per issuer, so that another authority's pieces naming the same URL
   * (its own licence pointing there) can never raise what is remembered for this issuer's list.
   */
  seenKey: string;
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

/**
 * The key under which a front end remembers a status list it used (`statusListsSeen`,
 * `statusVersionsSeen`): the issuer's id and the list URL. A URL alone is no owner: any listed authority
 * can sign a list, copy or patch naming any URL for its own licences, and must not thereby make another
 * authority's genuine list look like a replay. Keys of a bare URL (states from before) are still read.
 */
export function statusSeenKey(issuerId: string, url: string): string {
  return `${issuerId} ${url}`;
}
