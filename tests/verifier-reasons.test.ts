/**
 * Which legal act, offline: the offline verifier reads the issuer's signed reasons document for exactly
 * the revocation list it used (docs/trust-list.md, "Status reasons"). The verdict stays REVOKED; the
 * reason is a separate field, `unspecified` whenever no current, genuine document says otherwise.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJws } from '../src/core/jws-verify.js';
import { buildStatusReasons, signStatusReasons } from '../src/core/status-reasons.js';
import { verify } from '../verifier/index.js';
import { issueLicence, makeWorld, REVOKED_INDEX, SUSPENDED_INDEX, signStatusList, statusUrl, type World } from './fixtures/world.js';

let w: World;
let revocationList: string;
let statusLists: World['statusLists'];

async function reasonsFor(list: string, signer = w.hangzhou.keys[1]!.signer, version = 12): Promise<string> {
  const encodedList = (decodeJws(list, { typ: 'vc+jwt', cty: 'vc' }).payload.credentialSubject as { encodedList: string }).encodedList;
  const payload = buildStatusReasons({
    issuer: w.hangzhou.id,
    list: { url: statusUrl(w.hangzhou, 'revocation'), version, encodedList },
    entries: [
      { index: REVOKED_INDEX, reason: 'penalty' },
      { index: 131_071, reason: 'superseded' },
    ],
    issuedAt: new Date(Date.parse('2026-05-31T23:00:00Z')),
  });
  return signStatusReasons(signer, payload);
}

const bundleWith = (reasons: string[]) => ({
  ...w.bundleWith({ statusLists }),
  statusReasons: reasons.map((jws) => ({ url: `${statusUrl(w.hangzhou, 'revocation')}/reasons`, jws, fetchedAt: '2026-05-31T23:30:00Z' })),
});

beforeAll(async () => {
  w = await makeWorld();
  revocationList = await signStatusList(w.hangzhou, 'revocation', { key: w.hangzhou.keys[1], set: [REVOKED_INDEX, 131_071], version: 12 });
  statusLists = w.statusLists.map((s) => (s.url === statusUrl(w.hangzhou, 'revocation') ? { ...s, jws: revocationList } : s));
});

describe('the reason of a revoked licence', () => {
  it('comes from the signed reasons document for that list: penalty, superseded', async () => {
    const bundle = bundleWith([await reasonsFor(revocationList)]);
    const penalty = await verify(await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX }), bundle, w.options());
    expect(penalty).toMatchObject({ verdict: 'REVOKED', reason: 'penalty' });
    const superseded = await verify(await issueLicence(w.hangzhou, { revocationIndex: 131_071 }), bundle, w.options());
    expect(superseded).toMatchObject({ verdict: 'REVOKED', reason: 'superseded' });
    expect((await verify(await issueLicence(w.hangzhou), bundle, w.options())).reason).toBeUndefined();
  });

  it('is unspecified, never another verdict, without a document, with a stale one, or one signed by another authority', async () => {
    const licence = await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX });
    expect(await verify(licence, bundleWith([]), w.options())).toMatchObject({ verdict: 'REVOKED', reason: 'unspecified' });
    // For version 11 of the list: stale.
    expect(await verify(licence, bundleWith([await reasonsFor(revocationList, undefined, 11)]), w.options())).toMatchObject({ verdict: 'REVOKED', reason: 'unspecified' });
    // Wenzhou, trusted by the same anchor, signs Hangzhou's reasons: refused.
    const byWenzhou = await reasonsFor(revocationList, w.wenzhou.keys[0]!.signer);
    expect(await verify(licence, bundleWith([byWenzhou]), w.options())).toMatchObject({ verdict: 'REVOKED', reason: 'unspecified' });
    // A genuine one next to the forgery is still read.
    expect(await verify(licence, bundleWith([byWenzhou, await reasonsFor(revocationList)]), w.options())).toMatchObject({ reason: 'penalty' });
  });

  it('a suspension says suspended', async () => {
    const result = await verify(await issueLicence(w.hangzhou, { suspensionIndex: SUSPENDED_INDEX }), bundleWith([]), w.options());
    expect(result).toMatchObject({ verdict: 'SUSPENDED', reason: 'suspended' });
  });
});

it('status lists with a version still verify in a list-without-version world', async () => {
  expect(
    (
      await verify(
        await issueLicence(w.hangzhou),
        w.bundleWith({
          statusLists: [...w.statusLists, { url: statusUrl(w.hangzhou, 'revocation'), jws: await signStatusList(w.hangzhou, 'revocation', { version: 3 }), fetchedAt: '' }],
        }),
        w.options(),
      )
    ).verdict,
  ).toBe('VALID');
});
