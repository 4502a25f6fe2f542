/**
 * Strict compact JWS parsing and verification for everything this project verifies: licences, status
 * lists and trust lists. Policy is passed per call (allowed algorithms, `typ`, `cty`); keys come only
 * from the caller, never from the token. Decoding and signature checking are separate steps because a
 * verifier must read the payload (the issuer) to know which key set to look the `kid` up in.
 *
 * Each algorithm's import and verification come from the algorithm table (algorithms.ts): WebCrypto,
 * or a pure-JS `@noble/curves` fallback where a runtime lacks the curve.
 */
import type { JWK } from 'jose';
import { algorithmNamed, checkPublicJwk, SIGNING_ALGORITHMS, type SignatureCheck, type SigningAlgorithm } from './algorithms.js';
import { fromBase64url, fromUtf8, utf8 } from './encoding.js';
import { ElicenceError } from './errors.js';
import { isRecord, parseStrictJson } from './strict-json.js';

export interface JwsPolicy {
  /** Required `typ` header value (exact match). */
  typ: string;
  /** Required `cty` header value; when omitted the header must not carry `cty`. */
  cty?: string;
  /** Accepted algorithms, a subset of the algorithm table (default: all of it). */
  algorithms?: readonly SigningAlgorithm[];
  /** Longest accepted token in characters (default 1 MiB). */
  maxLength?: number;
}

export interface VerifiedJwsHeader {
  alg: SigningAlgorithm;
  kid: string;
  typ: string;
  cty?: string;
}

export interface DecodedJws {
  header: VerifiedJwsHeader;
  /** The payload: always a JSON object. */
  payload: Record<string, unknown>;
  /** `<header>.<payload>` exactly as received: the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

const DEFAULT_MAX_LENGTH = 1024 * 1024;
const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'kid', 'typ', 'cty']);

function malformed(message: string): ElicenceError {
  return new ElicenceError('ERR_JWS_MALFORMED', message);
}

function decodePart(part: string, name: string): Uint8Array {
  const bytes = fromBase64url(part);
  if (bytes === undefined) throw malformed(`${name} is not canonical base64url`);
  return bytes;
}

function decodeJsonObject(part: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = fromUtf8(decodePart(part, name));
  } catch (cause) {
    if (cause instanceof ElicenceError) throw cause;
    throw new ElicenceError('ERR_JWS_MALFORMED', `${name} is not valid UTF-8`, { cause });
  }
  const value = parseStrictJson(text, 'ERR_JWS_MALFORMED');
  if (!isRecord(value)) throw malformed(`${name} is not a JSON object`);
  return value;
}

function checkHeader(header: Record<string, unknown>, policy: JwsPolicy): VerifiedJwsHeader {
  for (const member of Object.keys(header)) {
    if (!ALLOWED_HEADER_MEMBERS.has(member)) {
      throw new ElicenceError('ERR_JWS_HEADER', `header member "${member}" is not allowed`, { field: member });
    }
  }
  const allowed = policy.algorithms ?? SIGNING_ALGORITHMS;
  const { alg, kid, typ, cty } = header;
  if (typeof alg !== 'string' || !(SIGNING_ALGORITHMS as readonly string[]).includes(alg) || !(allowed as readonly string[]).includes(alg)) {
    throw new ElicenceError('ERR_JWS_ALGORITHM', `algorithm ${JSON.stringify(alg)} is not accepted`, { field: 'alg' });
  }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
    throw new ElicenceError('ERR_JWS_HEADER', 'header needs a kid', { field: 'kid' });
  }
  if (typ !== policy.typ) {
    throw new ElicenceError('ERR_JWS_HEADER', `typ must be "${policy.typ}"`, { field: 'typ' });
  }
  if (cty !== policy.cty) {
    throw new ElicenceError('ERR_JWS_HEADER', policy.cty === undefined ? 'cty is not allowed' : `cty must be "${policy.cty}"`, { field: 'cty' });
  }
  return { alg: alg as SigningAlgorithm, kid, typ, ...(cty === undefined ? {} : { cty: cty as string }) };
}

/**
 * Strictly parses a compact JWS without checking its signature: exactly three canonical base64url
 * parts, JSON objects without duplicate keys, allow-listed header members, pinned `alg`, `typ`, `cty`.
 * Throws ERR_JWS_MALFORMED, ERR_JWS_ALGORITHM, ERR_JWS_HEADER or ERR_JSON_DUPLICATE_KEY.
 */
export function decodeJws(jws: unknown, policy: JwsPolicy): DecodedJws {
  if (typeof jws !== 'string') throw malformed('a compact JWS must be a string');
  if (jws.length > (policy.maxLength ?? DEFAULT_MAX_LENGTH)) throw malformed('token is too long');
  const parts = jws.split('.');
  if (parts.length !== 3) throw malformed('a compact JWS has exactly three parts');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  if (headerPart === '' || payloadPart === '' || signaturePart === '') throw malformed('empty JWS part');
  const header = checkHeader(decodeJsonObject(headerPart, 'header'), policy);
  const signature = decodePart(signaturePart, 'signature');
  const payload = decodeJsonObject(payloadPart, 'payload');
  return { header, payload, signingInput: `${headerPart}.${payloadPart}`, signature };
}

const MAX_CACHED_KEYS = 1024;
const keyCache = new Map<string, Promise<SignatureCheck>>();

async function signatureCheckFor(alg: string, jwk: JWK): Promise<SignatureCheck> {
  const entry = algorithmNamed(alg);
  if (!entry || jwk.kty !== entry.kty || jwk.crv !== entry.crv) {
    throw new ElicenceError('ERR_JWS_ALGORITHM', `algorithm ${alg} does not match the ${String(jwk.kty)}/${String(jwk.crv)} key`, { field: 'alg' });
  }
  const checked = checkPublicJwk(jwk as Record<string, unknown>);
  if (!checked.ok) {
    const member = checked.problem === 'private-member' ? 'd' : 'x';
    throw new ElicenceError('ERR_JWS_SIGNATURE', `verification key is unusable (${checked.problem})`, { field: member });
  }
  const cacheKey = `${alg}|${String(jwk.x)}|${String(jwk.y)}`;
  let check = keyCache.get(cacheKey);
  if (!check) {
    check = entry.importVerifier(checked.jwk);
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(cacheKey, check);
  }
  return check;
}

/**
 * Checks the signature of a decoded JWS with a caller-supplied public JWK. The key's type must match
 * the header's `alg`, and when the JWK carries a `kid` it must equal the header's. Throws
 * ERR_JWS_ALGORITHM, ERR_JWS_HEADER or ERR_JWS_SIGNATURE.
 */
export async function verifyJwsSignature(decoded: DecodedJws, key: JWK): Promise<void> {
  if (key.kid !== undefined && key.kid !== decoded.header.kid) {
    throw new ElicenceError('ERR_JWS_HEADER', 'kid does not name the given key', { field: 'kid' });
  }
  const check = await signatureCheckFor(decoded.header.alg, key);
  const ok = decoded.signature.length === algorithmNamed(decoded.header.alg)!.signatureBytes && (await check(decoded.signature, utf8(decoded.signingInput)));
  if (!ok) throw new ElicenceError('ERR_JWS_SIGNATURE', 'signature does not verify');
}

/** `decodeJws` then `verifyJwsSignature` with the key `resolveKey` returns for the header (none: ERR_JWS_SIGNATURE). */
export async function verifyJws(jws: unknown, resolveKey: JWK | ((header: VerifiedJwsHeader) => JWK | undefined), policy: JwsPolicy): Promise<DecodedJws> {
  const decoded = decodeJws(jws, policy);
  const key = typeof resolveKey === 'function' ? resolveKey(decoded.header) : resolveKey;
  if (key === undefined) throw new ElicenceError('ERR_JWS_SIGNATURE', `no trusted key with kid ${decoded.header.kid}`, { field: 'kid' });
  await verifyJwsSignature(decoded, key);
  return decoded;
}
