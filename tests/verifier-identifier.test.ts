/**
 * The offline verifier and the licence identifier (证照标识, GB/T 36904): shown with the licence, checked
 * (shape, ISO 7064 check character, the issuing authority segment against the credit code the trust
 * list gives the issuer) and flagged when it does not check out, while the verdict stays what the
 * signature and status say. The holder is the field a built-in type declares; a licence without
 * expiry (no validUntil) verifies, shown 长期.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatHuman } from '../src/cli/verifier/format.js';
import { formatLicenceIdentifier } from '../src/core/licence-identifier.js';
import { parseTrustListPayload } from '../src/core/trust-list.js';
import { MESSAGES, verify } from '../verifier/index.js';
import { type Authority, DAY, issueLicence, makeWorld, NOW, signTrustListFor, trustListPayload, type World } from './fixtures/world.js';

const HZ_CODE = '11330100DC00000024';
const NB_CODE = '11330200DC0000004F';

let w: World;
let hangzhou: Authority;
let bundle: ReturnType<World['bundleWith']>;
const identifier = (authorityCode = HZ_CODE, serial = 42) => formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode, serial, version: 1 });

beforeAll(async () => {
  w = await makeWorld();
  // The anchor lists Hangzhou and Ningbo with their credit codes.
  hangzhou = { ...w.hangzhou, creditCode: HZ_CODE };
  const list = await signTrustListFor(w.zhejiang, { sequence: 8 }, [hangzhou, { ...w.ningbo, creditCode: NB_CODE }, w.wenzhou]);
  bundle = w.bundleWith({ trustLists: [list, w.jiangsuList] });
});

const human = (result: Awaited<ReturnType<typeof verify>>, lang: 'zh' | 'en' = 'zh') =>
  formatHuman(result, { lang, colour: false, now: NOW, maxStatusAgeSeconds: 86_400, source: 'test' });

describe('the licence identifier offline', () => {
  it('is shown, unflagged, when it checks out: the authority segment is the listed credit code', async () => {
    const result = await verify(await issueLicence(hangzhou, { licenceIdentifier: identifier() }), bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.licence?.identifier).toEqual({ value: identifier() });
    expect(human(result)).toContain(`证照标识 (Licence identifier): ${identifier()}\n`);
  });

  it('a wrong check character is flagged; the verdict stands (the signature covers it)', async () => {
    const good = identifier();
    const typo = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
    const result = await verify(await issueLicence(hangzhou, { licenceIdentifier: typo }), bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.licence?.identifier).toEqual({ value: typo, flag: 'check' });
    expect(human(result)).toContain(`${typo}  ⚠ ${MESSAGES.zh.identifierFlag.check}`);
    expect(human(result, 'en')).toContain(MESSAGES.en.identifierFlag.check);
  });

  it("Hangzhou's trusted key signing an identifier in Ningbo's name: flagged as not the issuer's code, the verdict unchanged", async () => {
    const forged = identifier(NB_CODE);
    const result = await verify(await issueLicence(hangzhou, { licenceIdentifier: forged }), bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.licence?.issuer.id).toBe(hangzhou.id);
    expect(result.licence?.identifier).toEqual({ value: forged, flag: 'authority' });
  });

  it('without a credit code in the trust list the authority segment cannot be checked: not flagged', async () => {
    const result = await verify(await issueLicence(w.hangzhou, { licenceIdentifier: identifier(NB_CODE) }), w.bundle, w.options());
    expect(result.licence?.identifier).toEqual({ value: identifier(NB_CODE) });
  });

  it('malformed identifiers are flagged by what is wrong; a licence without one shows none', async () => {
    const shapes: Array<[unknown, string]> = [
      ['YYZZ', 'length'],
      [identifier().toLowerCase(), 'characters'],
      [12345, 'characters'],
    ];
    for (const [value, flag] of shapes) {
      const credential = await issueLicence(hangzhou, { licenceIdentifier: value as string });
      const result = await verify(credential, bundle, w.options());
      expect(result.verdict).toBe('VALID');
      expect(result.licence?.identifier?.flag).toBe(flag);
    }
    const none = await verify(await issueLicence(hangzhou), bundle, w.options());
    expect(none.licence).not.toHaveProperty('identifier');
    expect(human(none)).not.toContain('证照标识');
  });
});

describe('the holder and the validity offline', () => {
  it("the holder is the type's declared field: the operator of a food licence; a type the verifier does not hold guesses none", async () => {
    const food = await verify(await issueLicence(w.wenzhou, { type: 'FoodBusinessLicence' }), bundle, w.options());
    expect(food.licence).toMatchObject({ holder: '宁波老外滩餐饮有限公司', holderField: 'operatorName' });
    const business = await verify(await issueLicence(hangzhou), bundle, w.options());
    expect(business.licence).toMatchObject({ holder: '杭州云栖智算科技有限公司', holderField: 'name' });
  });

  it('a licence without validUntil is VALID, shown 长期; the same licence with an end date in the past is EXPIRED', async () => {
    const licence = await issueLicence(hangzhou, { validUntil: null, licenceIdentifier: identifier() });
    const result = await verify(licence, bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.licence).not.toHaveProperty('validUntil');
    expect(result.licence).not.toHaveProperty('lastDay');
    expect(result.checks.find((c) => c.name === 'validityWindow')?.result).toBe('ok');
    expect(human(result)).toContain('有效期 (Valid): 2026-01-01 – 长期');
    expect(human(result, 'en')).toContain('no expiry (long-term)');
    // Issued long ago (by the key valid then): no end date, so still valid.
    const old = { key: hangzhou.keys[0]!, validFrom: Date.parse('2025-02-01T00:00:00Z'), issuedAt: Date.parse('2025-02-01T00:00:00Z') };
    expect((await verify(await issueLicence(hangzhou, { ...old, validUntil: null }), bundle, w.options())).verdict).toBe('VALID');
    expect((await verify(await issueLicence(hangzhou, { ...old, validUntil: NOW - DAY }), bundle, w.options())).verdict).toBe('EXPIRED');
  });
});

describe("the trust list's credit code", () => {
  it('is optional, and when present must be a valid unified social credit code', async () => {
    const payload = await trustListPayload(w.zhejiang, {}, [hangzhou]);
    expect((await parseTrustListPayload(payload)).authorities.get(hangzhou.id)?.creditCode).toBe(HZ_CODE);
    const withoutCode = await trustListPayload(w.zhejiang, {}, [w.hangzhou]);
    expect((await parseTrustListPayload(withoutCode)).authorities.get(hangzhou.id)).not.toHaveProperty('creditCode');
    for (const bad of ['11330100DC00000025', 'x', 18]) {
      const broken = { ...payload, authorities: payload.authorities.map((a) => ({ ...a, creditCode: bad })) };
      await expect(parseTrustListPayload(broken)).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_MALFORMED', field: 'authorities[0].creditCode' });
    }
  });
});
