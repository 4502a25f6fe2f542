/**
 * The signature algorithms, as one table (like jose's `lib/jws_algorithms`): each entry names its JOSE
 * `alg`, the JWK shape of its keys, its signature length, and how to import, sign, verify and generate.
 * WebCrypto first; where a runtime lacks the curve in WebCrypto (Ed25519 in some browsers), a pure-JS
 * `@noble/curves` fallback; SM2 (no WebCrypto anywhere) is pure JS throughout, loaded on first use. Signing, verifying, trust-list key checks, key stores, keygen and anchor
 * pinning all read this table: adding an algorithm is one entry, its tests and its docs.
 */
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { JWK } from 'jose';
import { base64url, fromBase64url } from './encoding.js';

/** Checks a signature over `data`; resolves false (never throws) when it does not verify. */
export type SignatureCheck = (signature: Uint8Array, data: Uint8Array) => Promise<boolean>;
/** Signs `data` with a private key already imported. */
export type SignFunction = (data: Uint8Array) => Promise<Uint8Array>;

export interface SignatureAlgorithm<Alg extends string = string> {
  /** JOSE `alg` header value. */
  readonly alg: Alg;
  /** The JWK `kty` and `crv` of its keys. */
  readonly kty: string;
  readonly crv: string;
  /** Coordinate members of a public JWK, in RFC 7638 order, and the byte length of each. */
  readonly coordinates: readonly ('x' | 'y')[];
  readonly coordinateBytes: number;
  /** Exact length of a signature, in bytes. */
  readonly signatureBytes: number;
  /** Whether a public JWK that passed `checkPublicJwk` is a point on the curve (what registering a key checks). */
  isPoint(jwk: JWK): boolean;
  /** A verifier for a public JWK that already passed `checkPublicJwk`. */
  importVerifier(jwk: JWK): Promise<SignatureCheck>;
  /** A signer for a private JWK (`d` plus the public members). */
  importSigner(privateJwk: JWK): Promise<SignFunction>;
  /** A fresh private JWK (public members and `d`, nothing else). */
  generate(): Promise<JWK>;
}

/** Private members of any JWK type: their presence in a key meant to be public is refused. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function bytes(jwk: JWK, member: 'x' | 'y' | 'd'): Uint8Array {
  return fromBase64url(String(jwk[member])) ?? new Uint8Array(0);
}

/** The public and private members WebCrypto needs, without alg/key_ops/ext/use/kid (runtimes disagree on those). */
function webCryptoJwk(jwk: JWK, entry: SignatureAlgorithm, withPrivate: boolean): JsonWebKey {
  const out: Record<string, unknown> = { kty: entry.kty, crv: entry.crv };
  for (const member of entry.coordinates) out[member] = jwk[member];
  if (withPrivate) out.d = jwk.d;
  return out as JsonWebKey;
}

async function generateWith(entry: SignatureAlgorithm, params: EcKeyGenParams | Algorithm): Promise<JWK> {
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const exported = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  return webCryptoJwk(exported, entry, true) as JWK;
}

async function signerWith(entry: SignatureAlgorithm, privateJwk: JWK, importParams: Algorithm | EcKeyImportParams, signParams: Algorithm | EcdsaParams): Promise<SignFunction> {
  const key = await crypto.subtle.importKey('jwk', webCryptoJwk(privateJwk, entry, true), importParams, false, ['sign']);
  return async (data) => new Uint8Array(await crypto.subtle.sign(signParams, key, data as BufferSource));
}

/** WebCrypto's verifier when the runtime imports the key, else `fallback` (pure JS). */
async function verifierWith(importKey: () => Promise<CryptoKey>, params: Algorithm | EcdsaParams, fallback: SignatureCheck): Promise<SignatureCheck> {
  let key: CryptoKey;
  try {
    key = await importKey();
  } catch {
    return fallback;
  }
  return async (signature, data) => {
    try {
      return await crypto.subtle.verify(params, key, signature as BufferSource, data as BufferSource);
    } catch {
      return false;
    }
  };
}

/** SEC 1 uncompressed point (0x04 || x || y) of an EC public JWK. */
function uncompressedPoint(jwk: JWK): Uint8Array {
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(bytes(jwk, 'x'), 1);
  point.set(bytes(jwk, 'y'), 33);
  return point;
}

function succeeds(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

/** A pure-JS check that answers false instead of throwing on any malformed input. */
function safely(check: (signature: Uint8Array, data: Uint8Array) => boolean): SignatureCheck {
  return async (signature, data) => {
    try {
      return check(signature, data);
    } catch {
      return false;
    }
  };
}

export const EDDSA: SignatureAlgorithm<'EdDSA'> = {
  alg: 'EdDSA',
  kty: 'OKP',
  crv: 'Ed25519',
  coordinates: ['x'],
  coordinateBytes: 32,
  signatureBytes: 64,
  isPoint: (jwk) => succeeds(() => ed25519.Point.fromBytes(bytes(jwk, 'x'))),
  importVerifier(jwk) {
    const publicKey = bytes(jwk, 'x');
    // Strict RFC 8032 verification in the fallback, as WebCrypto does (zip215: false).
    const noble = safely((signature, data) => ed25519.verify(signature, data, publicKey, { zip215: false }));
    return verifierWith(() => crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']), { name: 'Ed25519' }, noble);
  },
  importSigner(privateJwk) {
    return signerWith(EDDSA, privateJwk, { name: 'Ed25519' }, { name: 'Ed25519' });
  },
  generate() {
    return generateWith(EDDSA, { name: 'Ed25519' });
  },
};

export const ES256: SignatureAlgorithm<'ES256'> = {
  alg: 'ES256',
  kty: 'EC',
  crv: 'P-256',
  coordinates: ['x', 'y'],
  coordinateBytes: 32,
  signatureBytes: 64,
  isPoint: (jwk) => succeeds(() => p256.Point.fromBytes(uncompressedPoint(jwk))),
  importVerifier(jwk) {
    const point = uncompressedPoint(jwk);
    // WebCrypto signers do not normalise s, so high-s signatures are valid ES256 (NOTES: lowS false).
    const noble = safely((signature, data) => p256.verify(signature, data, point, { lowS: false }));
    const importKey = () => crypto.subtle.importKey('jwk', webCryptoJwk(jwk, ES256, false), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    return verifierWith(importKey, { name: 'ECDSA', hash: 'SHA-256' }, noble);
  },
  importSigner(privateJwk) {
    return signerWith(ES256, privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' });
  },
  generate() {
    return generateWith(ES256, { name: 'ECDSA', namedCurve: 'P-256' });
  },
};

/**
 * The SM2 recommended curve (GB/T 32918.5-2017) as data for noble's generic Weierstrass engine, which
 * P-256 already brings: only to check that a public key is a point on the curve (cofactor 1, so every such
 * point is in the signing group). Signing and verifying are sm2.ts's.
 */
const SM2_POINT = weierstrass({
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
});

/** SM2 with SM3 (GB/T 32918.2, GB/T 32905), this project's `SM2SM3` profile (not registered in JOSE). */
export const SM2SM3: SignatureAlgorithm<'SM2SM3'> = {
  alg: 'SM2SM3',
  kty: 'EC',
  crv: 'SM2',
  coordinates: ['x', 'y'],
  coordinateBytes: 32,
  signatureBytes: 64,
  isPoint: (jwk) => succeeds(() => SM2_POINT.fromBytes(uncompressedPoint(jwk))),
  async importVerifier(jwk) {
    const { sm2Verifier } = await import('./sm2.js');
    return safely(sm2Verifier(uncompressedPoint(jwk)));
  },
  async importSigner(privateJwk) {
    const { sm2Signer } = await import('./sm2.js');
    const sign = sm2Signer(bytes(privateJwk, 'd'), uncompressedPoint(privateJwk));
    return async (data) => sign(data);
  },
  async generate() {
    const { sm2Generate } = await import('./sm2.js');
    const { privateKey, publicPoint } = sm2Generate();
    return { kty: 'EC', crv: 'SM2', x: base64url(publicPoint.subarray(1, 33)), y: base64url(publicPoint.subarray(33)), d: base64url(privateKey) };
  },
};

/** Every algorithm this build knows, the default (EdDSA) first. */
export const ALGORITHMS = [EDDSA, ES256, SM2SM3] as const satisfies readonly SignatureAlgorithm[];

export type SigningAlgorithm = (typeof ALGORITHMS)[number]['alg'];
export const SIGNING_ALGORITHMS = ALGORITHMS.map((a) => a.alg) as [SigningAlgorithm, ...SigningAlgorithm[]];
export const DEFAULT_ALGORITHM: SigningAlgorithm = 'EdDSA';

export function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

/** The table entry for a JOSE `alg`, or undefined when this build does not know it. */
export function algorithmNamed(alg: unknown): SignatureAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.alg === alg);
}

/** The table entry whose keys have this JWK's `kty` and `crv`, or undefined. */
export function algorithmForJwk(jwk: { kty?: unknown; crv?: unknown }): SignatureAlgorithm | undefined {
  return ALGORITHMS.find((a) => a.kty === jwk.kty && a.crv === jwk.crv);
}

export type PublicJwkProblem = 'unknown-algorithm' | 'private-member' | 'bad-coordinates';

/**
 * Classifies a JWK meant to be public: `unknown-algorithm` when no table entry has its kty/crv (or its
 * `alg` member names another algorithm), `private-member` when it carries private material,
 * `bad-coordinates` when a coordinate is missing, not canonical base64url or of the wrong length.
 * Returns the entry and the public members (`kty`, `crv`, coordinates) when the key is usable.
 */
export function checkPublicJwk(jwk: Record<string, unknown>): { ok: true; algorithm: SignatureAlgorithm; jwk: JWK } | { ok: false; problem: PublicJwkProblem } {
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) return { ok: false, problem: 'private-member' };
  const algorithm = algorithmForJwk(jwk);
  if (!algorithm || (jwk.alg !== undefined && jwk.alg !== algorithm.alg)) return { ok: false, problem: 'unknown-algorithm' };
  const out: Record<string, unknown> = { kty: algorithm.kty, crv: algorithm.crv };
  for (const member of algorithm.coordinates) {
    const value = jwk[member];
    if (typeof value !== 'string' || fromBase64url(value)?.length !== algorithm.coordinateBytes) return { ok: false, problem: 'bad-coordinates' };
    out[member] = value;
  }
  for (const member of ['x', 'y'] as const) {
    if (!algorithm.coordinates.includes(member) && jwk[member] !== undefined) return { ok: false, problem: 'bad-coordinates' };
  }
  return { ok: true, algorithm, jwk: out as JWK };
}
