/**
 * The W3C VC API, conformant (VC 2.0, VC-JOSE-COSE): strict JWT claims beside the credential (the core
 * `checkJwtClaims`, and /credentials/verify with issuer-signed credentials whose claims disagree),
 * envelopes without the VC 2.0 @context refused, credentials without validUntil accepted, status checked
 * for every credential of a hosted authority (also when its id is not a licence here), vc/vp claims
 * refused, POST /presentations/verify (vp+jwt with did:jwk and did:key holder keys, plain presentations,
 * unresolvable holder keys, the holder-substitution attack), name/description kept on issue, and deep
 * JSON answered 400 with a code. These are the in-repo equivalents of the W3C suites' checks that
 * apply (docs/results.md, section 6).
 */
import { p256 } from '@noble/curves/nist.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkJwtClaims } from '../src/core/claims.js';
import { base64url, fromBase64url } from '../src/core/encoding.js';
import type { ElicenceError } from '../src/core/errors.js';
import { resolveHolderKey } from '../src/core/holder-keys.js';
import { generateSigningJwk, type JwsSigner, type SigningAlgorithm, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { MAX_JSON_DEPTH } from '../src/core/strict-json.js';
import { issueLicences } from '../src/services/issuance.js';
import { LicenceTypeRegistry } from '../src/services/licence-types.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const ISSUER = 'did:web:elicence.test:authorities:dev-city';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const json = async (res: Response) => (await res.json()) as any;

/** Issues a business licence through the agency API; its JWS and decoded payload. */
async function issued(): Promise<{ id: string; jws: string; payload: Record<string, any> }> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
  expect(res.status).toBe(201);
  const body = await json(res);
  return { id: body.id, jws: body.credential, payload: JSON.parse(new TextDecoder().decode(fromBase64url(body.credential.split('.')[1])!)) };
}

/** The dev authority's own signer: an insider who holds the issuer key and signs whatever payload. */
async function issuerSigner(): Promise<JwsSigner> {
  const keys = await json(await t.call('GET', '/.well-known/jwks.json', { token: null }));
  return t.keys.signer(keys.keys[0].kid);
}

const signVc = async (payload: unknown, signer?: JwsSigner) => signCompact(signer ?? (await issuerSigner()), payload, 'vc+jwt', 'vc');
const enveloped = (jws: string) => ({ '@context': V2, type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` });
const verifyVc = (verifiableCredential: unknown) => t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential } });
const seconds = (iso: string) => Date.parse(iso) / 1000;
/** `levels` nested arrays around "x", as JSON text. */
const deepText = (levels: number, open = '[', close = ']') => `${open.repeat(levels)}"x"${close.repeat(levels)}`;

describe('checkJwtClaims (core, shared with the offline verifier)', () => {
  const credential = {
    '@context': [V2],
    id: 'urn:uuid:1',
    type: ['VerifiableCredential', 'BusinessLicence'],
    issuer: { id: 'did:web:x', name: 'X' },
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: '2031-01-01T00:00:00Z',
    credentialSubject: { id: 'urn:uscc:91330106MA2CFX7K5Y' },
  };
  const code = (payload: Record<string, unknown>) => {
    try {
      checkJwtClaims(payload);
      return 'ok';
    } catch (error) {
      return `${(error as ElicenceError).code}:${(error as ElicenceError).field}`;
    }
  };

  it('accepts claims that agree exactly, and no claims at all', () => {
    expect(code(credential)).toBe('ok');
    expect(
      code({ ...credential, exp: seconds('2031-01-01T00:00:00Z'), nbf: seconds('2026-01-01T00:00:00Z'), iss: 'did:web:x', sub: 'urn:uscc:91330106MA2CFX7K5Y', jti: 'urn:uuid:1' }),
    ).toBe('ok');
    expect(code({ ...credential, issuer: 'did:web:x', iss: 'did:web:x' })).toBe('ok');
  });

  it.each([
    ['exp earlier than validUntil', { exp: seconds('2026-06-01T00:00:00Z') }, 'ERR_CLAIMS_MISMATCH:exp'],
    ['exp one second off', { exp: seconds('2031-01-01T00:00:01Z') }, 'ERR_CLAIMS_MISMATCH:exp'],
    ['exp as a string', { exp: '2031-01-01T00:00:00Z' }, 'ERR_CLAIMS_MISMATCH:exp'],
    ['exp without validUntil', { validUntil: undefined, exp: seconds('2031-01-01T00:00:00Z') }, 'ERR_CLAIMS_MISMATCH:exp'],
    ['nbf not validFrom', { nbf: seconds('2025-01-01T00:00:00Z') }, 'ERR_CLAIMS_MISMATCH:nbf'],
    ['nbf without validFrom', { validFrom: undefined, nbf: seconds('2026-01-01T00:00:00Z') }, 'ERR_CLAIMS_MISMATCH:nbf'],
    ['iss another issuer', { iss: 'did:web:evil' }, 'ERR_CLAIMS_MISMATCH:iss'],
    ['sub another holder', { sub: 'urn:uscc:91330100MA27Y1F3XC' }, 'ERR_CLAIMS_MISMATCH:sub'],
    ['sub with several subjects', { credentialSubject: [{ id: 'a' }, { id: 'b' }], sub: 'a' }, 'ERR_CLAIMS_MISMATCH:sub'],
    ['jti another credential', { jti: 'urn:uuid:2' }, 'ERR_CLAIMS_MISMATCH:jti'],
    ['jti without id', { id: undefined, jti: 'urn:uuid:1' }, 'ERR_CLAIMS_MISMATCH:jti'],
    ['a vc claim', { vc: {} }, 'ERR_CLAIMS_FORBIDDEN:vc'],
    ['a vp claim', { vp: 'x' }, 'ERR_CLAIMS_FORBIDDEN:vp'],
  ])('refuses %s, naming the claim', (_name, patch, expected) => {
    const payload = JSON.parse(JSON.stringify({ ...credential, ...patch }));
    expect(code(payload)).toBe(expected);
  });
});

describe('POST /credentials/verify', () => {
  it('refuses an issuer-signed licence whose exp is in the past (today VALID), and whose claims disagree', async () => {
    const { payload } = await issued();
    const past = await signVc({ ...payload, exp: seconds('2026-05-01T00:00:00Z') });
    const res = await verifyVc(enveloped(past));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ verified: false, errors: [{ code: 'ERR_CLAIMS_MISMATCH' }] });
    for (const claim of [{ iss: 'did:web:evil.example' }, { sub: 'urn:uscc:91330100MA27Y1F3XC' }, { jti: 'urn:uuid:other' }, { nbf: 0 }]) {
      const body = await json(await verifyVc(enveloped(await signVc({ ...payload, ...claim }))));
      expect(body.verified, JSON.stringify(claim)).toBe(false);
      expect(body.errors.map((e: any) => e.code)).toContain('ERR_CLAIMS_MISMATCH');
      expect(body.problemDetails[0].type).toMatch(/^https:\/\/www\.w3\.org\/TR\/vc-data-model#/);
    }
    const agreeing = await signVc({
      ...payload,
      exp: seconds(payload.validUntil),
      nbf: seconds(payload.validFrom),
      iss: ISSUER,
      sub: payload.credentialSubject.id,
      jti: payload.id,
    });
    expect(await json(await verifyVc(enveloped(agreeing)))).toMatchObject({ verified: true, errors: [] });
  });

  it('refuses vc and vp claims (VC-JOSE-COSE)', async () => {
    const { payload } = await issued();
    for (const claim of ['vc', 'vp']) {
      const body = await json(await verifyVc(enveloped(await signVc({ ...payload, [claim]: { type: 'x' } }))));
      expect(body).toMatchObject({ verified: false, errors: [{ code: 'ERR_CLAIMS_FORBIDDEN' }] });
    }
  });

  it.each([
    ['no @context', undefined],
    ['an empty @context', []],
    ['a null @context', null],
    ['the examples context only', 'https://www.w3.org/ns/credentials/examples/v2'],
    ['a VC 1.1 context', ['https://www.w3.org/2018/credentials/v1']],
  ])('refuses an envelope with %s (400, was verified: true)', async (_name, context) => {
    const { jws } = await issued();
    const { '@context': _c, ...rest } = enveloped(jws);
    const res = await verifyVc(context === undefined ? rest : { ...rest, '@context': context });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ code: 'ERR_INVALID_CREDENTIAL', field: 'verifiableCredential.@context' });
  });

  it('accepts the VC 2.0 context as a string or first in an array; refuses a wrong type or data URL', async () => {
    const { jws } = await issued();
    expect(await json(await verifyVc(enveloped(jws)))).toMatchObject({ verified: true });
    expect(await json(await verifyVc({ ...enveloped(jws), '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'] }))).toMatchObject({ verified: true });
    expect((await verifyVc({ ...enveloped(jws), type: 'VerifiableCredential' })).status).toBe(400);
    expect((await verifyVc({ ...enveloped(jws), id: jws })).status).toBe(400);
    expect((await verifyVc({ ...enveloped(jws), id: `data:application/jwt,${jws}` })).status).toBe(400);
  });

  it('accepts a validly signed credential without validUntil (optional in VC 2.0), and without validFrom', async () => {
    const { payload } = await issued();
    const { validUntil: _u, ...open } = payload;
    expect(await json(await verifyVc(enveloped(await signVc(open))))).toMatchObject({ verified: true, checks: expect.arrayContaining(['validityWindow']) });
    const { validFrom: _f, ...noStart } = open;
    expect(await json(await verifyVc(enveloped(await signVc(noStart))))).toMatchObject({ verified: true });
    expect(await json(await verifyVc(enveloped(await signVc({ ...open, validUntil: 'soon' }))))).toMatchObject({ verified: false, errors: [{ code: 'ERR_INVALID_CREDENTIAL' }] });
  });

  it('checks status for every credential of a hosted authority, also when its id is not a licence here', async () => {
    const revoked = await issued();
    expect((await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'cancelled' } })).status).toBe(200);
    // An insider with the issuer key signs a credential under a new id that reuses the revoked slot.
    const stranger = await signVc({ ...revoked.payload, id: 'urn:uuid:00000000-0000-7000-8000-000000000000' });
    expect(await json(await verifyVc(enveloped(stranger)))).toMatchObject({ verified: false, errors: [{ code: 'ERR_REVOKED' }] });
    // ... or leaves the status out, or points it at a list that is not the authority's.
    const { credentialStatus: _s, ...noStatus } = revoked.payload;
    expect(await json(await verifyVc(enveloped(await signVc(noStatus))))).toMatchObject({ verified: false, errors: [{ code: 'ERR_STATUS_UNKNOWN' }] });
    const elsewhere = revoked.payload.credentialStatus.map((e: any) => ({ ...e, statusListCredential: 'https://evil.example/status/dev-city/revocation/1' }));
    expect(await json(await verifyVc(enveloped(await signVc({ ...revoked.payload, credentialStatus: elsewhere }))))).toMatchObject({
      verified: false,
      errors: [{ code: 'ERR_STATUS_UNKNOWN' }, { code: 'ERR_STATUS_UNKNOWN' }],
    });
    // A fresh, unrevoked licence still verifies, and a suspended one is reported.
    const fine = await issued();
    expect(await json(await verifyVc(enveloped(fine.jws)))).toMatchObject({ verified: true, checks: ['proof', 'issuerTrusted', 'claims', 'validityWindow', 'credentialStatus'] });
    expect((await t.call('POST', `/v1/licences/${fine.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    expect(await json(await verifyVc(enveloped(fine.jws)))).toMatchObject({ verified: false, errors: [{ code: 'ERR_SUSPENDED' }] });
  });

  it("refuses another key's signature under the issuer's name (an attacker's own key)", async () => {
    const { payload } = await issued();
    const { privateJwk } = await generateSigningJwk('EdDSA');
    const body = await json(await verifyVc(enveloped(await signVc(payload, await signerFromPrivateJwk(privateJwk)))));
    expect(body).toMatchObject({ verified: false, errors: [{ code: 'ERR_KEY_UNKNOWN' }] });
  });

  it('answers deep payloads and bodies with 400 and ERR_JSON_TOO_DEEP, never 500', async () => {
    const { payload } = await issued();
    // Built as text: JSON.stringify itself would overflow the stack on 6,000 levels.
    const deepPayload = JSON.stringify({ ...payload, credentialSubject: { ...payload.credentialSubject, name: '@DEEP@' } }).replace('"@DEEP@"', deepText(6000));
    const signer = await issuerSigner();
    const header = base64url(new TextEncoder().encode(JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: 'vc+jwt', cty: 'vc' })));
    const input = `${header}.${base64url(new TextEncoder().encode(deepPayload))}`;
    const jws = `${input}.${base64url(await signer.sign(new TextEncoder().encode(input)))}`;
    const res = await verifyVc(enveloped(jws));
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain('ERR_JSON_TOO_DEEP');
    const body = await t.call('POST', '/credentials/verify', { token: null, body: `{"verifiableCredential":${deepText(6000)}}` });
    expect(body.status).toBe(400);
    expect((await json(body)).error.code).toBe('ERR_JSON_TOO_DEEP');
  });
});

describe('POST /credentials/issue', () => {
  const credential = (patch: Record<string, unknown> = {}) => ({
    '@context': [V2],
    type: ['VerifiableCredential', 'BusinessLicence'],
    credentialSubject: (({ creditCode, ...rest }) => ({ id: `urn:uscc:${String(creditCode)}`, ...rest }))(businessSubject()),
    ...patch,
  });
  const payloadOf = (vc: { id: string }) => JSON.parse(new TextDecoder().decode(fromBase64url(vc.id.split(',')[1]!.split('.')[1]!)!));

  it('keeps name and description, as strings or language values, in the issued credential', async () => {
    const plain = await json(
      await t.call('POST', '/credentials/issue', { body: { credential: credential({ name: '营业执照', description: 'Business licence of 杭州示例科技有限公司' }) } }),
    );
    expect(payloadOf(plain.verifiableCredential)).toMatchObject({ name: '营业执照', description: 'Business licence of 杭州示例科技有限公司' });
    const name = [
      { '@value': '营业执照', '@language': 'zh' },
      { '@value': 'Business licence', '@language': 'en' },
    ];
    const maps = await json(
      await t.call('POST', '/credentials/issue', { body: { credential: credential({ name, description: { '@value': '电子营业执照', '@language': 'zh' } }) } }),
    );
    const issuedVc = payloadOf(maps.verifiableCredential);
    expect(issuedVc.name).toEqual(name);
    expect(issuedVc.description).toEqual({ '@value': '电子营业执照', '@language': 'zh' });
    // ...and the credential with them verifies.
    expect(await json(await verifyVc(maps.verifiableCredential))).toMatchObject({ verified: true });
    // An amendment keeps them in the successor.
    const licenceId = String(issuedVc.id).replace('urn:uuid:', '');
    const amended = await t.call('POST', `/v1/licences/${licenceId}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区文三路1号' } } });
    expect(amended.status).toBe(201);
    const successor = (await amended.json()) as { credential: string };
    expect(JSON.parse(new TextDecoder().decode(fromBase64url(successor.credential.split('.')[1]!)!))).toMatchObject({
      name,
      description: { '@value': '电子营业执照', '@language': 'zh' },
    });
  });

  it.each([
    ['a number as name', { name: 42 }, 'credential.name'],
    ['an object without @value', { description: { zh: '营业执照' } }, 'credential.description'],
    ['an unknown member of a language value', { name: { '@value': 'x', colour: 'red' } }, 'credential.name'],
    ['credentialSchema (not supported)', { credentialSchema: { id: 'https://x', type: 'JsonSchema' } }, 'credential.credentialSchema'],
    ['an id that is not a URL', { id: 'not a url' }, 'credential.id'],
    ['a second @context that is not a URL', { '@context': [V2, 'https ://not-a-url/contexts/example/v1'] }, 'credential.@context'],
    ['an issuer name with extra members', { issuer: { id: ISSUER, name: { '@value': 'x', extra: 1 } } }, 'credential.issuer.name'],
    ['an issuer description that is a number', { issuer: { id: ISSUER, description: 7 } }, 'credential.issuer.description'],
  ])('refuses %s with 400 naming the field', async (_name, patch, field) => {
    const res = await t.call('POST', '/credentials/issue', { body: { credential: credential(patch) } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.field).toBe(field);
  });

  it('answers a 6,000-deep subject with 400 ERR_JSON_TOO_DEEP (was 500), on both issue routes', async () => {
    const subject = JSON.stringify({ ...businessSubject(), name: '@DEEP@' }).replace('"@DEEP@"', deepText(6000, '{"a":', '}'));
    const base = credential();
    const vcSubject = JSON.stringify({ ...base.credentialSubject, name: '@DEEP@' }).replace('"@DEEP@"', deepText(6000));
    for (const [path, body] of [
      ['/credentials/issue', `{"credential":${JSON.stringify(base).replace(JSON.stringify(base.credentialSubject), vcSubject)}}`],
      ['/v1/licences', `{"type":"BusinessLicence","subject":${subject}}`],
    ] as const) {
      const res = await t.call('POST', path, { body, headers: { 'Idempotency-Key': 'deep' } });
      expect(res.status, path).toBe(400);
      expect((await json(res)).error.code).toBe('ERR_JSON_TOO_DEEP');
    }
    // The service itself (the local import calls it without HTTP) refuses a deep subject too.
    let deep: unknown = 'x';
    for (let i = 0; i < 6000; i++) deep = { a: deep };
    const principal = { tokenId: 'test', authorityId: 'dev-city', actions: new Set(['issue'] as const), licenceTypes: undefined };
    await expect(issueLicences(t.deps, new LicenceTypeRegistry(t.deps), principal, [{ type: 'BusinessLicence', subject: businessSubject({ name: deep }) }])).rejects.toMatchObject({
      code: 'ERR_JSON_TOO_DEEP',
      field: 'subject',
    });
    // Just under the limit, the type's own schema answers.
    const res = await t.call('POST', '/v1/licences', {
      body: `{"type":"BusinessLicence","subject":${subject.replace(deepText(6000, '{"a":', '}'), deepText(MAX_JSON_DEPTH - 3))}}`,
    });
    expect((await json(res)).error.code).toBe('ERR_VALIDATION');
  });
});

// ---------------------------------------------------------------- presentations

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function toBase58(bytes: Uint8Array): string {
  let value = 0n;
  for (const b of bytes) value = value * 256n + BigInt(b);
  let out = '';
  while (value > 0n) {
    out = BASE58[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

interface Holder {
  did: string;
  kid: string;
  signer: JwsSigner;
}

async function holder(alg: SigningAlgorithm, method: 'jwk' | 'key'): Promise<Holder> {
  const { privateJwk, publicJwk } = await generateSigningJwk(alg);
  const base = await signerFromPrivateJwk(privateJwk);
  let did: string;
  let kid: string;
  if (method === 'jwk') {
    did = `did:jwk:${base64url(new TextEncoder().encode(JSON.stringify(publicJwk)))}`;
    kid = `${did}#0`;
  } else {
    const raw =
      alg === 'EdDSA'
        ? Uint8Array.from([0xed, 0x01, ...fromBase64url(publicJwk.x!)!])
        : Uint8Array.from([0x80, 0x24, ...p256.Point.fromBytes(Uint8Array.from([4, ...fromBase64url(publicJwk.x!)!, ...fromBase64url(publicJwk.y!)!])).toBytes(true)]);
    const multibase = `z${toBase58(raw)}`;
    did = `did:key:${multibase}`;
    kid = `${did}#${multibase}`;
  }
  return { did, kid, signer: { ...base, kid } };
}

const vp = (credentials: unknown[], extra: Record<string, unknown> = {}) => ({ '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: credentials, ...extra });
const envelopedVp = (jws: string) => ({ '@context': [V2], type: 'EnvelopedVerifiablePresentation', id: `data:application/vp+jwt,${jws}` });
const verifyVp = (verifiablePresentation: unknown, options?: Record<string, unknown>) =>
  t.call('POST', '/presentations/verify', { token: null, body: { verifiablePresentation, ...(options ? { options } : {}) } });

describe('resolveHolderKey', () => {
  it('resolves did:jwk and did:key for Ed25519 and P-256, and nothing else', async () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      for (const method of ['jwk', 'key'] as const) {
        const h = await holder(alg, method);
        expect(resolveHolderKey(h.kid)?.did, `${alg} ${method}`).toBe(h.did);
      }
    }
    expect(resolveHolderKey('did:web:holder.example#key-1')).toBeUndefined();
    expect(resolveHolderKey('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#other')).toBeUndefined();
    expect(resolveHolderKey('did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme')).toBeUndefined(); // secp256k1
    expect(resolveHolderKey(`did:jwk:${base64url(new TextEncoder().encode('{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}'))}`)).toBeUndefined();
  });
});

describe('POST /presentations/verify', () => {
  it('verifies vp+jwt presentations signed with did:jwk and did:key holder keys (Ed25519 and P-256)', async () => {
    const a = await issued();
    const b = await issued();
    for (const alg of ['EdDSA', 'ES256'] as const) {
      for (const method of ['jwk', 'key'] as const) {
        const h = await holder(alg, method);
        const jws = await signCompact(h.signer, vp([enveloped(a.jws), enveloped(b.jws)], { holder: h.did, nonce: 'n-1', aud: 'inspector.example' }), 'vp+jwt', 'vp');
        const res = await verifyVp(envelopedVp(jws), { challenge: 'n-1', domain: 'inspector.example' });
        expect(res.status).toBe(200);
        const body = await json(res);
        expect(body, `${alg} ${method}`).toMatchObject({ verified: true, errors: [], checks: ['proof', 'claims', 'credentials'] });
        expect(body.credentialResults.map((r: any) => [r.verified, r.credentialId])).toEqual([
          [true, `urn:uuid:${a.id}`],
          [true, `urn:uuid:${b.id}`],
        ]);
      }
    }
  });

  it('reports an unresolvable holder key, still checking and reporting every credential', async () => {
    const good = await issued();
    const revoked = await issued();
    await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'cancelled' } });
    const h = await holder('EdDSA', 'jwk');
    const jws = await signCompact({ ...h.signer, kid: 'did:web:holder.example#key-1' }, vp([enveloped(good.jws), enveloped(revoked.jws)]), 'vp+jwt', 'vp');
    const body = await json(await verifyVp(envelopedVp(jws)));
    expect(body.verified).toBe(false);
    expect(body.errors.map((e: any) => e.code)).toEqual(['ERR_HOLDER_KEY_UNRESOLVABLE', 'ERR_INVALID_CREDENTIAL']);
    expect(body.credentialResults.map((r: any) => [r.verified, r.errors.map((e: any) => e.code)])).toEqual([
      [true, []],
      [false, ['ERR_REVOKED']],
    ]);
  });

  it("refuses a presentation naming one holder but signed by another's key (holder substitution)", async () => {
    const { jws: credential } = await issued();
    const alice = await holder('EdDSA', 'key');
    const mallory = await holder('EdDSA', 'key');
    const jws = await signCompact(mallory.signer, vp([enveloped(credential)], { holder: alice.did }), 'vp+jwt', 'vp');
    const body = await json(await verifyVp(envelopedVp(jws)));
    expect(body).toMatchObject({ verified: false, errors: [{ code: 'ERR_CLAIMS_MISMATCH' }] });
    // A signature that does not verify, a wrong challenge, vp/vc claims, and an expired presentation.
    const [h, p, s] = (await signCompact(alice.signer, vp([enveloped(credential)], { holder: alice.did }), 'vp+jwt', 'vp')).split('.');
    const tampered = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
    expect(await json(await verifyVp(envelopedVp(tampered)))).toMatchObject({ verified: false, errors: [{ code: 'ERR_JWS_SIGNATURE' }] });
    const nonce = await signCompact(alice.signer, vp([enveloped(credential)], { nonce: 'old' }), 'vp+jwt', 'vp');
    expect(await json(await verifyVp(envelopedVp(nonce), { challenge: 'new' }))).toMatchObject({ verified: false, errors: [{ code: 'ERR_CLAIMS_MISMATCH' }] });
    const claims = await signCompact(alice.signer, vp([enveloped(credential)], { vp: {} }), 'vp+jwt', 'vp');
    expect(await json(await verifyVp(envelopedVp(claims)))).toMatchObject({ verified: false, errors: [{ code: 'ERR_CLAIMS_FORBIDDEN' }] });
    const expired = await signCompact(alice.signer, vp([enveloped(credential)], { exp: seconds('2026-05-01T00:00:00Z') }), 'vp+jwt', 'vp');
    expect(await json(await verifyVp(envelopedVp(expired)))).toMatchObject({ verified: false, errors: [{ code: 'ERR_EXPIRED' }] });
  });

  it('verifies a plain presentation of enveloped credentials, per credential', async () => {
    const a = await issued();
    const body = await json(await verifyVp(vp([enveloped(a.jws)], { holder: 'did:example:holder' })));
    expect(body).toMatchObject({ verified: true, checks: ['credentials'], credentialResults: [{ verified: true }] });
    const bad = await json(await verifyVp(vp([enveloped(a.jws), { ...enveloped(a.jws), id: 'data:application/vc+jwt,x.y.z' }, { type: 'VerifiableCredential' }])));
    expect(bad.verified).toBe(false);
    expect(bad.credentialResults.map((r: any) => r.verified)).toEqual([true, false, false]);
    const proofed = await json(await verifyVp(vp([enveloped(a.jws)], { proof: { type: 'DataIntegrityProof' } })));
    expect(proofed).toMatchObject({ verified: false, errors: [{ code: 'ERR_INVALID_PRESENTATION' }] });
    expect(await json(await verifyVp(vp([])))).toMatchObject({ verified: false, errors: [{ code: 'ERR_INVALID_PRESENTATION' }] });
  });

  it.each([
    ['not an object', 'x'],
    ['no @context', { type: ['VerifiablePresentation'] }],
    ['a wrong type', { '@context': [V2], type: ['VerifiableCredential'] }],
    ['a vc+jwt in a vp envelope', { '@context': [V2], type: 'EnvelopedVerifiablePresentation', id: 'data:application/vc+jwt,a.b.c' }],
    ['an undecodable vp+jwt', { '@context': [V2], type: 'EnvelopedVerifiablePresentation', id: 'data:application/vp+jwt,a.b.c' }],
  ])('refuses %s with 400 ERR_INVALID_PRESENTATION', async (_name, value) => {
    const res = await verifyVp(value);
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('ERR_INVALID_PRESENTATION');
  });

  it('refuses a vp+jwt with the wrong typ (a vc+jwt passed off as a presentation)', async () => {
    const { jws } = await issued();
    const res = await verifyVp(envelopedVp(jws));
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain('typ');
  });
});
