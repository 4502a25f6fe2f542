/**
 * SM2SM3 at the offline verifier: a trust list mixing Ed25519, P-256 and SM2 authorities verifies each of
 * them (licences, QR text, status lists); an SM2 anchor; rotation from Ed25519 to SM2; the insider who holds a
 * listed SM2 key and tries to speak for another authority; and a verifier built before SM2SM3 joined the table,
 * which skips SM2 keys instead of refusing the whole list.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../src/core/bundle.js';
import { base64url, fromBase64url, utf8 } from '../src/core/encoding.js';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { readPinnedAnchors } from '../src/core/trust-list.js';
import { type CheckName, type VerifyResult, verify } from '../verifier/index.js';
import {
  type Anchor,
  type Authority,
  issueLicence,
  makeAuthority,
  makeKey,
  makeWorld,
  NOW,
  REVOKED_INDEX,
  signStatusList,
  signTrustListFor,
  statusUrl,
  type World,
} from './fixtures/world.js';
import { type WithoutSm2, withoutSm2 } from './helpers/without-sm2.js';

let w: World;
let jiaxing: Authority;
/** Zhejiang's list with Hangzhou (Ed25519), Ningbo (P-256) and Jiaxing (SM2). */
let mixedList: string;
let statusLists: Array<{ url: string; jws: string }>;
let bundle: ReturnType<typeof buildBundle>;

const fetchedAt = () => new Date(NOW - 1_800_000).toISOString();
const check = (result: VerifyResult, name: CheckName) => result.checks.find((c) => c.name === name)!;
const parts = (jws: string) => jws.split('.') as [string, string, string];

function bundleOf(trustLists: string[], lists = statusLists) {
  return buildBundle({
    generatedAt: new Date(NOW - 1_800_000),
    trustLists: trustLists.map((jws) => ({ jws, fetchedAt: fetchedAt() })),
    statusLists: lists.map((s) => ({ ...s, fetchedAt: fetchedAt() })),
  });
}

beforeAll(async () => {
  w = await makeWorld();
  jiaxing = makeAuthority('330400-amr', '嘉兴市市场监督管理局', 'Jiaxing AMR', '330400', [await makeKey('SM2SM3')]);
  mixedList = await signTrustListFor(w.zhejiang, { federate: [{ anchor: w.jiangsu, jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] }] }, [
    ...w.zhejiangAuthorities,
    jiaxing,
  ]);
  statusLists = [
    ...w.statusLists,
    { url: statusUrl(jiaxing, 'revocation'), jws: await signStatusList(jiaxing, 'revocation', { set: [REVOKED_INDEX] }) },
    { url: statusUrl(jiaxing, 'suspension'), jws: await signStatusList(jiaxing, 'suspension') },
  ];
  bundle = bundleOf([mixedList, w.jiangsuList]);
});

let old: WithoutSm2<typeof import('../verifier/index.js')> | undefined;
afterEach(() => {
  old?.restore();
  old = undefined;
});

describe('a trust list mixing Ed25519, P-256 and SM2 authorities', () => {
  it('verifies each: Hangzhou (EdDSA), Ningbo (ES256), Jiaxing (SM2SM3), and federated Nanjing, from JWS and QR text', async () => {
    const licences = [
      ['EdDSA', await issueLicence(w.hangzhou)],
      ['ES256', await issueLicence(w.ningbo, { type: 'FoodBusinessLicence' })],
      ['SM2SM3', await issueLicence(jiaxing)],
      ['EdDSA', await issueLicence(w.nanjing)],
    ] as const;
    for (const [alg, jws] of licences) {
      for (const input of [jws, encodeLicenceQr(jws)]) {
        const result = await verify(input, bundle, w.options());
        expect(result.verdict, `${alg} ${input.slice(0, 8)}`).toBe('VALID');
        expect(check(result, 'algorithm').message).toContain(alg);
        expect(check(result, 'algorithm').message).toContain('SM2SM3');
      }
    }
    const result = await verify(await issueLicence(jiaxing), bundle, w.options());
    expect(result.licence!.issuer).toMatchObject({ id: jiaxing.id, jurisdiction: '330400' });
    expect(result.checks.every((c) => c.result === 'ok' || (c.name === 'presentation' && c.result === 'skip'))).toBe(true);
  });

  it('SM2-signed status lists count: a revoked SM2 licence is REVOKED; a status list signed with another key is not trusted', async () => {
    const revoked = await issueLicence(jiaxing, { revocationIndex: REVOKED_INDEX });
    expect((await verify(revoked, bundle, w.options())).verdict).toBe('REVOKED');
    // Jiaxing's revocation list signed by Hangzhou's key instead: never accepted as Jiaxing's.
    const forgedList = await signStatusList(jiaxing, 'revocation', { key: w.hangzhou.keys[1]! });
    const lists = statusLists.map((s) => (s.url === statusUrl(jiaxing, 'revocation') ? { ...s, jws: forgedList } : s));
    const result = await verify(await issueLicence(jiaxing), bundleOf([mixedList, w.jiangsuList], lists), w.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
  });

  it('one flipped byte anywhere in an SM2 licence never verifies', async () => {
    const jws = await issueLicence(jiaxing);
    const verdicts = new Set<string>();
    for (let i = 0; i < jws.length; i += 2) {
      if (jws[i] === '.') continue;
      const flipped = jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1);
      const result = await verify(flipped, bundle, w.options());
      expect(result.verdict, `position ${i}`).not.toBe('VALID');
      verdicts.add(result.verdict);
    }
    expect(verdicts.has('INVALID')).toBe(true);
    const [h, p, s] = parts(jws);
    const signature = fromBase64url(s)!;
    signature[17]! ^= 1;
    const result = await verify(`${h}.${p}.${base64url(signature)}`, bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'signature')).toMatchObject({ result: 'fail', code: 'ERR_JWS_SIGNATURE' });
  });

  it("the insider: Jiaxing signs with its SM2 key as Hangzhou, under Hangzhou's Ed25519 kid or its own: refused", async () => {
    const asHangzhou = (kid: string) => {
      const credential = { ...JSON.parse(new TextDecoder().decode(fromBase64url(parts(hangzhouTemplate)[1]))) };
      const signingInput = `${base64url(utf8(JSON.stringify({ alg: 'SM2SM3', kid, typ: 'vc+jwt', cty: 'vc' })))}.${base64url(utf8(JSON.stringify(credential)))}`;
      return jiaxing.keys[0]!.signer.sign(utf8(signingInput)).then((sig) => `${signingInput}.${base64url(sig)}`);
    };
    const hangzhouTemplate = await issueLicence(w.hangzhou, { key: w.hangzhou.keys[0] });
    // An SM2 signature under a kid that names an Ed25519 key.
    const underEdKid = await verify(await asHangzhou(w.hangzhou.keys[0]!.kid), bundle, w.options());
    expect(underEdKid.verdict).toBe('INVALID');
    expect(underEdKid.checks.find((c) => c.result === 'fail')).toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
    // Its own kid, but the credential names Hangzhou as issuer: the key is not Hangzhou's.
    const underOwnKid = await verify(await asHangzhou(jiaxing.keys[0]!.kid), bundle, w.options());
    expect(underOwnKid.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(underOwnKid, 'keyValid')).toMatchObject({ result: 'fail', code: 'ERR_KEY_UNKNOWN' });
  });

  it('rotation from Ed25519 to SM2: licences signed before with the old key and after with the new one both verify', async () => {
    const oldKey = await makeKey('EdDSA', '2025-01-01T00:00:00Z', '2026-03-01T00:00:00Z');
    const newKey = await makeKey('SM2SM3', '2026-03-01T00:00:00Z');
    const rotated = makeAuthority('330500-amr', '湖州市市场监督管理局', 'Huzhou AMR', '330500', [oldKey, newKey]);
    const list = await signTrustListFor(w.zhejiang, {}, [...w.zhejiangAuthorities, rotated]);
    const lists = [
      ...w.statusLists,
      { url: statusUrl(rotated, 'revocation'), jws: await signStatusList(rotated, 'revocation', { key: newKey }) },
      { url: statusUrl(rotated, 'suspension'), jws: await signStatusList(rotated, 'suspension', { key: newKey }) },
    ];
    const b = bundleOf([list], lists);
    const before = await issueLicence(rotated, { key: oldKey, issuedAt: Date.parse('2026-01-15T00:00:00Z') });
    const after = await issueLicence(rotated, { key: newKey, issuedAt: Date.parse('2026-04-01T00:00:00Z') });
    expect((await verify(before, b, w.options())).verdict).toBe('VALID');
    expect((await verify(after, b, w.options())).verdict).toBe('VALID');
    // The new SM2 key before its window opened is not valid for a licence issued then.
    const early = await issueLicence(rotated, { key: newKey, issuedAt: Date.parse('2026-01-15T00:00:00Z') });
    expect(check(await verify(early, b, w.options()), 'keyValid')).toMatchObject({ result: 'fail' });
  });
});

describe('an SM2 trust anchor', () => {
  it('pinned by its SM2 key, its SM2-signed list is accepted; the same list under another pinned key is not', async () => {
    const fujian: Anchor = {
      id: 'did:web:trust.fj.example',
      name: { zh: '福建省市场监督管理局', en: 'Fujian AMR' },
      jurisdiction: '350000',
      key: await makeKey('SM2SM3'),
      namespace: 'did:web:elicence.fj.example:',
    };
    const fuzhou = { ...makeAuthority('350100-amr', '福州市市场监督管理局', 'Fuzhou AMR', '350100', [await makeKey('EdDSA')]) };
    fuzhou.id = 'did:web:elicence.fj.example:authorities:350100-amr';
    const list = await signTrustListFor(fujian, { sequence: 1 }, [fuzhou]);
    expect(JSON.parse(new TextDecoder().decode(fromBase64url(parts(list)[0])))).toMatchObject({ alg: 'SM2SM3', kid: fujian.key.kid });
    const lists = [
      { url: statusUrl(fuzhou, 'revocation'), jws: await signStatusList(fuzhou, 'revocation') },
      { url: statusUrl(fuzhou, 'suspension'), jws: await signStatusList(fuzhou, 'suspension') },
    ];
    const anchors = { anchorId: fujian.id, keys: [{ ...fujian.key.publicJwk, kid: fujian.key.kid, alg: 'SM2SM3', use: 'sig' }] };
    const pinned = await readPinnedAnchors(anchors, 'fujian');
    expect(pinned.anchors[0]!.keys).toHaveLength(1);
    const licence = await issueLicence(fuzhou);
    expect((await verify(licence, bundleOf([list], lists), { anchors, now: NOW })).verdict).toBe('VALID');
    const elsewhere = { anchorId: fujian.id, keys: [{ ...jiaxing.keys[0]!.publicJwk, kid: jiaxing.keys[0]!.kid }] };
    expect((await verify(licence, bundleOf([list], lists), { anchors: elsewhere, now: NOW })).verdict).toBe('UNTRUSTED_ISSUER');
  });
});

describe('a verifier built before SM2SM3 (the table without its entry)', () => {
  it('skips the SM2 keys of a list and keeps the rest: Ed25519 and P-256 licences still VALID, the SM2 licence refused', async () => {
    old = await withoutSm2(() => import('../verifier/index.js'));
    const ed = await old.module.verify(await issueLicence(w.hangzhou), bundle, w.options());
    expect(ed.verdict).toBe('VALID');
    expect(check(ed, 'trustList').message).toContain(`key ${jiaxing.keys[0]!.kid} skipped: EC/SM2`);
    expect((await old.module.verify(await issueLicence(w.ningbo, { type: 'FoodBusinessLicence' }), bundle, w.options())).verdict).toBe('VALID');
    const sm2Licence = await old.module.verify(await issueLicence(jiaxing), bundle, w.options());
    expect(sm2Licence.verdict).toBe('INVALID');
    expect(check(sm2Licence, 'algorithm')).toMatchObject({ result: 'fail', code: 'ERR_JWS_ALGORITHM' });
    expect(check(sm2Licence, 'algorithm').message).not.toContain('SM2SM3 (allowed');
  });
});
