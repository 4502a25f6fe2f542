/**
 * Test helpers for devices, bound copies and agent authorisations: fresh P-256 device keys, issuing a
 * licence, reading a published revocation list's bits (decoded without the project's decoder) and
 * verifying a derived credential with jose against the authority's published JWKS only.
 */
import { gunzipSync } from 'node:zlib';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JWK } from 'jose';
import { expect } from 'vitest';
import { businessSubject, type TestContext } from './app.js';

export interface Licence {
  id: string;
  status: string;
  validFrom: string;
  validUntil: string | null;
  holder: { creditCode: string; name: string | null };
  credential: string;
  credentialStatus: { purpose: string; statusListCredential: string; statusListIndex: number }[];
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** A fresh P-256 key pair as JWKs (public: kty, crv, x, y). */
export async function deviceKey(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const full = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  return { publicJwk: { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! }, privateJwk: { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y!, d: full.d! } };
}

export async function issueLicence(t: TestContext, body: Record<string, unknown> = {}): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject(), ...body } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Licence;
}

export async function expectError(res: Response, status: number, code: string, field?: string): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const { error } = JSON.parse(text) as ErrorBody;
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
}

export const payloadOf = (jws: string): Record<string, any> => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));

/** Verifies with jose against the deployment's /.well-known/jwks.json only (pinned algorithm); returns the payload. */
export async function verifyWithJwks(t: TestContext, jws: string): Promise<Record<string, any>> {
  const jwks = (await (await t.app.request('/.well-known/jwks.json')).json()) as { keys: JWK[] };
  const header = decodeProtectedHeader(jws);
  expect(header).toMatchObject({ typ: 'vc+jwt', cty: 'vc' });
  expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
  const { payload } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: [String(header.alg)] });
  return JSON.parse(new TextDecoder().decode(payload));
}

/** The set bits of a published list (GET as JSON), most significant bit of byte 0 first. */
export async function setBitsOf(t: TestContext, listUrl: string): Promise<number[]> {
  const res = await t.app.request(new URL(listUrl).pathname, { headers: { Accept: 'application/json' } });
  expect(res.status).toBe(200);
  const { credentialSubject } = (await res.json()) as { credentialSubject: { encodedList: string } };
  const bytes = gunzipSync(Buffer.from(credentialSubject.encodedList.slice(1), 'base64url'));
  const out: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if ((bytes[i >> 3]! >> (7 - (i & 7))) & 1) out.push(i);
  return out;
}

/** Whether the bit an entry names is set in its published list. */
export async function isRevoked(t: TestContext, entry: { statusListCredential: string; statusListIndex: string | number }): Promise<boolean> {
  return (await setBitsOf(t, entry.statusListCredential)).includes(Number(entry.statusListIndex));
}
