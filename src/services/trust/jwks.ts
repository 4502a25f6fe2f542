/**
 * Authorities' public keys as they come in: a JWKS or did:web document fetched over the network
 * (`fetchJwks`) or read from a file (`parseJwksText`), then checked key by key (`publicKeysFromJwks`).
 */
import type { JWK } from 'jose';
import { algorithmForJwk, checkPublicJwk, PRIVATE_JWK_MEMBERS, SIGNING_ALGORITHMS } from '../../core/algorithms.js';
import { readStreamCapped } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import { jwkThumbprint } from '../../core/jws-sign.js';
import { isRecord } from '../../core/strict-json.js';

const MAX_JWKS_BYTES = 256 * 1024;
/** Most keys in one key set, and in one authority's register entry. */
export const MAX_KEYS = 32;
export const FETCH_TIMEOUT_MS = 10_000;

export function jwksError(message: string, field: string): ElicenceError {
  return new ElicenceError('ERR_JWKS_INVALID', message, { field });
}

/**
 * Public signing keys from a JWKS (`{ keys: [...] }`) or a did:web document (`verificationMethod[].
 * publicKeyJwk`). Refuses the whole set if any key carries private material (ERR_JWKS_PRIVATE_KEY);
 * refuses keys of algorithms outside the algorithm table, off their curve, or whose `kid` is not their RFC 7638
 * thumbprint, since licences name their key by that thumbprint (ERR_JWKS_INVALID).
 */
export async function publicKeysFromJwks(document: unknown, field = 'jwks'): Promise<Array<JWK & { kid: string }>> {
  let raw: unknown[];
  if (isRecord(document) && Array.isArray(document.keys)) raw = document.keys;
  else if (isRecord(document) && Array.isArray(document.verificationMethod)) {
    raw = document.verificationMethod.map((m) => (isRecord(m) ? m.publicKeyJwk : undefined));
  } else throw jwksError('expected a JWKS ({ "keys": [...] }) or a did:web document', field);
  if (raw.length === 0) throw jwksError('the key set is empty', field);
  if (raw.length > MAX_KEYS) throw jwksError(`at most ${MAX_KEYS} keys`, field);
  // Private material anywhere refuses everything: whoever sent it has leaked it, and must rotate.
  raw.forEach((key, i) => {
    const member = isRecord(key) ? PRIVATE_JWK_MEMBERS.find((m) => m in key) : undefined;
    if (member) {
      throw new ElicenceError('ERR_JWKS_PRIVATE_KEY', `key ${i} contains private key material ("${member}"); submit public keys only and treat this key as compromised`, {
        field: `${field}.keys[${i}].${member}`,
      });
    }
  });
  const keys = new Map<string, JWK & { kid: string }>();
  for (let i = 0; i < raw.length; i++) {
    const key = raw[i];
    const at = `${field}.keys[${i}]`;
    if (!isRecord(key)) throw jwksError('must be a JWK object', at);
    if (key.use !== undefined && key.use !== 'sig') throw jwksError('"use" must be "sig"', `${at}.use`);
    const known = algorithmForJwk(key);
    if (known && key.alg !== undefined && key.alg !== known.alg) throw jwksError(`"alg" must be ${known.alg}`, `${at}.alg`);
    const checked = checkPublicJwk(key);
    if (!checked.ok) {
      if (checked.problem === 'unknown-algorithm') throw jwksError(`only keys of ${SIGNING_ALGORITHMS.join(', ')} are accepted (with a matching "alg" when present)`, at);
      throw jwksError('not a usable public key (coordinates)', at);
    }
    // Licences name their key by thumbprint, and a verifier imports it: it must be a point on the curve.
    if (!checked.algorithm.isPoint(checked.jwk)) throw jwksError('not a usable public key (not a point on the curve)', at);
    const jwk = checked.jwk;
    const kid = await jwkThumbprint(jwk);
    if (key.kid !== undefined && key.kid !== kid) throw jwksError(`"kid" must be the key's RFC 7638 thumbprint ${kid}`, `${at}.kid`);
    keys.set(kid, { ...jwk, kid });
  }
  return [...keys.values()];
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A URL this service may fetch from another deployment: absolute, https (plain http only on loopback),
 * without user name or password. ERR_VALIDATION naming `field` otherwise.
 */
export function checkFetchUrl(url: string, field: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ElicenceError('ERR_VALIDATION', `${field} must be an absolute URL`, { field });
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname))) {
    throw new ElicenceError('ERR_VALIDATION', `${field} must use https (http only for localhost)`, { field });
  }
  if (parsed.username || parsed.password) throw new ElicenceError('ERR_VALIDATION', `${field} must not carry a user name or password`, { field });
  return parsed;
}

/**
 * GET without following redirects, on every runtime: Workers refuse `redirect: 'error'`, so this asks
 * for `manual` and treats any redirect answer as a failure (ERR_FETCH_FAILED naming the URL). A
 * redirect could lead another deployment's fetch anywhere, loopback included.
 */
export async function fetchNoRedirect(fetchImpl: typeof fetch, url: URL, init: Omit<RequestInit, 'redirect'>): Promise<Response> {
  const response = await fetchImpl(url, { ...init, redirect: 'manual' });
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400 && response.status !== 304)) {
    await response.body?.cancel();
    throw new ElicenceError(
      'ERR_FETCH_FAILED',
      `GET ${url.href} answered a redirect (${response.status}${response.headers.get('location') ? ` to ${response.headers.get('location')}` : ''}), which is not followed`,
    );
  }
  return response;
}

/** Fetches a JWKS or did:web document over HTTPS (plain HTTP only on loopback), with size and time limits. */
export async function fetchJwks(url: string, fetchImpl: typeof fetch = fetch): Promise<unknown> {
  const parsed = checkFetchUrl(url, 'jwksUrl');
  let text: string;
  try {
    const response = await fetchNoRedirect(fetchImpl, parsed, {
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      headers: { accept: 'application/json, application/jwk-set+json, application/did+json' },
    });
    if (!response.ok) throw new ElicenceError('ERR_JWKS_FETCH_FAILED', `GET ${url} answered ${response.status}`, { field: 'jwksUrl' });
    const bytes = response.body ? await readStreamCapped(response.body, MAX_JWKS_BYTES) : new Uint8Array(0);
    if (!bytes) throw jwksError(`the key set is larger than ${MAX_JWKS_BYTES} bytes`, 'jwksUrl');
    text = new TextDecoder().decode(bytes);
  } catch (cause) {
    if (cause instanceof ElicenceError && cause.code === 'ERR_FETCH_FAILED') throw new ElicenceError('ERR_JWKS_FETCH_FAILED', cause.message, { field: 'jwksUrl', cause });
    if (cause instanceof ElicenceError) throw cause;
    throw new ElicenceError('ERR_JWKS_FETCH_FAILED', `could not fetch ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { field: 'jwksUrl', cause });
  }
  return parseJwksText(text, 'jwksUrl');
}

/** Parses JWKS text (from a file or a response), with a size limit. */
export function parseJwksText(text: string, field: string): unknown {
  if (text.length > MAX_JWKS_BYTES) throw jwksError(`the key set is larger than ${MAX_JWKS_BYTES} bytes`, field);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ElicenceError('ERR_JWKS_INVALID', 'the key set is not valid JSON', { field, cause });
  }
}
