/**
 * Compact JWS signing for everything this project signs: licences, status lists, trust lists.
 * The signer is injected so the same code runs with file keys (Node), Worker secrets or test vectors.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { base64url, utf8 } from './encoding.js';

export type SigningAlgorithm = 'EdDSA' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];

export interface JwsSigner {
  readonly alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/** Header members in a fixed order, so the same input always gives the same bytes. */
export interface JwsHeader {
  alg: SigningAlgorithm;
  kid: string;
  typ: string;
  cty?: string;
}

export async function signCompact(
  signer: JwsSigner,
  payload: unknown,
  typ: string,
  cty?: string,
): Promise<string> {
  const header: JwsHeader = { alg: signer.alg, kid: signer.kid, typ, ...(cty === undefined ? {} : { cty }) };
  const signingInput = `${base64url(utf8(JSON.stringify(header)))}.${base64url(utf8(JSON.stringify(payload)))}`;
  const signature = await signer.sign(utf8(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

/** Public members only, in RFC 7638 order, for publication (JWKS, DID documents, trust lists). */
export function publicJwk(jwk: JWK): JWK {
  if (jwk.kty === 'OKP') return { kty: 'OKP', crv: jwk.crv!, x: jwk.x! };
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
  throw new TypeError(`unsupported key type ${String(jwk.kty)}`);
}

export function algorithmOfJwk(jwk: JWK): SigningAlgorithm {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new TypeError(`unsupported key ${String(jwk.kty)}/${String(jwk.crv)}`);
}

export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicJwk(jwk), 'sha256');
}

/** A signer backed by WebCrypto from a private JWK (Ed25519 or P-256). */
export async function signerFromPrivateJwk(privateJwk: JWK): Promise<JwsSigner> {
  const alg = algorithmOfJwk(privateJwk);
  const kid = await jwkThumbprint(privateJwk);
  const importAlg = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const signAlg = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  const key = await crypto.subtle.importKey('jwk', privateJwk as JsonWebKey, importAlg, false, ['sign']);
  return {
    alg,
    kid,
    async sign(signingInput) {
      return new Uint8Array(await crypto.subtle.sign(signAlg, key, signingInput as BufferSource));
    },
  };
}

/** Generates a fresh key pair as JWKs (private JWK includes `d`). */
export async function generateSigningJwk(alg: SigningAlgorithm = 'EdDSA'): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
  const params = alg === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  // Node adds alg/key_ops/ext; workerd refuses to import an Ed25519 JWK that carries alg "Ed25519".
  delete privateJwk.key_ops;
  delete privateJwk.ext;
  delete privateJwk.alg;
  const pub = publicJwk(privateJwk);
  return { privateJwk, publicJwk: pub, kid: await jwkThumbprint(pub) };
}
