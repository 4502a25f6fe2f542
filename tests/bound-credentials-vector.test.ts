/**
 * Known answers for the credentials derived from a licence (tests/vectors/bound-credentials.json): a
 * bound copy and an agent authorisation built from the identifier vectors' licences give exactly the
 * committed payloads (member order included) and, signed with the fixed Ed25519 test key, exactly the
 * committed JWSs. And what the builders refuse: a private or non-P-256 device key, a bad mask, bad
 * matters, a period beyond the licence or longer than a year.
 */
import { readFileSync } from 'node:fs';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { describe, expect, test } from 'vitest';
import { buildAgentAuthorisation, buildBoundCopy, checkAgent, checkAuthorisationPeriod, checkDeviceJwk, checkMatters, oneYearAfter } from '../src/core/bound-credentials.js';
import { ElicenceError } from '../src/core/errors.js';
import { publicJwk, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/bound-credentials.json', import.meta.url), 'utf8'));
const ids = JSON.parse(readFileSync(new URL('./vectors/licence-identifier.json', import.meta.url), 'utf8'));
const { privateJwk } = JSON.parse(readFileSync(new URL('./vectors/qr-test-key.json', import.meta.url), 'utf8'));
const { d: _d, ...deviceJwk } = vector.deviceKey.privateJwk;
const { d: _a, ...agentJwk } = vector.agentKey.privateJwk;

const boundOf = (licence: Record<string, unknown>) =>
  buildBoundCopy(licence, { ownStatusEntry: vector.boundCopy.input.ownStatusEntry, deviceJwk, iat: new Date(vector.boundCopy.input.iat) });
const authOf = (licence: Record<string, unknown>, input: Record<string, string> & { matters: unknown; agent: unknown; ownStatusEntry: unknown }) =>
  buildAgentAuthorisation(licence, {
    ...(input as object),
    validFrom: new Date(input.validFrom),
    validUntil: new Date(input.validUntil),
    iat: new Date(input.iat),
    agentJwk,
  } as never);

function expectError(fn: () => unknown, code: string, field: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ElicenceError);
    expect({ code: (error as ElicenceError).code, field: (error as ElicenceError).field }).toEqual({ code, field });
    return;
  }
  throw new Error(`expected ${code} on ${field}`);
}

describe('bound copy known answers', () => {
  test.each([
    ['boundCopy', ids.withIdentifier.credential],
    ['boundCopyNoExpiry', ids.noExpiry.credential],
  ])('%s: exact payload (member order) and exact JWS', async (name, licence) => {
    const payload = boundOf(licence);
    expect(JSON.stringify(payload)).toBe(JSON.stringify(vector[name].payload));
    const signer = await signerFromPrivateJwk(privateJwk);
    expect(await signCompact(signer, payload, 'vc+jwt', 'vc')).toBe(vector[name].jws);
  });

  test('differs from the licence exactly as the contract says', () => {
    const licence = ids.withIdentifier.credential;
    const bound = vector.boundCopy.payload;
    expect(Object.keys(bound)).toEqual([...Object.keys(licence).filter((k) => k !== 'iat'), 'cnf', 'iat']);
    for (const key of ['@context', 'id', 'licenceIdentifier', 'type', 'issuer', 'validFrom', 'credentialSubject']) expect(bound[key]).toEqual(licence[key]);
    // min(licence validUntil 2036, iat + 30 days)
    expect(bound.validUntil).toBe('2026-07-01T00:00:00Z');
    expect(bound.credentialStatus.slice(0, 2)).toEqual(licence.credentialStatus);
    expect(bound.credentialStatus[2]).toEqual({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '70125',
      statusListCredential: 'https://elicence.hangzhou.gov.cn/status/330100-amr/revocation/1',
    });
    expect(bound.cnf).toEqual({ jwk: { kty: 'EC', crv: 'P-256', x: deviceJwk.x, y: deviceJwk.y } });
    expect(bound.iat).toBe(Date.parse('2026-06-01T00:00:00Z') / 1000);
    // A licence without expiry: validUntil is added right after validFrom.
    const noExpiry = vector.boundCopyNoExpiry.payload;
    expect(Object.keys(noExpiry).indexOf('validUntil')).toBe(Object.keys(noExpiry).indexOf('validFrom') + 1);
    expect(noExpiry.validUntil).toBe('2026-07-01T00:00:00Z');
  });

  test('a licence ending before iat + 30 days caps the copy at its own end', () => {
    const licence = { ...ids.withIdentifier.credential, validUntil: '2026-06-10T16:00:00Z' };
    expect(boundOf(licence)['validUntil']).toBe('2026-06-10T16:00:00Z');
    expectError(() => boundOf({ ...licence, validUntil: '2026-05-31T00:00:00Z' }), 'ERR_LICENCE_EXPIRED', 'licence');
    // A bound copy is not bound again.
    expectError(
      () => buildBoundCopy(vector.boundCopy.payload, { ownStatusEntry: vector.boundCopy.input.ownStatusEntry, deviceJwk, iat: new Date() }),
      'ERR_INVALID_CREDENTIAL',
      'licence',
    );
  });

  test('the committed JWSs verify with jose against the issuer key alone', async () => {
    const signer = await signerFromPrivateJwk(privateJwk);
    const jwks = createLocalJWKSet({ keys: [{ ...publicJwk(privateJwk), kid: signer.kid, alg: 'EdDSA' }] });
    for (const name of ['boundCopy', 'boundCopyNoExpiry', 'agentAuthorisation', 'agentAuthorisationNoExpiry']) {
      const { payload } = await compactVerify(vector[name].jws, jwks, { algorithms: ['EdDSA'] });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(vector[name].payload);
      expect(decodeProtectedHeader(vector[name].jws)).toEqual({ alg: 'EdDSA', kid: signer.kid, typ: 'vc+jwt', cty: 'vc' });
    }
  });
});

describe('agent authorisation known answers', () => {
  test.each([
    ['agentAuthorisation', ids.withIdentifier.credential],
    ['agentAuthorisationNoExpiry', ids.noExpiry.credential],
  ])('%s: exact payload and exact JWS', async (name, licence) => {
    const payload = authOf(licence, vector[name].input);
    expect(JSON.stringify(payload)).toBe(JSON.stringify(vector[name].payload));
    const signer = await signerFromPrivateJwk(privateJwk);
    expect(await signCompact(signer, payload, 'vc+jwt', 'vc')).toBe(vector[name].jws);
  });

  test('the contract shape: licence reference, company, agent, matters, own entry then the licence entries, cnf', () => {
    const auth = vector.agentAuthorisation.payload;
    const licence = ids.withIdentifier.credential;
    expect(Object.keys(auth)).toEqual(['@context', 'id', 'type', 'issuer', 'validFrom', 'validUntil', 'credentialSubject', 'credentialStatus', 'cnf', 'iat']);
    expect(auth.type).toEqual(['VerifiableCredential', 'AgentAuthorisation']);
    expect(auth.issuer).toEqual(licence.issuer);
    expect(auth.credentialSubject.licence).toEqual({ id: licence.id, identifier: licence.licenceIdentifier, type: 'BusinessLicence', validUntil: licence.validUntil });
    expect(auth.credentialSubject.company).toEqual({ name: '杭州云栖智算科技有限公司', creditCode: '91330106MA2H3K7X1L' });
    expect(auth.credentialStatus.slice(1)).toEqual(licence.credentialStatus);
    expect(auth.credentialStatus[0].statusListIndex).toBe('3187');
    // No expiry: licence.validUntil omitted.
    expect(Object.keys(vector.agentAuthorisationNoExpiry.payload.credentialSubject.licence)).toEqual(['id', 'identifier', 'type']);
    expect(vector.agentAuthorisationNoExpiry.payload.credentialSubject.matters).toBe('all');
  });
});

describe('what the builders refuse', () => {
  const p256 = { kty: 'EC', crv: 'P-256', x: deviceJwk.x, y: deviceJwk.y };
  test('device keys: P-256 public only, on the curve', async () => {
    expect(checkDeviceJwk({ ...p256, kid: 'x', alg: 'ES256', use: 'sig' }, 'jwk')).toEqual(p256);
    expectError(() => checkDeviceJwk(vector.deviceKey.privateJwk, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk({ ...p256, crv: 'P-384' }, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk({ kty: 'OKP', crv: 'Ed25519', x: publicJwk(privateJwk).x }, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk({ ...p256, alg: 'EdDSA' }, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk({ ...p256, y: p256.x }, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk({ ...p256, x: 'short' }, 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(() => checkDeviceJwk('not a key', 'jwk'), 'ERR_DEVICE_KEY', 'jwk');
    expectError(
      () =>
        boundOf({ ...ids.withIdentifier.credential }) &&
        buildBoundCopy(ids.withIdentifier.credential, { ownStatusEntry: { listUrl: 'x', index: 1 }, deviceJwk: vector.deviceKey.privateJwk, iat: new Date() }),
      'ERR_DEVICE_KEY',
      'deviceJwk',
    );
  });

  test('masked ID numbers hide the birth date; matters are codes', () => {
    for (const good of ['3301**********1234', '330106********123X', '33************0001'])
      expect(checkAgent({ name: ' 李明 ', idNumberMasked: good })).toEqual({ name: '李明', idNumberMasked: good });
    for (const bad of ['330106199001011234', '3301*********1234', '330106199*****1234', '3301**********123x', '*****************1', '3301**********12345']) {
      expectError(() => checkAgent({ name: '李明', idNumberMasked: bad }), 'ERR_VALIDATION', 'agent.idNumberMasked');
    }
    expectError(() => checkAgent({ name: '  ', idNumberMasked: '3301**********1234' }), 'ERR_VALIDATION', 'agent.name');
    expect(checkMatters('all')).toBe('all');
    expect(checkMatters(['a', 'B-1_x'])).toEqual(['a', 'B-1_x']);
    expectError(() => checkMatters([]), 'ERR_VALIDATION', 'matters');
    expectError(() => checkMatters(['ok', 'no spaces']), 'ERR_VALIDATION', 'matters[1]');
    expectError(() => checkMatters(['a', 'a']), 'ERR_VALIDATION', 'matters[1]');
    expectError(() => checkMatters(Array.from({ length: 51 }, (_, i) => `m${i}`)), 'ERR_VALIDATION', 'matters');
    expectError(() => checkMatters(['x'.repeat(33)]), 'ERR_VALIDATION', 'matters[0]');
  });

  test('periods: at most one calendar year, never beyond the licence', () => {
    const licence = { validFrom: Date.parse('2026-01-01T00:00:00Z'), validUntil: Date.parse('2030-01-01T00:00:00Z') };
    const from = Date.parse('2027-02-28T16:00:00Z');
    expect(() => checkAuthorisationPeriod({ validFrom: from, validUntil: oneYearAfter(from) }, licence)).not.toThrow();
    expectError(() => checkAuthorisationPeriod({ validFrom: from, validUntil: oneYearAfter(from) + 1000 }, licence), 'ERR_VALIDITY_WINDOW', 'validUntil');
    // Leap years: 2028-02-29 + 1 year = 2029-03-01 (366 days).
    expect(oneYearAfter(Date.parse('2028-02-29T00:00:00Z'))).toBe(Date.parse('2029-03-01T00:00:00Z'));
    expectError(
      () => checkAuthorisationPeriod({ validFrom: Date.parse('2029-06-01T00:00:00Z'), validUntil: Date.parse('2030-01-01T00:00:01Z') }, licence),
      'ERR_VALIDITY_WINDOW',
      'validUntil',
    );
    expectError(
      () => checkAuthorisationPeriod({ validFrom: Date.parse('2025-12-31T00:00:00Z'), validUntil: Date.parse('2026-06-01T00:00:00Z') }, licence),
      'ERR_VALIDITY_WINDOW',
      'validFrom',
    );
    expectError(() => checkAuthorisationPeriod({ validFrom: from, validUntil: from }, licence), 'ERR_VALIDITY_WINDOW', 'validUntil');
    expect(() => checkAuthorisationPeriod({ validFrom: from, validUntil: oneYearAfter(from) }, { validFrom: licence.validFrom, validUntil: undefined })).not.toThrow();
    // The builder applies the same rules.
    const input = { ...vector.agentAuthorisation.input, validUntil: '2036-03-15T00:00:01Z', validFrom: '2035-06-01T00:00:00Z' };
    expectError(() => authOf(ids.withIdentifier.credential, input), 'ERR_VALIDITY_WINDOW', 'validUntil');
  });
});
