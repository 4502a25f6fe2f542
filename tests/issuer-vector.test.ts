/**
 * Known-answer vector: a fixed test key (RFC 8032 §7.1 test 1) and a fixed licence give an exact,
 * committed JWS; the QR vector in the same file builds on that JWS, so neither format drifts silently.
 * The same licence signed with SM2 (a fixed key, a committed JWS, since SM2 signatures are randomised).
 * The same licence with a licence identifier, and without expiry (a vector of their own: the reference
 * vector, without an identifier, stays byte for byte what it was).
 */
import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import QRCode from 'qrcode';
import { describe, expect, test } from 'vitest';
import { buildLicenceCredential, signLicenceCredential } from '../src/core/credential.js';
import { isValidCreditCode } from '../src/core/credit-code.js';
import { ElicenceError } from '../src/core/errors.js';
import { publicJwk, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { verifyJws } from '../src/core/jws-verify.js';
import { formatLicenceIdentifier, licenceIdentifierProblem } from '../src/core/licence-identifier.js';
import { BUSINESS_LICENCE, SubjectValidator } from '../src/core/licence-types.js';
import { decodeLicenceQr, encodeLicenceQr } from '../src/core/qr/index.js';
import { qrSegmentsFor } from './helpers/qr-render.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/qr-business-licence.json', import.meta.url), 'utf8'));
const { privateJwk } = JSON.parse(readFileSync(new URL('./vectors/qr-test-key.json', import.meta.url), 'utf8'));

const input = {
  id: '0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
  type: 'BusinessLicence',
  issuer: { id: 'did:web:elicence.hangzhou.gov.cn:authorities:330100-amr', name: '杭州市市场监督管理局' },
  validFrom: new Date('2026-03-15T00:00:00Z'),
  validUntil: new Date('2036-03-15T00:00:00Z'),
  subject: {
    creditCode: '91330106MA2H3K7X1L',
    name: '杭州云栖智算科技有限公司',
    entityType: '有限责任公司（自然人投资或控股）',
    legalRepresentative: '王建国',
    registeredCapital: '1000万元人民币',
    establishedOn: '2019-06-18',
    address: '浙江省杭州市西湖区三墩镇西园八路11号2幢501室',
    businessScope: '一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。',
  },
  status: {
    revocation: { listUrl: 'https://elicence.hangzhou.gov.cn/status/330100-amr/revocation/1', index: 94567 },
    suspension: { listUrl: 'https://elicence.hangzhou.gov.cn/status/330100-amr/suspension/1', index: 120033 },
  },
  issuedAt: new Date(1773532800 * 1000),
};

describe('licence known-answer vector', () => {
  test('the subject is a valid business licence', () => {
    expect(isValidCreditCode(input.subject.creditCode)).toBe(true);
    expect(() => new SubjectValidator(BUSINESS_LICENCE).assertValid(input.subject)).not.toThrow();
  });

  test('builds exactly the committed credential, member order included', () => {
    expect(JSON.stringify(buildLicenceCredential(input))).toBe(JSON.stringify(vector.credential));
  });

  test('signs to exactly the committed JWS', async () => {
    const signer = await signerFromPrivateJwk(privateJwk);
    const jws = await signLicenceCredential(signer, buildLicenceCredential(input));
    expect(jws).toBe(vector.jws);
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'EdDSA', kid: signer.kid, typ: 'vc+jwt', cty: 'vc' });
    expect(signer.kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  test('verifies with jose using only the published JWKS; any flipped byte breaks it', async () => {
    const signer = await signerFromPrivateJwk(privateJwk);
    const jwks = createLocalJWKSet({ keys: [{ ...publicJwk(privateJwk), kid: signer.kid, alg: 'EdDSA' }] });
    const verified = await compactVerify(vector.jws, jwks, { algorithms: ['EdDSA'] });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(vector.credential);
    const jws: string = vector.jws;
    for (let i = 0; i < jws.length; i++) {
      if (jws[i] === '.') continue;
      const flipped = jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1);
      await expect(compactVerify(flipped, jwks, { algorithms: ['EdDSA'] }), `position ${i}`).rejects.toThrow();
    }
  });
});

describe('SM2SM3 known-answer vector (tests/vectors/sm2-business-licence.json)', () => {
  const sm2Vector = JSON.parse(readFileSync(new URL('./vectors/sm2-business-licence.json', import.meta.url), 'utf8'));
  const sm2Key = JSON.parse(readFileSync(new URL('./vectors/sm2-test-key.json', import.meta.url), 'utf8'));
  const sm2Public = () => ({ ...publicJwk(sm2Key.privateJwk), kid: sm2Key.kid });

  test('its header and payload are exactly what signing the licence with the fixed SM2 key gives (the signature is randomised)', async () => {
    const signer = await signerFromPrivateJwk(sm2Key.privateJwk);
    expect(signer).toMatchObject({ alg: 'SM2SM3', kid: sm2Key.kid });
    expect(sm2Key.kid).toBe('lgVsnVqdKsFLJ2q4y2l6gACWaCOEQcWQb1t30j4Q6fU');
    const fresh = await signLicenceCredential(signer, buildLicenceCredential(input));
    const [h, p, s] = fresh.split('.') as [string, string, string];
    expect(`${h}.${p}`).toBe(sm2Vector.jws.split('.').slice(0, 2).join('.'));
    expect(s).not.toBe(sm2Vector.jws.split('.')[2]);
    expect(decodeProtectedHeader(sm2Vector.jws)).toEqual({ alg: 'SM2SM3', kid: sm2Key.kid, typ: 'vc+jwt', cty: 'vc' });
    // Same credential as the Ed25519 vector.
    expect(sm2Vector.jws.split('.')[1]).toBe(vector.jws.split('.')[1]);
    // Both signatures verify with the public key alone.
    for (const jws of [sm2Vector.jws, fresh]) expect((await verifyJws(jws, sm2Public(), { typ: 'vc+jwt', cty: 'vc' })).payload).toEqual(vector.credential);
  });

  test('any flipped character breaks it', async () => {
    const jws: string = sm2Vector.jws;
    for (let i = 0; i < jws.length; i++) {
      if (jws[i] === '.') continue;
      const flipped = jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1);
      await expect(verifyJws(flipped, sm2Public(), { typ: 'vc+jwt', cty: 'vc' }), `position ${i}`).rejects.toBeInstanceOf(ElicenceError);
    }
  });

  test('its QR text is the committed one and decodes to exactly the JWS; QR version 15 at level M, as the Ed25519 licence', () => {
    expect(encodeLicenceQr(sm2Vector.jws)).toBe(sm2Vector.qrText);
    expect(decodeLicenceQr(sm2Vector.qrText)).toBe(sm2Vector.jws);
    const version = (text: string) => QRCode.create(qrSegmentsFor(text), { errorCorrectionLevel: 'M' }).version;
    expect(version(sm2Vector.qrText)).toBe(sm2Vector.qrVersionM);
    expect(sm2Vector.qrVersionM).toBe(15);
    expect(version(vector.qrText)).toBe(15);
    // No dictionary entry for the SM2SM3 header: it compresses slightly less than the Ed25519 one.
    expect(sm2Vector.qrText.length).toBeGreaterThan(vector.qrText.length);
  });
});

describe('licence identifier and no-expiry known-answer vectors (tests/vectors/licence-identifier.json)', () => {
  const idVector = JSON.parse(readFileSync(new URL('./vectors/licence-identifier.json', import.meta.url), 'utf8'));
  const version = (text: string) => QRCode.create(qrSegmentsFor(text), { errorCorrectionLevel: 'M' }).version;

  test('the identifier is the one its parts give, with a valid check character', () => {
    expect(formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: '11330100DC00000024', serial: 12345, version: 1 })).toBe(idVector.licenceIdentifier);
    expect(licenceIdentifierProblem(idVector.licenceIdentifier)).toBeUndefined();
  });

  test.each([
    ['withIdentifier', { ...input, licenceIdentifier: 'YYZZ11330100DC00000024000001234501P' }],
    ['noExpiry', { ...input, validUntil: undefined, licenceIdentifier: 'YYZZ11330100DC00000024000001234501P' }],
  ] as const)('%s: builds, signs and encodes to exactly the committed bytes', async (name, built) => {
    const entry = idVector[name];
    expect(JSON.stringify(buildLicenceCredential(built))).toBe(JSON.stringify(entry.credential));
    const signer = await signerFromPrivateJwk(privateJwk);
    const jws = await signLicenceCredential(signer, buildLicenceCredential(built));
    expect(jws).toBe(entry.jws);
    expect(encodeLicenceQr(jws)).toBe(entry.qrText);
    expect(decodeLicenceQr(entry.qrText)).toBe(jws);
    expect(version(entry.qrText)).toBe(entry.qrVersionM);
  });

  test('licenceIdentifier comes right after id; without validUntil the member is absent; the rest is the reference credential', () => {
    const withId = idVector.withIdentifier.credential;
    expect(Object.keys(withId)).toEqual(['@context', 'id', 'licenceIdentifier', 'type', 'issuer', 'validFrom', 'validUntil', 'credentialSubject', 'credentialStatus', 'iat']);
    const { licenceIdentifier: _id, ...rest } = withId;
    expect(rest).toEqual(vector.credential);
    expect('validUntil' in idVector.noExpiry.credential).toBe(false);
    // The identifier costs one QR version at level M for the reference licence (V15 -> V16).
    expect(version(vector.qrText)).toBe(15);
    expect(idVector.withIdentifier.qrVersionM).toBe(16);
  });
});
