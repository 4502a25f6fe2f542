/**
 * Typed errors for the whole project. Every failure carries a stable machine-readable `code`;
 * callers branch on the code, never on the message. HTTP mapping lives in one place (src/app/errors.ts).
 */

export type ErrorCode =
  // request shape
  | 'ERR_BAD_JSON'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_VALIDATION'
  | 'ERR_UNKNOWN_FIELD'
  | 'ERR_INVALID_DATE'
  | 'ERR_VALIDITY_WINDOW'
  | 'ERR_CREDIT_CODE'
  | 'ERR_UNKNOWN_LICENCE_TYPE'
  | 'ERR_LICENCE_TYPE_EXISTS'
  | 'ERR_INVALID_SCHEMA'
  | 'ERR_INVALID_CREDENTIAL'
  | 'ERR_BAD_CURSOR'
  // auth
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_RATE_LIMITED'
  // resources and state
  | 'ERR_NOT_FOUND'
  | 'ERR_IDEMPOTENCY_CONFLICT'
  | 'ERR_ILLEGAL_TRANSITION'
  | 'ERR_CONFLICT'
  | 'ERR_NO_ACTIVE_KEY'
  | 'ERR_KEY_GENERATION_UNSUPPORTED'
  | 'ERR_STATUS_LIST_FULL'
  | 'ERR_BATCH_FAILED'
  | 'ERR_DUPLICATE_ACTIVE'
  // licence identifiers (证照标识, GB/T 36904): one typed in that fails its check; one that cannot be assigned
  | 'ERR_LICENCE_IDENTIFIER'
  | 'ERR_IDENTIFIER_UNAVAILABLE'
  // formats (JWS, QR, status lists, trust lists, bundles)
  | 'ERR_JWS_MALFORMED'
  | 'ERR_JWS_ALGORITHM'
  | 'ERR_JWS_HEADER'
  | 'ERR_JWS_SIGNATURE'
  | 'ERR_JSON_DUPLICATE_KEY'
  | 'ERR_QR_PREFIX'
  | 'ERR_QR_CHARACTERS'
  | 'ERR_QR_TRUNCATED'
  | 'ERR_QR_CORRUPT'
  | 'ERR_QR_TOO_LARGE'
  | 'ERR_STATUS_LIST_MALFORMED'
  | 'ERR_STATUS_PATCH_MALFORMED'
  | 'ERR_STATUS_PATCH_MISMATCH'
  | 'ERR_STATUS_PATCH_GAP'
  | 'ERR_TRUST_LIST_MALFORMED'
  | 'ERR_BUNDLE_MALFORMED'
  | 'ERR_STATUS_REASONS_MALFORMED'
  | 'ERR_STATUS_REASONS_MISMATCH'
  | 'ERR_STATUS_REASONS_STALE'
  | 'ERR_TRUST_ANCHOR_UNKNOWN'
  | 'ERR_TRUST_LIST_EXPIRED'
  | 'ERR_TRUST_LIST_NOT_YET_VALID'
  | 'ERR_TRUST_LIST_REPLAYED'
  | 'ERR_ISSUER_NOT_LISTED'
  | 'ERR_ISSUER_SUSPENDED'
  | 'ERR_ISSUER_WITHDRAWN'
  | 'ERR_ISSUER_OUT_OF_SCOPE'
  | 'ERR_KEY_UNKNOWN'
  | 'ERR_KEY_NOT_VALID_AT_IAT'
  | 'ERR_TYPE_NOT_AUTHORISED'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWKS_PRIVATE_KEY'
  | 'ERR_JWKS_FETCH_FAILED'
  | 'ERR_IMPORT_FILE'
  | 'ERR_IMPORT_ENCODING'
  | 'ERR_IMPORT_COLUMNS'
  | 'ERR_IMPORT_DUPLICATE_ROW'
  | 'ERR_LICENCE_EXPIRED'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_FILE_NOT_REGULAR'
  | 'ERR_FILE_TOO_LARGE'
  | 'ERR_FILE_UNREADABLE'
  | 'ERR_IMAGE_UNREADABLE'
  | 'ERR_QR_NOT_FOUND'
  | 'ERR_FETCH_FAILED'
  | 'ERR_BUNDLE_REFUSED'
  // JWT claims beside the credential, nesting, presentations
  | 'ERR_CLAIMS_MISMATCH'
  | 'ERR_CLAIMS_FORBIDDEN'
  | 'ERR_JSON_TOO_DEEP'
  | 'ERR_INVALID_PRESENTATION'
  | 'ERR_HOLDER_KEY_UNRESOLVABLE'
  // holder devices, bound copies, agent authorisations
  | 'ERR_DEVICE_KEY'
  | 'ERR_DEVICE_LIMIT'
  | 'ERR_LICENCE_NOT_CURRENT'
  | 'ERR_LICENCE_WITHOUT_IDENTIFIER'
  // everything else
  | 'ERR_INTERNAL';

export interface ElicenceErrorOptions {
  field?: string;
  cause?: unknown;
  /** Extra machine-readable detail, e.g. per-item errors of a batch. */
  details?: unknown;
}

export class ElicenceError extends Error {
  override readonly name = 'ElicenceError';
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: ElicenceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }
}

export function isElicenceError(value: unknown): value is ElicenceError {
  return value instanceof ElicenceError;
}
