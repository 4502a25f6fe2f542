/**
 * Exit codes of `verify` and `sync` (documented in docs/verifier.md §Command line). 0 only for a
 * VALID licence or a successful sync; one code per verdict; the rest follow BSD sysexits.h.
 */

import type { Verdict } from '../../../verifier/index.js';
import type { ElicenceError } from '../../core/errors.js';
import { WRITE_FAILURE } from './files.js';

export const VERDICT_EXIT_CODES: Readonly<Record<Verdict, number>> = {
  VALID: 0,
  REVOKED: 10,
  SUSPENDED: 11,
  EXPIRED: 12,
  NOT_YET_VALID: 13,
  UNTRUSTED_ISSUER: 14,
  INVALID: 15,
  STATUS_UNKNOWN: 16,
};

export const EXIT = {
  ok: 0,
  /** Bad command line. */
  usage: 64,
  /** A file or response whose content is unusable: no QR in the image, a bad JWKS or state file, a refused bundle. */
  dataError: 65,
  /** A file that is missing, not a regular file, too large or unreadable. */
  noInput: 66,
  /** Network or HTTP failure during sync. */
  unavailable: 69,
  /** A bug. */
  internal: 70,
  /** The output or state file could not be written. */
  cannotCreate: 73,
} as const;

/** Exit code for a typed error raised before or after verification. */
export function exitCodeOf(error: ElicenceError): number {
  if (error.details === WRITE_FAILURE) return EXIT.cannotCreate;
  switch (error.code) {
    case 'ERR_FILE_NOT_FOUND':
    case 'ERR_FILE_NOT_REGULAR':
    case 'ERR_FILE_TOO_LARGE':
    case 'ERR_FILE_UNREADABLE':
      return EXIT.noInput;
    case 'ERR_FETCH_FAILED':
      return EXIT.unavailable;
    case 'ERR_INTERNAL':
      return EXIT.internal;
    default:
      return EXIT.dataError;
  }
}
