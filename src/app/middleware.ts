/** Request guards shared by every route: JSON bodies, body size, bearer-token authentication. */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ElicenceError } from '../core/errors.js';
import { parseStrictJson } from '../core/strict-json.js';
import { type Action, authenticate, requireAction } from '../services/tokens.js';
import type { AppEnv } from './env.js';

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Refuses bodies over `maxSize`. A declared Content-Length is checked from the header alone (so the
 * Node adapter keeps its fast path and never builds a stream for the body); only a body of unknown
 * length (chunked) is counted while it streams in. GET and HEAD carry no body.
 */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new ElicenceError('ERR_BODY_TOO_LARGE', `request body must be at most ${maxSize} bytes`);
  };
  const streaming = bodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (!/^\d{1,15}$/.test(length)) throw new ElicenceError('ERR_VALIDATION', 'Content-Length is not a number', { field: 'Content-Length' });
      return Number(length) > maxSize ? tooLarge() : next();
    }
    return streaming(c, next);
  };
}

/**
 * Bodies of POST/PUT/PATCH must be JSON: a wrong content type is 415, unparsable JSON is 400, and so
 * is an object that repeats a key (ERR_JSON_DUPLICATE_KEY): parsers disagree on which one counts, so a
 * gateway and this service could read two different requests in one body. The parsed body is cached
 * on the request, so the route's validator reads it without parsing twice. An empty body is allowed
 * through (routes that need one say so).
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return next();
  const contentType = c.req.header('content-type');
  const length = c.req.header('content-length');
  if (!contentType && (length === undefined || length === '0')) return next();
  if (!contentType || !JSON_TYPE.test(contentType)) {
    throw new ElicenceError('ERR_UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json', { field: 'Content-Type' });
  }
  const text = await c.req.text();
  // Parsed once here, strictly; the validators' c.req.json() gets this very value.
  c.req.bodyCache.json = Promise.resolve(parseStrictJson(text, 'ERR_BAD_JSON'));
  return next();
};

/** Resolves `Authorization: Bearer <token>` to a principal; 401 when missing or unknown. */
export const requireToken: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization');
  const match = header && /^Bearer\s+([A-Za-z0-9._~+/=-]{1,512})\s*$/i.exec(header);
  if (!match) throw new ElicenceError('ERR_UNAUTHENTICATED', 'an agency bearer token is required (Authorization: Bearer <token>)');
  const principal = await authenticate(c.var.services.store.db, match[1]!);
  if (!principal) throw new ElicenceError('ERR_UNAUTHENTICATED', 'the bearer token is unknown or revoked');
  c.set('principal', principal);
  return next();
};

/** Route guard: the token must carry `action`. */
export const requireScope =
  (action: Action): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    requireAction(c.var.principal, action);
    return next();
  };
