/**
 * Strict compact JWS parsing and verification for everything this project verifies: licences, status
 * lists and trust lists. Policy is passed per call (allowed algorithms, `typ`, `cty`); keys come only
 * from the caller, never from the token. Decoding and signature checking are separate steps because a
 * verifier must read the payload (the issuer) to know which key set to look the `kid` up in.
 *
 * Signatures go through WebCrypto; where a runtime lacks Ed25519 in WebCrypto (some browsers), the
 * pure-JS `@noble/curves` verifier is used instead (strict RFC 8032, `zip215: false`).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { JWK } from 'jose';
import { fromBase64url, fromUtf8, utf8 } from './encoding.js';
import { ElicenceError } from './errors.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './jws-sign.js';
import { isRecord, parseStrictJson } from './strict-json.js';

export interface JwsPolicy {
  /** Required `typ` header value (exact match). */
  typ: string;
  /** Required `cty` header value; when omitted the header must not carry `cty`. */
  cty?: string;
  /** Accepted algorithms, a subset of EdDSA and ES256 (default: both). */
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
const SIGNATURE_LENGTH = 64; // Ed25519 and raw P-256 (r || s) alike

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

type SignatureCheck = (signature: Uint8Array, data: Uint8Array) => Promise<boolean>;

const MAX_CACHED_KEYS = 1024;
const keyCache = new Map<string, SignatureCheck>();
let ed25519InWebCrypto: boolean | undefined;
let forceNoble = false;

/** Test hook: verify with `@noble/curves` only, as a runtime without WebCrypto Ed25519 would. */
export function useNobleVerifierOnly(force: boolean): void {
  forceNoble = force;
  keyCache.clear();
}

function keyBytes(value: unknown, length: number, name: string): Uint8Array {
  const bytes = typeof value === 'string' ? fromBase64url(value) : undefined;
  if (bytes === undefined || bytes.length !== length) {
    throw new ElicenceError('ERR_JWS_SIGNATURE', `verification key has a bad "${name}"`, { field: name });
  }
  return bytes;
}

// RFC 8032 §7.1 test 1 public key: importing it tells whether this runtime has Ed25519 in WebCrypto.
const PROBE_ED25519_KEY = new Uint8Array([
  0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
  0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
]);

async function hasWebCryptoEd25519(): Promise<boolean> {
  if (ed25519InWebCrypto === undefined) {
    try {
      await crypto.subtle.importKey('raw', PROBE_ED25519_KEY, { name: 'Ed25519' }, false, ['verify']);
      ed25519InWebCrypto = true;
    } catch {
      ed25519InWebCrypto = false;
    }
  }
  return ed25519InWebCrypto;
}

async function importEd25519(jwk: JWK): Promise<SignatureCheck> {
  const publicKey = keyBytes(jwk.x, 32, 'x');
  if (!forceNoble && (await hasWebCryptoEd25519())) {
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']);
    } catch (cause) {
      throw new ElicenceError('ERR_JWS_SIGNATURE', 'unusable Ed25519 key', { cause });
    }
    return (signature, data) => crypto.subtle.verify({ name: 'Ed25519' }, key, signature as BufferSource, data as BufferSource);
  }
  return async (signature, data) => {
    try {
      return ed25519.verify(signature, data, publicKey, { zip215: false });
    } catch {
      return false;
    }
  };
}

async function importP256(jwk: JWK): Promise<SignatureCheck> {
  const x = keyBytes(jwk.x, 32, 'x');
  const y = keyBytes(jwk.y, 32, 'y');
  if (!forceNoble) {
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as JsonWebKey, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    } catch (cause) {
      throw new ElicenceError('ERR_JWS_SIGNATURE', 'unusable P-256 key', { cause });
    }
    return (signature, data) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature as BufferSource, data as BufferSource);
  }
  const uncompressed = new Uint8Array(65);
  uncompressed[0] = 4;
  uncompressed.set(x, 1);
  uncompressed.set(y, 33);
  return async (signature, data) => {
    try {
      // WebCrypto signers do not normalise s, so high-s signatures are valid ES256 (see NOTES.md).
      return p256.verify(signature, data, uncompressed, { lowS: false });
    } catch {
      return false;
    }
  };
}

async function signatureCheckFor(alg: SigningAlgorithm, jwk: JWK): Promise<SignatureCheck> {
  const expectedKty = alg === 'EdDSA' ? 'OKP' : 'EC';
  const expectedCrv = alg === 'EdDSA' ? 'Ed25519' : 'P-256';
  if (jwk.kty !== expectedKty || jwk.crv !== expectedCrv) {
    throw new ElicenceError('ERR_JWS_ALGORITHM', `algorithm ${alg} does not match the ${String(jwk.kty)}/${String(jwk.crv)} key`, { field: 'alg' });
  }
  const cacheKey = `${String(jwk.kid)}|${alg}|${String(jwk.x)}|${String(jwk.y)}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const check = alg === 'EdDSA' ? await importEd25519(jwk) : await importP256(jwk);
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
  keyCache.set(cacheKey, check);
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
  let ok = false;
  if (decoded.signature.length === SIGNATURE_LENGTH) {
    try {
      ok = await check(decoded.signature, utf8(decoded.signingInput));
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new ElicenceError('ERR_JWS_SIGNATURE', 'signature does not verify');
}

/** `decodeJws` then `verifyJwsSignature` with the key `resolveKey` returns for the header (none: ERR_JWS_SIGNATURE). */
export async function verifyJws(
  jws: unknown,
  resolveKey: JWK | ((header: VerifiedJwsHeader) => JWK | undefined),
  policy: JwsPolicy,
): Promise<DecodedJws> {
  const decoded = decodeJws(jws, policy);
  const key = typeof resolveKey === 'function' ? resolveKey(decoded.header) : resolveKey;
  if (key === undefined) throw new ElicenceError('ERR_JWS_SIGNATURE', `no trusted key with kid ${decoded.header.kid}`, { field: 'kid' });
  await verifyJwsSignature(decoded, key);
  return decoded;
}
