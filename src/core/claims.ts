/**
 * JWT claims beside a VC 2.0 credential (W3C VC-JOSE-COSE): a vc+jwt payload is the credential itself,
 * and registered JWT claims that it also carries must say exactly what the credential says, so no
 * consumer reads one validity or identity and another a different one. One function, used by every
 * verifier (the VC API and the offline verifier library).
 */
import { parseDateTimeMs } from './dates.js';
import { ElicenceError } from './errors.js';
import { isRecord } from './strict-json.js';

const mismatch = (claim: string, message: string) => new ElicenceError('ERR_CLAIMS_MISMATCH', `${claim}: ${message}`, { field: claim });

/** `id` of a string-or-object member (`issuer`, a subject), or undefined. */
function idOf(value: unknown): unknown {
  if (typeof value === 'string') return value;
  return isRecord(value) ? value['id'] : undefined;
}

/** A NumericDate claim against a dateTime member: both present, and equal in whole seconds. */
function checkTime(payload: Record<string, unknown>, claim: 'exp' | 'nbf', member: 'validUntil' | 'validFrom'): void {
  const value = payload[claim];
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw mismatch(claim, 'must be a NumericDate (seconds since the epoch)');
  const ms = parseDateTimeMs(payload[member]);
  if (ms === undefined) throw mismatch(claim, `present without a valid ${member}`);
  if (Math.floor(value) !== Math.floor(ms / 1000)) throw mismatch(claim, `${value} is not ${member} (${Math.floor(ms / 1000)})`);
}

/** A string claim against the credential's identifier at the same place. */
function checkId(payload: Record<string, unknown>, claim: 'iss' | 'sub' | 'jti', expected: unknown, member: string): void {
  const value = payload[claim];
  if (value === undefined) return;
  if (typeof value !== 'string') throw mismatch(claim, 'must be a string');
  if (typeof expected !== 'string') throw mismatch(claim, `present without ${member}`);
  if (value !== expected) throw mismatch(claim, `${JSON.stringify(value)} is not ${member} ${JSON.stringify(expected)}`);
}

/**
 * Checks the registered JWT claims of a vc+jwt payload against the credential: `exp` = `validUntil`
 * and `nbf` = `validFrom` (in seconds), `iss` = `issuer.id`, `sub` = `credentialSubject.id`,
 * `jti` = `id`. A claim whose member is missing disagrees. Claims that are absent are not required.
 * `vc` and `vp` claims are refused (VC-JOSE-COSE: the payload is the credential, not a wrapper).
 * Throws ERR_CLAIMS_FORBIDDEN or ERR_CLAIMS_MISMATCH, with `field` naming the claim.
 */
export function checkJwtClaims(payload: Record<string, unknown>): void {
  for (const claim of ['vc', 'vp']) {
    if (claim in payload) throw new ElicenceError('ERR_CLAIMS_FORBIDDEN', `the ${claim} claim is not allowed: the payload is the credential itself`, { field: claim });
  }
  checkTime(payload, 'exp', 'validUntil');
  checkTime(payload, 'nbf', 'validFrom');
  checkId(payload, 'iss', idOf(payload['issuer']), 'issuer.id');
  const subject = payload['credentialSubject'];
  checkId(payload, 'sub', Array.isArray(subject) ? undefined : idOf(subject), 'credentialSubject.id');
  checkId(payload, 'jti', payload['id'], 'id');
}
