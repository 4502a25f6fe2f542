/**
 * Tamper corpus for the offline verifier: every verdict reached on purpose, each with the check and
 * code that explain it, built from the test world (tests/fixtures/world.ts).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base64url, fromBase64url, fromUtf8, utf8 } from '../src/core/encoding.js';
import { signCompact } from '../src/core/jws-sign.js';
import { decodeLicenceQr, encodeLicenceQr } from '../src/core/qr/index.js';
import { signTrustList } from '../src/core/trust-list.js';
import { type CheckName, type VerifyResult, verify } from '../verifier/index.js';
import {
  DAY,
  issueLicence,
  licenceCredential,
  makeKey,
  makeWorld,
  NOW,
  REVOKED_INDEX,
  SUSPENDED_INDEX,
  signStatusList,
  signTrustListFor,
  statusUrl,
  trustListPayload,
  type World,
} from './fixtures/world.js';
import { type NobleOnly, withoutWebCryptoCurves } from './helpers/noble-only.js';

let w: World;
let hangzhouLicence: string;

beforeAll(async () => {
  w = await makeWorld();
  hangzhouLicence = await issueLicence(w.hangzhou);
});

let noble: NobleOnly<typeof import('../verifier/index.js')> | undefined;
afterEach(() => {
  noble?.restore();
  noble = undefined;
});

function check(result: VerifyResult, name: CheckName) {
  return result.checks.find((c) => c.name === name)!;
}

function expectFailure(result: VerifyResult, verdict: string, name: CheckName, code: string): void {
  expect(result.verdict).toBe(verdict);
  expect(check(result, name)).toMatchObject({ result: 'fail', code });
}

const parts = (jws: string) => jws.split('.') as [string, string, string];
const payloadOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(parts(jws)[1])!));

describe('VALID', () => {
  it('a Hangzhou business licence, with every check ok and bilingual display fields', async () => {
    const result = await verify(hangzhouLicence, w.bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.checks.map((c) => [c.name, c.result])).toEqual([
      ['format', 'ok'],
      ['algorithm', 'ok'],
      ['signature', 'ok'],
      ['trustList', 'ok'],
      ['issuerListed', 'ok'],
      ['keyValid', 'ok'],
      ['typeAuthorised', 'ok'],
      ['validityWindow', 'ok'],
      ['revocation', 'ok'],
      ['suspension', 'ok'],
      ['statusFreshness', 'ok'],
      ['presentation', 'skip'],
    ]);
    expect(result.licence).toMatchObject({
      type: { code: 'BusinessLicence', name: { zh: '营业执照', en: 'Business licence' } },
      holder: '杭州云栖智算科技有限公司',
      creditCode: '91330106MA2H3K7X1L',
      validUntil: '2031-01-01T00:00:00Z',
      issuer: { id: w.hangzhou.id, name: '杭州市市场监督管理局', listedName: { zh: '杭州市市场监督管理局', en: 'Hangzhou AMR' }, jurisdiction: '330100' },
    });
    expect(result.licence!.fields).toContainEqual({ key: 'legalRepresentative', label: { zh: '法定代表人', en: 'Legal representative' }, value: '王建国' });
    expect(result.statusAge).toBe(3600);
    expect(result.trustListAge).toBe(86_400);
    expect(result.trustLists.map((t) => [t.anchorId, t.sequence])).toEqual([
      [w.zhejiang.id, 7],
      [w.jiangsu.id, 3],
    ]);
  });

  it('from QR text, a data: URL and with surrounding whitespace', async () => {
    for (const input of [encodeLicenceQr(hangzhouLicence), `data:application/vc+jwt,${hangzhouLicence}`, `  ${hangzhouLicence}\n`]) {
      expect((await verify(input, w.bundle, w.options())).verdict).toBe('VALID');
    }
  });

  it('an ES256 food licence from Ningbo, also with the pure-JS fallback verifier', async () => {
    const jws = await issueLicence(w.ningbo, { type: 'FoodBusinessLicence' });
    expect((await verify(jws, w.bundle, w.options())).verdict).toBe('VALID');
    noble = await withoutWebCryptoCurves(() => import('../verifier/index.js'));
    expect((await noble.module.verify(jws, w.bundle, w.options())).verdict).toBe('VALID');
    expect((await noble.module.verify(hangzhouLicence, w.bundle, w.options())).verdict).toBe('VALID');
    expect(noble.refused()).toBeGreaterThan(0);
  });

  it('after key rotation: old licences with the old key, new ones with the new key', async () => {
    const newer = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[1], issuedAt: Date.parse('2026-04-01T00:00:00Z') });
    expect((await verify(newer, w.bundle, w.options())).verdict).toBe('VALID');
    expect((await verify(hangzhouLicence, w.bundle, w.options())).verdict).toBe('VALID');
  });

  it('federation: a Nanjing (province B) licence at a Zhejiang (province A) inspector', async () => {
    const nanjing = await issueLicence(w.nanjing);
    const result = await verify(nanjing, w.bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.licence!.issuer.jurisdiction).toBe('320100');
    // Pinning Jiangsu's anchor directly works too, even without Zhejiang's federation entry.
    const direct = await verify(nanjing, w.bundleWith({ trustLists: [w.jiangsuList] }), w.options({ anchors: { keys: [w.jiangsu.key.publicJwk] } }));
    expect(direct.verdict).toBe('VALID');
    // Without either, Nanjing is unknown.
    const alone = await verify(nanjing, w.bundleWith({ trustLists: [w.zhejiangList] }), w.options());
    expectFailure(alone, 'UNTRUSTED_ISSUER', 'issuerListed', 'ERR_ISSUER_NOT_LISTED');
  });
  it('forward compatible: a status entry of a purpose it does not know is ignored; no validUntil means no expiry', async () => {
    const signer = w.hangzhou.keys[0]!.signer;
    const payload = payloadOf(hangzhouLicence);
    const entries = payload.credentialStatus as Array<Record<string, unknown>>;
    const withFuturePurpose = { ...payload, credentialStatus: [...entries, { ...entries[0], id: 'x#1', statusPurpose: 'message' }, { type: 'SomeFutureStatusEntry', id: 'x#2' }] };
    expect((await verify(await signCompact(signer, withFuturePurpose, 'vc+jwt', 'vc'), w.bundle, w.options())).verdict).toBe('VALID');
    const { validUntil: _gone, ...noExpiry } = payload;
    const longTerm = await verify(
      await signCompact(signer, noExpiry, 'vc+jwt', 'vc'),
      w.bundle,
      w.options({ now: Date.parse('2099-01-01T00:00:00Z'), trustListGraceSeconds: 1e10, maxStatusAgeSeconds: 1e10 }),
    );
    expect(check(longTerm, 'validityWindow')).toMatchObject({ result: 'ok', message: expect.stringContaining('no expiry') });
    expect(longTerm.licence!.validUntil).toBeUndefined();
    // The two purposes it knows stay required, once each.
    const twoRevocations = { ...payload, credentialStatus: [entries[0], entries[0], entries[1]] };
    expectFailure(await verify(await signCompact(signer, twoRevocations, 'vc+jwt', 'vc'), w.bundle, w.options()), 'INVALID', 'format', 'ERR_INVALID_CREDENTIAL');
  });

  it('a trust list carrying keys of an algorithm this verifier does not know: those keys are skipped, the rest verifies', async () => {
    // A province whose newer build adds an algorithm: one new authority with only such a key, and a
    // second key of that kind for Hangzhou. Neither may make the whole list malformed. (secp256k1 stands
    // for any curve the table lacks; SM2 was this example until SM2SM3 joined the table, and verifiers
    // built before it skip SM2 keys this way: tests/verifier-sm2.test.ts.)
    const payload = await trustListPayload(w.zhejiang, {}, w.zhejiangAuthorities);
    const futureKey = {
      jwk: { kty: 'EC', crv: 'secp256k1', x: base64url(new Uint8Array(32).fill(7)), y: base64url(new Uint8Array(32).fill(9)), kid: 'future-k256-key' },
      validFrom: '2025-01-01T00:00:00Z',
    };
    payload.authorities.push({
      id: 'did:web:elicence.zj.example:authorities:330400-amr',
      name: { zh: '嘉兴市市场监督管理局', en: 'Jiaxing AMR' },
      jurisdiction: '330400',
      status: 'active',
      licenceTypes: ['BusinessLicence'],
      keys: [futureKey as never],
    });
    payload.authorities[0]!.keys.push({
      jwk: { kty: 'OKP', crv: 'Ed448', x: base64url(new Uint8Array(57).fill(1)), kid: 'future-ed448-key' },
      validFrom: '2025-01-01T00:00:00Z',
    } as never);
    const list = await signTrustList(w.zhejiang.key.signer, payload);
    const result = await verify(hangzhouLicence, w.bundleWith({ trustLists: [list, w.jiangsuList] }), w.options());
    expect(result.verdict).toBe('VALID');
    expect(check(result, 'trustList').message).toContain('future-k256-key skipped');
    expect(check(result, 'trustList').message).toContain('future-ed448-key skipped');
    expect((await verify(await issueLicence(w.ningbo, { type: 'FoodBusinessLicence' }), w.bundleWith({ trustLists: [list, w.jiangsuList] }), w.options())).verdict).toBe('VALID');
    // A key of a known algorithm with broken coordinates still makes the list malformed.
    const broken = await trustListPayload(w.zhejiang, {}, w.zhejiangAuthorities);
    broken.authorities[0]!.keys.push({ jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'short' }, validFrom: '2025-01-01T00:00:00Z' } as never);
    const refused = await verify(hangzhouLicence, w.bundleWith({ trustLists: [await signTrustList(w.zhejiang.key.signer, broken)] }), w.options());
    expectFailure(refused, 'UNTRUSTED_ISSUER', 'trustList', 'ERR_TRUST_LIST_MALFORMED');
  });
});

describe('INVALID', () => {
  it('a byte flipped anywhere in the JWS never verifies', async () => {
    const verdicts = new Set<string>();
    for (let i = 0; i < hangzhouLicence.length; i++) {
      const c = hangzhouLicence[i]!;
      const flipped = hangzhouLicence.slice(0, i) + (c === 'A' ? 'B' : 'A') + hangzhouLicence.slice(i + 1);
      const result = await verify(flipped, w.bundle, w.options());
      expect(result.verdict, `position ${i}`).not.toBe('VALID');
      verdicts.add(result.verdict);
    }
    expect(verdicts.has('INVALID')).toBe(true);
  });

  it('a character changed anywhere in the QR text never verifies, unless it still carries the same signed licence byte for byte', async () => {
    const qr = encodeLicenceQr(hangzhouLicence);
    for (let i = 0; i < qr.length; i += 3) {
      const changed = qr.slice(0, i) + (qr[i] === '7' ? '3' : '7') + qr.slice(i + 1);
      const result = await verify(changed, w.bundle, w.options());
      // A digit in the unused high bits of the DEFLATE stream's last byte still carries the signed JWS,
      // byte for byte (docs/qr-format.md: the signature decides, never the QR text).
      if (result.verdict === 'VALID') expect(decodeLicenceQr(changed, { canonical: false }), `position ${i}`).toBe(hangzhouLicence);
    }
    expectFailure(await verify(qr.slice(0, -40), w.bundle, w.options()), 'INVALID', 'format', expect.stringMatching(/^ERR_QR_/) as never);
  });

  it('a payload swapped between two licences', async () => {
    const other = await issueLicence(w.hangzhou, { id: '0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e99', revocationIndex: 4 });
    const [h, , s] = parts(hangzhouLicence);
    const swapped = `${h}.${parts(other)[1]}.${s}`;
    expectFailure(await verify(swapped, w.bundle, w.options()), 'INVALID', 'signature', 'ERR_JWS_SIGNATURE');
  });

  it('a field edited and re-encoded', async () => {
    const [h, , s] = parts(hangzhouLicence);
    const payload = payloadOf(hangzhouLicence);
    payload.validUntil = '2099-01-01T00:00:00Z';
    const edited = `${h}.${base64url(utf8(JSON.stringify(payload)))}.${s}`;
    const result = await verify(edited, w.bundle, w.options());
    expectFailure(result, 'INVALID', 'signature', 'ERR_JWS_SIGNATURE');
    expect(result.licence).toBeUndefined();
  });

  it('alg none, HS256, a jwk header, a wrong typ, duplicate keys and trailing garbage', async () => {
    const [, p] = parts(hangzhouLicence);
    const forged = (header: object) => `${base64url(utf8(JSON.stringify(header)))}.${p}.`;
    const kid = w.hangzhou.keys[0]!.kid;
    expectFailure(await verify(forged({ alg: 'none', kid, typ: 'vc+jwt', cty: 'vc' }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_JWS_MALFORMED');
    expectFailure(await verify(`${forged({ alg: 'none', kid, typ: 'vc+jwt', cty: 'vc' })}AAAA`, w.bundle, w.options()), 'INVALID', 'algorithm', 'ERR_JWS_ALGORITHM');
    expectFailure(await verify(`${forged({ alg: 'HS256', kid, typ: 'vc+jwt', cty: 'vc' })}AAAA`, w.bundle, w.options()), 'INVALID', 'algorithm', 'ERR_JWS_ALGORITHM');
    const signer = w.hangzhou.keys[0]!.signer;
    const header = { alg: 'EdDSA', kid, typ: 'vc+jwt', cty: 'vc', jwk: w.hangzhou.keys[0]!.publicJwk };
    const h = base64url(utf8(JSON.stringify(header)));
    const sig = base64url(await signer.sign(utf8(`${h}.${p}`)));
    expectFailure(await verify(`${h}.${p}.${sig}`, w.bundle, w.options()), 'INVALID', 'format', 'ERR_JWS_HEADER');
    const asJwt = await signCompact(signer, payloadOf(hangzhouLicence), 'JWT');
    expectFailure(await verify(asJwt, w.bundle, w.options()), 'INVALID', 'format', 'ERR_JWS_HEADER');
    const dupPayload = base64url(utf8(JSON.stringify(payloadOf(hangzhouLicence)).replace('{', '{"iat":1,')));
    const hh = parts(hangzhouLicence)[0];
    const dup = `${hh}.${dupPayload}.${base64url(await signer.sign(utf8(`${hh}.${dupPayload}`)))}`;
    expectFailure(await verify(dup, w.bundle, w.options()), 'INVALID', 'format', 'ERR_JSON_DUPLICATE_KEY');
    expectFailure(await verify(`${hangzhouLicence}.x`, w.bundle, w.options()), 'INVALID', 'format', 'ERR_JWS_MALFORMED');
  });

  it('a signed token that is not a licence', async () => {
    const signer = w.hangzhou.keys[0]!.signer;
    const notLicence = await signCompact(signer, { hello: 'world' }, 'vc+jwt', 'vc');
    expectFailure(await verify(notLicence, w.bundle, w.options()), 'INVALID', 'format', 'ERR_INVALID_CREDENTIAL');
    const oneStatus = { ...payloadOf(hangzhouLicence), credentialStatus: [payloadOf(hangzhouLicence).credentialStatus[0]] };
    expectFailure(await verify(await signCompact(signer, oneStatus, 'vc+jwt', 'vc'), w.bundle, w.options()), 'INVALID', 'format', 'ERR_INVALID_CREDENTIAL');
  });

  it('JWT claims that disagree with the credential are INVALID; claims that agree verify', async () => {
    const signer = w.hangzhou.keys[0]!.signer;
    const payload = payloadOf(hangzhouLicence);
    const signed = (extra: Record<string, unknown>) => signCompact(signer, { ...payload, ...extra }, 'vc+jwt', 'vc');
    const validUntil = Math.floor(Date.parse(payload.validUntil as string) / 1000);
    const validFrom = Math.floor(Date.parse(payload.validFrom as string) / 1000);
    // An issuer-signed licence with a past exp is not VALID: its two validity statements disagree.
    expectFailure(await verify(await signed({ exp: Math.floor(NOW / 1000) - 60 }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    expectFailure(await verify(await signed({ nbf: validFrom + 1 }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    expectFailure(await verify(await signed({ iss: w.wenzhou.id }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    expectFailure(await verify(await signed({ sub: 'urn:uscc:91330106MA2H3K7X1X' }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    expectFailure(await verify(await signed({ jti: 'urn:uuid:other' }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    expectFailure(await verify(await signed({ vc: {} }), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_FORBIDDEN');
    const { validUntil: _dropped, ...noExpiry } = payload;
    expectFailure(await verify(await signCompact(signer, { ...noExpiry, exp: validUntil }, 'vc+jwt', 'vc'), w.bundle, w.options()), 'INVALID', 'format', 'ERR_CLAIMS_MISMATCH');
    const agreeing = await signed({ exp: validUntil, nbf: validFrom, iss: w.hangzhou.id, sub: (payload.credentialSubject as { id: string }).id, jti: payload.id });
    expect((await verify(agreeing, w.bundle, w.options())).verdict).toBe('VALID');
  });

  it('a validly signed licence nested thousands of levels deep is INVALID, not a crash', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 3_500; i++) deep = [deep];
    const payload = payloadOf(hangzhouLicence);
    const jws = await signCompact(w.hangzhou.keys[0]!.signer, { ...payload, credentialSubject: { ...(payload.credentialSubject as object), nested: deep } }, 'vc+jwt', 'vc');
    expectFailure(await verify(jws, w.bundle, w.options()), 'INVALID', 'format', 'ERR_JSON_TOO_DEEP');
  });

  it('a properly signed licence with an impossible date is INVALID (not read as 2 March, or as the next day)', async () => {
    const signer = w.hangzhou.keys[0]!.signer;
    const cases = [
      ['validFrom', '2027-02-30T00:00:00Z'],
      ['validFrom', '2026-01-01T24:00:00Z'],
      ['validUntil', '2031-13-01T00:00:00Z'],
      ['validUntil', '2031-02-29T00:00:00Z'],
    ] as const;
    for (const [member, value] of cases) {
      const jws = await signCompact(signer, { ...payloadOf(hangzhouLicence), [member]: value }, 'vc+jwt', 'vc');
      const result = await verify(jws, w.bundle, w.options());
      expectFailure(result, 'INVALID', 'format', 'ERR_INVALID_CREDENTIAL');
      expect(check(result, 'format').message, value).toContain(member);
      expect(result.licence).toBeUndefined();
    }
    // The same credential with a real leap day verifies.
    const leap = await signCompact(signer, { ...payloadOf(hangzhouLicence), validUntil: '2028-02-29T00:00:00Z' }, 'vc+jwt', 'vc');
    expect((await verify(leap, w.bundle, w.options())).verdict).toBe('VALID');
  });

  it('bad input types and options are verdicts, not exceptions', async () => {
    for (const input of [undefined, null, 42, {}, [], '']) {
      expect((await verify(input, w.bundle, w.options())).verdict).toBe('INVALID');
    }
    expectFailure(await verify(hangzhouLicence, w.bundle, null as never), 'INVALID', 'format', 'ERR_INPUT');
    expectFailure(await verify(hangzhouLicence, w.bundle, w.options({ now: Number.NaN })), 'INVALID', 'format', 'ERR_INPUT');
  });
});

describe('UNTRUSTED_ISSUER', () => {
  it('re-signed with an untrusted key', async () => {
    const rogue = await makeKey();
    const resigned = await signCompact(rogue.signer, payloadOf(hangzhouLicence), 'vc+jwt', 'vc');
    const result = await verify(resigned, w.bundle, w.options());
    expectFailure(result, 'UNTRUSTED_ISSUER', 'keyValid', 'ERR_KEY_UNKNOWN');
    expect(check(result, 'signature').result).toBe('skip');
    expect(result.licence).toBeUndefined();
  });

  it('re-signed by another listed authority while claiming to be Hangzhou', async () => {
    const resigned = await signCompact(w.wenzhou.keys[0]!.signer, payloadOf(hangzhouLicence), 'vc+jwt', 'vc');
    expectFailure(await verify(resigned, w.bundle, w.options()), 'UNTRUSTED_ISSUER', 'keyValid', 'ERR_KEY_UNKNOWN');
  });

  it('issuer on the list but type not authorised', async () => {
    const jws = await issueLicence(w.ningbo, { type: 'BusinessLicence' });
    const result = await verify(jws, w.bundle, w.options());
    expectFailure(result, 'UNTRUSTED_ISSUER', 'typeAuthorised', 'ERR_TYPE_NOT_AUTHORISED');
    expect(check(result, 'signature').result).toBe('ok');
  });

  it('key used outside its window', async () => {
    const jws = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[0], issuedAt: Date.parse('2026-04-01T00:00:00Z') });
    expectFailure(await verify(jws, w.bundle, w.options()), 'UNTRUSTED_ISSUER', 'keyValid', 'ERR_KEY_NOT_VALID_AT_IAT');
  });

  it('issuer not listed, suspended or withdrawn', async () => {
    const stranger = { ...w.wenzhou, id: 'did:web:elicence.zj.example:authorities:nobody' };
    expectFailure(await verify(await issueLicence(stranger), w.bundle, w.options()), 'UNTRUSTED_ISSUER', 'issuerListed', 'ERR_ISSUER_NOT_LISTED');
    for (const [status, code] of [
      ['suspended', 'ERR_ISSUER_SUSPENDED'],
      ['withdrawn', 'ERR_ISSUER_WITHDRAWN'],
    ] as const) {
      const authorities = w.zhejiangAuthorities.map((a) => (a === w.hangzhou ? { ...a, status } : a));
      const list = await signTrustListFor(w.zhejiang, { sequence: 8, authorities });
      expectFailure(await verify(hangzhouLicence, w.bundleWith({ trustLists: [list] }), w.options()), 'UNTRUSTED_ISSUER', 'issuerListed', code);
    }
  });

  it('a city withdrawn in the next list: its licences become untrusted, the older list is not used', async () => {
    const authorities = w.zhejiangAuthorities.map((a) => (a === w.hangzhou ? { ...a, status: 'withdrawn' as const } : a));
    const next = await signTrustListFor(w.zhejiang, { sequence: 8, authorities });
    const result = await verify(hangzhouLicence, w.bundleWith({ trustLists: [w.zhejiangList, next] }), w.options());
    expectFailure(result, 'UNTRUSTED_ISSUER', 'issuerListed', 'ERR_ISSUER_WITHDRAWN');
    expect(result.trustLists.map((t) => t.sequence)).toEqual([8]);
  });

  it('trust list problems: unknown anchor, expired, replayed, tampered, no trust list, broken bundle', async () => {
    const options = w.options({ anchors: { keys: [(await makeKey()).publicJwk] } });
    expectFailure(await verify(hangzhouLicence, w.bundle, options), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_TRUST_ANCHOR_UNKNOWN');
    expectFailure(await verify(hangzhouLicence, w.bundle, w.options({ now: NOW + 8 * DAY })), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_TRUST_LIST_EXPIRED');
    expectFailure(await verify(hangzhouLicence, w.bundle, w.options({ trustListSequences: { [w.zhejiang.id]: 8 } })), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_TRUST_LIST_REPLAYED');
    const [h, p, s] = parts(w.zhejiangList);
    const tampered = `${h}.${p.slice(0, 40)}${p[40] === 'A' ? 'B' : 'A'}${p.slice(41)}.${s}`;
    expect(check(await verify(hangzhouLicence, w.bundleWith({ trustLists: [tampered] }), w.options()), 'trustList').result).toBe('fail');
    expectFailure(await verify(hangzhouLicence, w.bundleWith({ trustLists: [] }), w.options()), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_NO_TRUST_LIST');
    expectFailure(await verify(hangzhouLicence, { version: 9 }, w.options()), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_BUNDLE_MALFORMED');
    expectFailure(await verify(hangzhouLicence, '{not json', w.options()), 'UNTRUSTED_ISSUER', 'trustList', 'ERR_BUNDLE_MALFORMED');
  });

  it('an expired trust list inside the grace period still accepts, and says so', async () => {
    const result = await verify(hangzhouLicence, w.bundle, w.options({ now: NOW + 6 * DAY + 3_600_000, maxStatusAgeSeconds: 30 * 86_400 }));
    expect(check(result, 'trustList').message).toContain('grace');
    expect(result.trustLists[0]!.inGrace).toBe(true);
  });
});

describe('REVOKED, SUSPENDED, EXPIRED, NOT_YET_VALID', () => {
  it('REVOKED', async () => {
    const result = await verify(await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX }), w.bundle, w.options());
    expectFailure(result, 'REVOKED', 'revocation', 'ERR_LICENCE_REVOKED');
  });

  it('SUSPENDED', async () => {
    const result = await verify(await issueLicence(w.hangzhou, { suspensionIndex: SUSPENDED_INDEX }), w.bundle, w.options());
    expectFailure(result, 'SUSPENDED', 'suspension', 'ERR_LICENCE_SUSPENDED');
  });

  it('EXPIRED (beyond the clock skew only)', async () => {
    const jws = await issueLicence(w.hangzhou, { validUntil: NOW - 600_000 });
    expectFailure(await verify(jws, w.bundle, w.options()), 'EXPIRED', 'validityWindow', 'ERR_LICENCE_EXPIRED');
    const justNow = await issueLicence(w.hangzhou, { validUntil: NOW - 60_000 });
    expect((await verify(justNow, w.bundle, w.options())).verdict).toBe('VALID');
  });

  it('NOT_YET_VALID', async () => {
    const jws = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[1], issuedAt: NOW - DAY, validFrom: NOW + DAY });
    expectFailure(await verify(jws, w.bundle, w.options()), 'NOT_YET_VALID', 'validityWindow', 'ERR_LICENCE_NOT_YET_VALID');
  });
});

describe('STATUS_UNKNOWN', () => {
  const withoutList = (purpose: 'revocation' | 'suspension') => w.statusLists.filter((s) => s.url !== statusUrl(w.hangzhou, purpose));

  it('missing status list', async () => {
    const result = await verify(hangzhouLicence, w.bundleWith({ statusLists: withoutList('suspension') }), w.options());
    expectFailure(result, 'STATUS_UNKNOWN', 'suspension', 'ERR_STATUS_LIST_MISSING');
    expect(check(result, 'revocation').result).toBe('ok');
  });

  it('stale bundle: status lists older than the allowed age, or past their validUntil', async () => {
    expectFailure(await verify(hangzhouLicence, w.bundle, w.options({ maxStatusAgeSeconds: 600 })), 'STATUS_UNKNOWN', 'statusFreshness', 'ERR_STATUS_LIST_STALE');
    const result = await verify(hangzhouLicence, w.bundle, w.options({ now: NOW + 3 * DAY, maxStatusAgeSeconds: 10 * 86_400 }));
    expectFailure(result, 'STATUS_UNKNOWN', 'statusFreshness', 'ERR_STATUS_LIST_STALE');
    expect(result.statusAge).toBe(3 * 86_400 + 3600);
  });

  it('replayed status list: an older copy than one already seen is refused, even though it is genuine', async () => {
    const first = await verify(hangzhouLicence, w.bundle, w.options());
    expect(first.verdict).toBe('VALID');
    const url = statusUrl(w.hangzhou, 'revocation');
    const used = first.statusLists.find((l) => l.url === url)!;
    expect(used.purpose).toBe('revocation');
    // The inspector has since seen a newer revocation list (one that might revoke this licence)...
    const seen = { [url]: used.issuedAt + 60_000 };
    // ...so the older, genuinely signed list it is offered again does not make the licence VALID.
    const replayed = await verify(hangzhouLicence, w.bundle, w.options({ statusListsSeen: seen }));
    expectFailure(replayed, 'STATUS_UNKNOWN', 'revocation', 'ERR_STATUS_LIST_REPLAYED');
    expect(replayed.statusLists.map((l) => l.purpose)).toEqual(['suspension']);
    // The same list, or a newer one, is fine.
    expect((await verify(hangzhouLicence, w.bundle, w.options({ statusListsSeen: { [url]: used.issuedAt } }))).verdict).toBe('VALID');
  });

  it('forged status list: signed by an untrusted key, or by another authority', async () => {
    const rogue = await makeKey();
    const forged = await signStatusList(w.hangzhou, 'revocation', { key: rogue });
    const statusLists = [...withoutList('revocation'), { url: statusUrl(w.hangzhou, 'revocation'), jws: forged }];
    expectFailure(await verify(hangzhouLicence, w.bundleWith({ statusLists }), w.options()), 'STATUS_UNKNOWN', 'revocation', 'ERR_STATUS_LIST_INVALID');
    const byWenzhou = await signStatusList(w.wenzhou, 'revocation', { url: statusUrl(w.hangzhou, 'revocation') });
    const statusLists2 = [...withoutList('revocation'), { url: statusUrl(w.hangzhou, 'revocation'), jws: byWenzhou }];
    expectFailure(await verify(hangzhouLicence, w.bundleWith({ statusLists: statusLists2 }), w.options()), 'STATUS_UNKNOWN', 'revocation', 'ERR_STATUS_LIST_INVALID');
  });

  it('a valid list served under the wrong URL or purpose does not count', async () => {
    const suspensionAsRevocation = w.statusLists.find((s) => s.url === statusUrl(w.hangzhou, 'suspension'))!.jws;
    const statusLists = [...withoutList('revocation'), { url: statusUrl(w.hangzhou, 'revocation'), jws: suspensionAsRevocation }];
    expectFailure(await verify(hangzhouLicence, w.bundleWith({ statusLists }), w.options()), 'STATUS_UNKNOWN', 'revocation', 'ERR_STATUS_LIST_INVALID');
  });

  it('a status list tampered in the bundle (bit cleared by re-encoding) is refused', async () => {
    const original = w.statusLists.find((s) => s.url === statusUrl(w.hangzhou, 'revocation'))!.jws;
    const [h, p, s] = parts(original);
    const payload = JSON.parse(fromUtf8(fromBase64url(p)!));
    payload.validUntil = '2099-01-01T00:00:00Z';
    const tampered = `${h}.${base64url(utf8(JSON.stringify(payload)))}.${s}`;
    const statusLists = [...withoutList('revocation'), { url: statusUrl(w.hangzhou, 'revocation'), jws: tampered }];
    const result = await verify(await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX }), w.bundleWith({ statusLists }), w.options());
    expectFailure(result, 'STATUS_UNKNOWN', 'revocation', 'ERR_STATUS_LIST_INVALID');
  });

  it('an index beyond the list', async () => {
    const short = await signStatusList(w.hangzhou, 'suspension', { key: w.hangzhou.keys[1], entries: 131_072 });
    const jws = await issueLicence(w.hangzhou, { suspensionIndex: 131_072 });
    const statusLists = [...withoutList('suspension'), { url: statusUrl(w.hangzhou, 'suspension'), jws: short }];
    expectFailure(await verify(jws, w.bundleWith({ statusLists }), w.options()), 'STATUS_UNKNOWN', 'suspension', 'ERR_STATUS_INDEX_OUT_OF_RANGE');
  });

  it('the newest valid copy of a list wins', async () => {
    const newer = await signStatusList(w.hangzhou, 'revocation', { key: w.hangzhou.keys[1], set: [94_567], issuedAt: NOW - 60_000 });
    const statusLists = [...w.statusLists, { url: statusUrl(w.hangzhou, 'revocation'), jws: newer }];
    expectFailure(await verify(hangzhouLicence, w.bundleWith({ statusLists }), w.options()), 'REVOKED', 'revocation', 'ERR_LICENCE_REVOKED');
  });
});

describe('precedence', () => {
  it('INVALID > UNTRUSTED_ISSUER > REVOKED > EXPIRED > SUSPENDED > NOT_YET_VALID > STATUS_UNKNOWN', async () => {
    const expiredRevoked = await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX, suspensionIndex: SUSPENDED_INDEX, validUntil: NOW - DAY });
    expect((await verify(expiredRevoked, w.bundle, w.options())).verdict).toBe('REVOKED');
    const expiredSuspended = await issueLicence(w.hangzhou, { suspensionIndex: SUSPENDED_INDEX, validUntil: NOW - DAY });
    expect((await verify(expiredSuspended, w.bundle, w.options())).verdict).toBe('EXPIRED');
    const futureSuspended = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[1], issuedAt: NOW - DAY, validFrom: NOW + DAY, suspensionIndex: SUSPENDED_INDEX });
    expect((await verify(futureSuspended, w.bundle, w.options())).verdict).toBe('SUSPENDED');
    const futureNoStatus = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[1], issuedAt: NOW - DAY, validFrom: NOW + DAY });
    expect((await verify(futureNoStatus, w.bundleWith({ statusLists: [] }), w.options())).verdict).toBe('NOT_YET_VALID');
    const expiredUntrusted = await signCompact((await makeKey()).signer, licenceCredential(w.hangzhou, { validUntil: NOW - DAY }), 'vc+jwt', 'vc');
    expect((await verify(expiredUntrusted, w.bundle, w.options())).verdict).toBe('UNTRUSTED_ISSUER');
    const revokedStale = await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX });
    expect((await verify(revokedStale, w.bundle, w.options({ maxStatusAgeSeconds: 60 }))).verdict).toBe('REVOKED');
  });
});
