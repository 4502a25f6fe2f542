/**
 * The pinned trust-anchor keys (`--anchors`, repeatable): each file a JWKS `{ "keys": [...] }` (as
 * served at /.well-known/trust-anchor.json) or a JSON array of JWKs. Several files are merged, which
 * is how a second province's anchor is pinned. Private key material is refused outright.
 */
import type { JWK } from 'jose';
import { ElicenceError } from '../../core/errors.js';
import { isRecord, parseStrictJson } from '../../core/strict-json.js';
import { MAX_ANCHORS_BYTES, readUserFile, utf8Text } from './files.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function invalid(message: string, cause?: unknown): ElicenceError {
  return new ElicenceError('ERR_JWKS_INVALID', message, { field: 'anchors', ...(cause === undefined ? {} : { cause }) });
}

export function parseAnchorKeys(text: string, label: string): JWK[] {
  let document: unknown;
  try {
    document = parseStrictJson(text, 'ERR_JWKS_INVALID');
  } catch (cause) {
    throw invalid(`${label}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`, cause);
  }
  const keys = Array.isArray(document) ? document : (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw invalid(`${label}: expected a JWKS { "keys": [...] } or an array of JWKs, with at least one key`);
  return keys.map((key: unknown, i) => {
    if (!isRecord(key)) throw invalid(`${label}: key ${i} is not a JWK object`);
    const jwk = key;
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw new ElicenceError('ERR_JWKS_PRIVATE_KEY', `${label}: key ${i} carries private key material; pin public keys only`, { field: 'anchors' });
    const okp = jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string';
    const ec = jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string';
    if (!okp && !ec) throw invalid(`${label}: key ${i} is not an Ed25519 or P-256 public key`);
    return jwk as JWK;
  });
}

export function readAnchorFiles(paths: readonly string[], cwd: string): { keys: JWK[] } {
  const keys: JWK[] = [];
  for (const path of paths) {
    const label = `--anchors ${path}`;
    keys.push(...parseAnchorKeys(utf8Text(readUserFile(path, { cwd, label: '--anchors', maxBytes: MAX_ANCHORS_BYTES }), label), label));
  }
  return { keys };
}
