/**
 * Compact JWS signing for everything this project signs: licences, status lists, trust lists.
 * The signer is injected so the same code runs with file keys (Node), Worker secrets or test vectors;
 * what each algorithm needs comes from the algorithm table (algorithms.ts).
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import { algorithmForJwk, algorithmNamed, DEFAULT_ALGORITHM, type SignatureAlgorithm, type SigningAlgorithm } from './algorithms.js';
import { base64url, utf8 } from './encoding.js';

export { SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.js';

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

export async function signCompact(signer: JwsSigner, payload: unknown, typ: string, cty?: string): Promise<string> {
  const header: JwsHeader = { alg: signer.alg, kid: signer.kid, typ, ...(cty === undefined ? {} : { cty }) };
  const signingInput = `${base64url(utf8(JSON.stringify(header)))}.${base64url(utf8(JSON.stringify(payload)))}`;
  const signature = await signer.sign(utf8(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

function entryFor(jwk: JWK): SignatureAlgorithm {
  const entry = algorithmForJwk(jwk);
  if (!entry) throw new TypeError(`unsupported key ${String(jwk.kty)}/${String(jwk.crv)}`);
  return entry;
}

/** Public members only (`kty`, `crv`, coordinates), for publication (JWKS, DID documents, trust lists). */
export function publicJwk(jwk: JWK): JWK {
  const entry = entryFor(jwk);
  const out: JWK = { kty: entry.kty, crv: entry.crv };
  for (const member of entry.coordinates) out[member] = jwk[member]!;
  return out;
}

export function algorithmOfJwk(jwk: JWK): SigningAlgorithm {
  return entryFor(jwk).alg as SigningAlgorithm;
}

export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(publicJwk(jwk), 'sha256');
}

/**
 * The members a private JWK needs to be imported anywhere: `kty`, `crv`, coordinates and `d`. Node
 * exports Ed25519 keys with `alg: "Ed25519"`, which workerd refuses; `kty`/`crv` say all `alg` would.
 */
export function importablePrivateJwk(jwk: JWK): JWK {
  return { ...publicJwk(jwk), d: jwk.d! };
}

/** A signer from a private JWK, with the table entry's WebCrypto signing. */
export async function signerFromPrivateJwk(privateJwk: JWK): Promise<JwsSigner> {
  const entry = entryFor(privateJwk);
  const sign = await entry.importSigner(importablePrivateJwk(privateJwk));
  return { alg: entry.alg as SigningAlgorithm, kid: await jwkThumbprint(privateJwk), sign };
}

/** Generates a fresh key pair as JWKs (the private JWK holds the public members and `d`). */
export async function generateSigningJwk(alg: SigningAlgorithm = DEFAULT_ALGORITHM): Promise<{ privateJwk: JWK; publicJwk: JWK; kid: string }> {
  const entry = algorithmNamed(alg);
  if (!entry) throw new TypeError(`unsupported algorithm ${String(alg)}`);
  const privateJwk = await entry.generate();
  const pub = publicJwk(privateJwk);
  return { privateJwk, publicJwk: pub, kid: await jwkThumbprint(pub) };
}
