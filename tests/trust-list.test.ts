import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, parseBundle } from '../src/core/bundle.js';
import { base64url, fromBase64url, fromUtf8, utf8 } from '../src/core/encoding.js';
import { signCompact } from '../src/core/jws-sign.js';
import {
  acceptIssuer,
  buildTrustList,
  isJurisdictionCode,
  isJurisdictionPrefix,
  parseTrustListPayload,
  signTrustList,
  TRUST_LIST_TYP,
  type VerifiedTrustList,
  verifyFederatedTrustList,
  verifyTrustList,
} from '../src/core/trust-list.js';
import { type Anchor, DAY, type Key, makeAuthority, makeKey, makeWorld, NOW, signTrustListFor, trustListPayload, type World } from './fixtures/world.js';

let w: World;
let zj: VerifiedTrustList;
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  w = await makeWorld();
  zj = await verifyTrustList(w.zhejiangList, { anchors: w.options().anchors, now: NOW });
});

const anchorsOf = (anchor: Anchor) => ({ keys: [anchor.key.publicJwk] });

describe('verifyTrustList', () => {
  it('accepts a list signed by a pinned anchor and reads it', () => {
    expect(zj.anchorId).toBe(w.zhejiang.id);
    expect(zj.sequence).toBe(7);
    expect(zj.inGrace).toBe(false);
    expect([...zj.authorities.keys()]).toEqual([w.hangzhou.id, w.ningbo.id, w.wenzhou.id]);
    expect(zj.authorities.get(w.hangzhou.id)!.keys.size).toBe(2);
    expect(zj.federatedAnchors[0]!.scope).toEqual({ issuerPrefixes: ['did:web:elicence.js.example:'], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] });
  });

  it('uses the distinct typ and an RFC 7638 kid', () => {
    const header = JSON.parse(fromUtf8(fromBase64url(w.zhejiangList.split('.')[0]!)!));
    expect(header).toEqual({ alg: 'EdDSA', kid: w.zhejiang.key.kid, typ: TRUST_LIST_TYP });
  });

  it('refuses a list signed by an unknown key (ERR_TRUST_ANCHOR_UNKNOWN)', async () => {
    await expect(verifyTrustList(w.jiangsuList, { anchors: anchorsOf(w.zhejiang), now: NOW })).rejects.toMatchObject({ code: 'ERR_TRUST_ANCHOR_UNKNOWN' });
    const impostor = await signTrustListFor(w.zhejiang, { signWith: await makeKey() }, w.zhejiangAuthorities);
    await expect(verifyTrustList(impostor, { anchors: anchorsOf(w.zhejiang), now: NOW })).rejects.toMatchObject({ code: 'ERR_TRUST_ANCHOR_UNKNOWN' });
  });

  it('refuses a tampered list (ERR_JWS_SIGNATURE)', async () => {
    const [h, p, s] = w.zhejiangList.split('.') as [string, string, string];
    const payload = fromUtf8(fromBase64url(p)!).replace('"status":"active"', '"status":"activ\\u0065"');
    const tampered = `${h}.${base64url(utf8(payload))}.${s}`;
    await expect(verifyTrustList(tampered, { anchors: anchorsOf(w.zhejiang), now: NOW })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE' });
  });

  it('accepts an expired list within the grace period and refuses it beyond (ERR_TRUST_LIST_EXPIRED)', async () => {
    const expiresAt = NOW + 6 * DAY;
    const inGrace = await verifyTrustList(w.zhejiangList, { anchors: anchorsOf(w.zhejiang), now: expiresAt + 3_600_000 });
    expect(inGrace.inGrace).toBe(true);
    await expect(verifyTrustList(w.zhejiangList, { anchors: anchorsOf(w.zhejiang), now: expiresAt + DAY + 1000 })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_EXPIRED' });
    await expect(verifyTrustList(w.zhejiangList, { anchors: anchorsOf(w.zhejiang), now: expiresAt + 1000, graceSeconds: 0 })).rejects.toMatchObject({
      code: 'ERR_TRUST_LIST_EXPIRED',
    });
  });

  it('refuses a list issued in the future (ERR_TRUST_LIST_NOT_YET_VALID)', async () => {
    await expect(verifyTrustList(w.zhejiangList, { anchors: anchorsOf(w.zhejiang), now: NOW - 2 * DAY })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_NOT_YET_VALID' });
  });

  it('refuses a replayed older sequence (ERR_TRUST_LIST_REPLAYED) and accepts the same or newer', async () => {
    const options = { anchors: anchorsOf(w.zhejiang), now: NOW };
    await expect(verifyTrustList(w.zhejiangList, { ...options, minSequence: 8 })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_REPLAYED' });
    await expect(verifyTrustList(w.zhejiangList, { ...options, minSequence: 7 })).resolves.toMatchObject({ sequence: 7 });
  });

  it('refuses another typ and a malformed payload', async () => {
    const payload = await trustListPayload(w.zhejiang, {}, w.zhejiangAuthorities);
    const asLicence = await signCompact(w.zhejiang.key.signer, payload, 'vc+jwt', 'vc');
    await expect(verifyTrustList(asLicence, { anchors: anchorsOf(w.zhejiang), now: NOW })).rejects.toMatchObject({ code: 'ERR_JWS_HEADER' });
    const broken = structuredClone(payload) as unknown as Record<string, any>;
    broken.authorities[0].jurisdiction = '990100';
    const signed = await signTrustList(w.zhejiang.key.signer, broken as never);
    await expect(verifyTrustList(signed, { anchors: anchorsOf(w.zhejiang), now: NOW })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_MALFORMED' });
  });

  it.each([
    ['a kid that is not the thumbprint', (p: any) => (p.authorities[0].keys[0].jwk.kid = 'x')],
    ['a private key member', (p: any) => (p.authorities[0].keys[0].jwk.d = 'AAAA')],
    ['an unknown status', (p: any) => (p.authorities[0].status = 'paused')],
    ['a duplicate authority', (p: any) => p.authorities.push(p.authorities[0])],
    ['an empty key window', (p: any) => (p.authorities[0].keys[0].validUntil = p.authorities[0].keys[0].validFrom)],
    ['a negative sequence', (p: any) => (p.sequence = -1)],
    ['an expiry before issue', (p: any) => (p.expiresAt = '2020-01-01T00:00:00Z')],
    ['a scope without jurisdictions', (p: any) => (p.federatedAnchors[0].scope.jurisdictions = [])],
    ['an RSA key', (p: any) => (p.authorities[0].keys[0].jwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'k' })],
    ['version 2', (p: any) => (p.version = 2)],
  ])('refuses %s (ERR_TRUST_LIST_MALFORMED)', async (_label, mutate) => {
    const payload = structuredClone(await trustListPayload(w.zhejiang, { federate: [{ anchor: w.jiangsu, jurisdictions: ['32'] }] }, w.zhejiangAuthorities));
    mutate(payload);
    await expect(parseTrustListPayload(payload)).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_MALFORMED' });
  });

  it('buildTrustList checks what it builds', async () => {
    const bad = makeAuthority('x', '某市', 'Some city', '330000x', [await makeKey()]);
    await expect(trustListPayload(w.zhejiang, {}, [bad])).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_MALFORMED' });
    const payload = await buildTrustList({
      anchor: { id: 'did:web:a', name: { zh: '甲', en: 'A' } },
      sequence: 0,
      issuedAt: new Date(NOW),
      expiresAt: new Date(NOW + DAY),
      authorities: [],
    });
    expect(Object.keys(payload)).toEqual(['version', 'id', 'name', 'sequence', 'issuedAt', 'expiresAt', 'authorities', 'federatedAnchors']);
  });
});

describe('GB/T 2260 codes', () => {
  it('validates structure and province', () => {
    for (const good of ['330100', '330200', '110101', '320000', '429004', '810000']) expect(isJurisdictionCode(good)).toBe(true);
    for (const bad of ['000000', '990100', '33010', '3301000', '330001', 'abcdef', 330100]) expect(isJurisdictionCode(bad)).toBe(false);
    expect(isJurisdictionPrefix('32')).toBe(true);
    expect(isJurisdictionPrefix('3201')).toBe(true);
    expect(isJurisdictionPrefix('320')).toBe(false);
    expect(isJurisdictionPrefix('99')).toBe(false);
  });
});

describe('acceptIssuer: each rule failing alone', () => {
  const hz = () => w.hangzhou;
  const query = (overrides: Partial<Parameters<typeof acceptIssuer>[1]> = {}) => ({
    issuerId: hz().id,
    kid: hz().keys[0]!.kid,
    issuedAt: at('2026-01-01T00:00:00Z'),
    licenceType: 'BusinessLicence',
    ...overrides,
  });

  it('accepts a listed, active issuer with a key valid at iat and an authorised type', () => {
    const result = acceptIssuer([zj], query());
    expect(result).toMatchObject({ ok: true, authority: { id: hz().id }, key: { kid: hz().keys[0]!.kid } });
  });

  it('issuer missing: ERR_ISSUER_NOT_LISTED', () => {
    expect(acceptIssuer([zj], query({ issuerId: 'did:web:nowhere' }))).toMatchObject({ ok: false, rule: 'issuerListed', code: 'ERR_ISSUER_NOT_LISTED' });
    expect(acceptIssuer([], query())).toMatchObject({ ok: false, code: 'ERR_ISSUER_NOT_LISTED' });
  });

  it.each([
    ['suspended', 'ERR_ISSUER_SUSPENDED'],
    ['withdrawn', 'ERR_ISSUER_WITHDRAWN'],
  ] as const)('issuer %s: %s', async (status, code) => {
    const authorities = w.zhejiangAuthorities.map((a) => (a === w.hangzhou ? { ...a, status } : a));
    const list = await verifyTrustList(await signTrustListFor(w.zhejiang, { authorities }), { anchors: anchorsOf(w.zhejiang), now: NOW });
    expect(acceptIssuer([list], query())).toMatchObject({ ok: false, rule: 'issuerListed', code });
  });

  it("kid unknown: ERR_KEY_UNKNOWN (even when it is another listed issuer's key)", () => {
    expect(acceptIssuer([zj], query({ kid: 'unknown-kid' }))).toMatchObject({ ok: false, rule: 'keyValid', code: 'ERR_KEY_UNKNOWN' });
    expect(acceptIssuer([zj], query({ kid: w.wenzhou.keys[0]!.kid }))).toMatchObject({ ok: false, rule: 'keyValid', code: 'ERR_KEY_UNKNOWN' });
  });

  it('key outside its window at iat: ERR_KEY_NOT_VALID_AT_IAT, and rotation keeps old licences valid', () => {
    const [oldKey, newKey] = hz().keys as [Key, Key];
    expect(acceptIssuer([zj], query({ kid: oldKey.kid, issuedAt: at('2026-02-28T23:59:59Z') })).ok).toBe(true);
    expect(acceptIssuer([zj], query({ kid: oldKey.kid, issuedAt: at('2026-03-01T00:00:00Z') }))).toMatchObject({ ok: false, rule: 'keyValid', code: 'ERR_KEY_NOT_VALID_AT_IAT' });
    expect(acceptIssuer([zj], query({ kid: oldKey.kid, issuedAt: at('2024-12-31T00:00:00Z') }))).toMatchObject({ code: 'ERR_KEY_NOT_VALID_AT_IAT' });
    expect(acceptIssuer([zj], query({ kid: newKey.kid, issuedAt: at('2026-03-01T00:00:00Z') })).ok).toBe(true);
    expect(acceptIssuer([zj], query({ kid: newKey.kid, issuedAt: at('2026-02-01T00:00:00Z') }))).toMatchObject({ code: 'ERR_KEY_NOT_VALID_AT_IAT' });
  });

  it('type not authorised: ERR_TYPE_NOT_AUTHORISED', () => {
    const ningbo = { issuerId: w.ningbo.id, kid: w.ningbo.keys[0]!.kid, issuedAt: at('2026-01-01T00:00:00Z') };
    expect(acceptIssuer([zj], { ...ningbo, licenceType: 'FoodBusinessLicence' }).ok).toBe(true);
    expect(acceptIssuer([zj], { ...ningbo, licenceType: 'BusinessLicence' })).toMatchObject({ ok: false, rule: 'typeAuthorised', code: 'ERR_TYPE_NOT_AUTHORISED' });
    // Without a type (the issuer's own status lists) the type rule does not apply.
    expect(acceptIssuer([zj], ningbo).ok).toBe(true);
  });
});

describe('federation', () => {
  it("accepts a province-B list through province A's federation entry, within its scope", async () => {
    const js = await verifyFederatedTrustList(w.jiangsuList, [zj], { now: NOW });
    expect(js.federation).toEqual({
      vouchedBy: w.zhejiang.id,
      scope: { issuerPrefixes: ['did:web:elicence.js.example:'], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] },
    });
    const nanjing = { issuerId: w.nanjing.id, kid: w.nanjing.keys[0]!.kid, issuedAt: at('2026-01-01T00:00:00Z') };
    expect(acceptIssuer([zj, js], { ...nanjing, licenceType: 'BusinessLicence' })).toMatchObject({ ok: true, list: { anchorId: w.jiangsu.id } });
    // Nanjing may issue food licences in Jiangsu, but Zhejiang's scope only takes business licences.
    expect(acceptIssuer([zj, js], { ...nanjing, licenceType: 'FoodBusinessLicence' })).toMatchObject({ ok: false, code: 'ERR_TYPE_NOT_AUTHORISED' });
  });

  it('refuses authorities outside the scope (ERR_ISSUER_OUT_OF_SCOPE)', async () => {
    // Jiangsu lists an authority with a Zhejiang code: Zhejiang's scope (32) does not cover it.
    const rogue = makeAuthority('rogue', '冒名市', 'Rogue city', '330500', [await makeKey()]);
    const list = await signTrustListFor(w.jiangsu, { sequence: 4, authorities: [...w.jiangsuAuthorities, rogue] });
    const js = await verifyFederatedTrustList(list, [zj], { now: NOW });
    expect(acceptIssuer([zj, js], { issuerId: rogue.id, kid: rogue.keys[0]!.kid, issuedAt: at('2026-01-01T00:00:00Z'), licenceType: 'BusinessLicence' })).toMatchObject({
      ok: false,
      rule: 'issuerListed',
      code: 'ERR_ISSUER_OUT_OF_SCOPE',
    });
  });

  it('refuses a federated list naming another anchor, and does not trust transitively', async () => {
    const liar = await signTrustListFor({ ...w.jiangsu, id: 'did:web:someone-else' }, {}, w.jiangsuAuthorities);
    await expect(verifyFederatedTrustList(liar, [zj], { now: NOW })).rejects.toMatchObject({ code: 'ERR_TRUST_ANCHOR_UNKNOWN' });
    const anhui: Anchor = {
      id: 'did:web:trust.ah.example',
      name: { zh: '安徽省', en: 'Anhui' },
      jurisdiction: '340000',
      key: await makeKey(),
      namespace: 'did:web:elicence.ah.example:',
    };
    const jsFederatingAnhui = await signTrustListFor(w.jiangsu, { sequence: 5, federate: [{ anchor: anhui, jurisdictions: ['34'] }] }, w.jiangsuAuthorities);
    const js = await verifyFederatedTrustList(jsFederatingAnhui, [zj], { now: NOW });
    const anhuiList = await signTrustListFor(anhui, {}, []);
    await expect(verifyFederatedTrustList(anhuiList, [zj, js], { now: NOW })).rejects.toMatchObject({ code: 'ERR_TRUST_ANCHOR_UNKNOWN' });
  });

  it('applies expiry and replay rules to federated lists too', async () => {
    await expect(verifyFederatedTrustList(w.jiangsuList, [zj], { now: NOW, minSequence: 4 })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_REPLAYED' });
    await expect(verifyFederatedTrustList(w.jiangsuList, [zj], { now: NOW + 8 * DAY })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_EXPIRED' });
  });
});

describe('bundle', () => {
  it('parses what buildBundle writes, as an object, JSON text or bytes', () => {
    const text = JSON.stringify(w.bundle);
    expect(parseBundle(w.bundle)).toEqual(w.bundle);
    expect(parseBundle(text)).toEqual(w.bundle);
    expect(parseBundle(utf8(text))).toEqual(w.bundle);
    expect(buildBundle({ trustLists: [], statusLists: [], generatedAt: new Date(NOW) }).generatedAt).toBe('2026-06-01T00:00:00Z');
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['version 2', { version: 2, generatedAt: '2026-06-01T00:00:00Z', trustLists: [], statusLists: [] }],
    ['no generatedAt', { version: 1, trustLists: [], statusLists: [] }],
    ['statusLists missing', { version: 1, generatedAt: '2026-06-01T00:00:00Z', trustLists: [] }],
    ['a status list without url', { version: 1, generatedAt: '2026-06-01T00:00:00Z', trustLists: [], statusLists: [{ jws: 'a.b.c', fetchedAt: '2026-06-01T00:00:00Z' }] }],
    ['a non-JWS entry', { version: 1, generatedAt: '2026-06-01T00:00:00Z', trustLists: [{ jws: 'a.b', fetchedAt: '2026-06-01T00:00:00Z' }], statusLists: [] }],
    ['a bad fetchedAt', { version: 1, generatedAt: '2026-06-01T00:00:00Z', trustLists: [{ jws: 'a.b.c', fetchedAt: 'yesterday' }], statusLists: [] }],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
  ])('refuses %s (ERR_BUNDLE_MALFORMED)', (_label, input) => {
    expect(() => parseBundle(input)).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MALFORMED' }));
  });

  it('refuses duplicate keys in bundle text', () => {
    expect(() => parseBundle('{"version":1,"version":1}')).toThrow(expect.objectContaining({ code: 'ERR_JSON_DUPLICATE_KEY' }));
  });
});
