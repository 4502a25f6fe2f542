/** The one place where typed errors become HTTP responses: `{ "error": { "code", "message", "field"? } }`. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { ElicenceError, type ErrorCode } from '../core/errors.js';

/** Codes not listed are about a bad input (a malformed token, list or bundle): 400. */
const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  ERR_BAD_JSON: 400,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_BODY_TOO_LARGE: 413,
  ERR_VALIDATION: 400,
  ERR_UNKNOWN_FIELD: 400,
  ERR_INVALID_DATE: 400,
  ERR_VALIDITY_WINDOW: 400,
  ERR_CREDIT_CODE: 400,
  ERR_UNKNOWN_LICENCE_TYPE: 400,
  ERR_LICENCE_TYPE_EXISTS: 409,
  ERR_INVALID_SCHEMA: 400,
  ERR_INVALID_CREDENTIAL: 400,
  ERR_BAD_CURSOR: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_RATE_LIMITED: 429,
  ERR_NOT_FOUND: 404,
  ERR_IDEMPOTENCY_CONFLICT: 409,
  ERR_ILLEGAL_TRANSITION: 409,
  ERR_CONFLICT: 409,
  ERR_NO_ACTIVE_KEY: 503,
  ERR_JWKS_FETCH_FAILED: 502,
  ERR_KEY_GENERATION_UNSUPPORTED: 501,
  ERR_STATUS_LIST_FULL: 503,
  ERR_BATCH_FAILED: 400,
  ERR_DUPLICATE_ACTIVE: 409,
  ERR_LICENCE_IDENTIFIER: 400,
  ERR_IDENTIFIER_UNAVAILABLE: 409,
  ERR_JWS_MALFORMED: 400,
  ERR_JWS_ALGORITHM: 400,
  ERR_JWS_HEADER: 400,
  ERR_JWS_SIGNATURE: 400,
  ERR_JSON_DUPLICATE_KEY: 400,
  ERR_QR_PREFIX: 400,
  ERR_QR_CHARACTERS: 400,
  ERR_QR_TRUNCATED: 400,
  ERR_QR_CORRUPT: 400,
  ERR_QR_TOO_LARGE: 400,
  ERR_STATUS_LIST_MALFORMED: 400,
  ERR_TRUST_LIST_MALFORMED: 400,
  ERR_BUNDLE_MALFORMED: 400,
  ERR_JSON_TOO_DEEP: 400,
  ERR_INVALID_PRESENTATION: 400,
  ERR_FETCH_FAILED: 502,
  ERR_TYPE_NOT_AUTHORISED: 403,
  ERR_DEVICE_KEY: 400,
  ERR_DEVICE_LIMIT: 409,
  ERR_LICENCE_NOT_CURRENT: 409,
  ERR_LICENCE_WITHOUT_IDENTIFIER: 409,
  ERR_INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? 400;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; details?: unknown };
}

export function errorBody(error: ElicenceError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field === undefined ? {} : { field: error.field }),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

/** Converts anything thrown into a typed error; unknown failures become ERR_INTERNAL without leaking detail. */
export function toElicenceError(error: unknown): ElicenceError {
  if (error instanceof ElicenceError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new ElicenceError('ERR_BODY_TOO_LARGE', 'request body is too large');
    if (error.status === 400) return new ElicenceError('ERR_BAD_JSON', error.message || 'malformed request body');
  }
  return new ElicenceError('ERR_INTERNAL', 'internal error', { cause: error });
}

export function errorResponse(c: Context, thrown: unknown): Response {
  const error = toElicenceError(thrown);
  const status = httpStatusOf(error.code);
  // Upstream failures (502) are the other side's problem: one line. Our own failures: the whole cause.
  if (status === 502) console.warn(`[${error.code}] ${c.req.method} ${c.req.path}: ${error.message}`);
  else if (status >= 500) console.error(`[${error.code}] ${c.req.method} ${c.req.path}`, error.cause ?? error);
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="elicence"');
  return c.json(errorBody(error), status);
}

/** Turns a zod failure into the typed error of the first issue, naming its field. */
export function validationError(error: ZodError, target: string): ElicenceError {
  const issue = error.issues[0];
  const path =
    issue?.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '') ?? '';
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const field = path ? `${path}.${key}` : key;
    return new ElicenceError('ERR_UNKNOWN_FIELD', `unknown field "${key}"`, { field: target === 'header' ? key : field });
  }
  if (target === 'json' && issue?.code === 'invalid_type' && path === '') {
    return new ElicenceError('ERR_VALIDATION', 'request body must be a JSON object', { field: 'body' });
  }
  return new ElicenceError('ERR_VALIDATION', issue?.message ?? 'invalid request', { field: path || target });
}
