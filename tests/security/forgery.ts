/**
 * Forged licence JWSs for the algorithm-confusion and key-substitution tests: each takes a genuine
 * compact JWS and the attacker's material, and returns a JWS an attacker could present.
 */
import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import { base64url, fromBase64url, utf8 } from '../../src/core/encoding.js';
import type { JwsSigner } from '../../src/core/jws-sign.js';

export interface Forgery {
  name: string;
  jws: string;
}

const headerOf = (jws: string) => JSON.parse(new TextDecoder().decode(fromBase64url(jws.split('.')[0]!)!)) as Record<string, unknown>;

function assemble(header: Record<string, unknown>, payloadPart: string, sign: (input: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<string> {
  const input = `${base64url(utf8(JSON.stringify(header)))}.${payloadPart}`;
  return Promise.resolve(sign(utf8(input))).then((signature) => `${input}.${base64url(signature)}`);
}

/**
 * Every forgery of `genuine`: the issuer's public key (`issuerKey`) is what an attacker knows; `attacker`
 * is a key the attacker holds; `otherIssuer` is another (trusted) authority's key the attacker controls.
 */
export async function forgeries(genuine: string, issuerKey: JWK & { kid: string }, attacker: JwsSigner & { publicJwk: JWK }, otherIssuer?: JwsSigner): Promise<Forgery[]> {
  const header = headerOf(genuine);
  const payloadPart = genuine.split('.')[1]!;
  const hmac = (secret: string | Uint8Array) => (input: Uint8Array) => new Uint8Array(createHmac('sha256', secret).update(input).digest());
  const withHeader = (extra: Record<string, unknown>, signer: JwsSigner = attacker) => assemble({ ...header, ...extra }, payloadPart, (i) => signer.sign(i));
  const out: Forgery[] = [
    { name: 'alg none, empty signature', jws: `${base64url(utf8(JSON.stringify({ ...header, alg: 'none' })))}.${payloadPart}.` },
    { name: 'alg none, genuine signature kept', jws: `${base64url(utf8(JSON.stringify({ ...header, alg: 'none' })))}.${payloadPart}.${genuine.split('.')[2]}` },
    { name: 'HS256 keyed with the public JWK JSON', jws: await assemble({ ...header, alg: 'HS256' }, payloadPart, hmac(JSON.stringify(issuerKey))) },
    { name: 'HS256 keyed with the raw public key bytes', jws: await assemble({ ...header, alg: 'HS256' }, payloadPart, hmac(fromBase64url(String(issuerKey.x))!)) },
    { name: 'HS256 keyed with the x coordinate text', jws: await assemble({ ...header, alg: 'HS256' }, payloadPart, hmac(String(issuerKey.x))) },
    { name: 'ES256 header on the Ed25519 signature', jws: `${base64url(utf8(JSON.stringify({ ...header, alg: 'ES256' })))}.${payloadPart}.${genuine.split('.')[2]}` },
    { name: 'EdDSA header, attacker signature, issuer kid', jws: await withHeader({}) },
    { name: 'embedded jwk of the attacker', jws: await withHeader({ jwk: attacker.publicJwk }) },
    { name: 'embedded jwk of the attacker, attacker kid', jws: await withHeader({ jwk: attacker.publicJwk, kid: attacker.kid }) },
    { name: 'jku pointing at the attacker', jws: await withHeader({ jku: 'https://attacker.example/jwks.json', kid: attacker.kid }) },
    { name: 'x5u pointing at the attacker', jws: await withHeader({ x5u: 'https://attacker.example/cert.pem' }) },
    { name: 'x5c with an attacker certificate', jws: await withHeader({ x5c: ['MIIBszCCAVmgAwIBAgIUattacker'] }) },
    { name: 're-signed with an untrusted key under its own kid', jws: await withHeader({ kid: attacker.kid }) },
    { name: 'crit header the verifier does not know', jws: await withHeader({ crit: ['exp'], exp: 1 }, attacker) },
  ];
  if (otherIssuer) out.push({ name: "kid of another authority's key, signed with it", jws: await withHeader({ kid: otherIssuer.kid, alg: otherIssuer.alg }, otherIssuer) });
  return out;
}
