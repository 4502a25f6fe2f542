/**
 * Replay of older trust lists and status lists to the offline verifier: a verifier never goes back to
 * an older trust list sequence than one already seen, always uses the newest status list it holds,
 * and an old status list on its own ages into STATUS_UNKNOWN rather than staying VALID.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../../verifier/index.js';
import { DAY, issueLicence, makeWorld, NOW, signStatusList, signTrustListFor, statusUrl, type World } from '../fixtures/world.js';

let world: World;
let licence: string;
const INDEX = 77_777;

beforeAll(async () => {
  world = await makeWorld();
  licence = await issueLicence(world.hangzhou, { key: world.hangzhou.keys[1]!, issuedAt: Date.parse('2026-04-01T00:00:00Z'), revocationIndex: INDEX });
});

describe('trust list replay', () => {
  it('an older sequence than one already seen is refused', async () => {
    expect((await verify(licence, world.bundle, world.options())).verdict).toBe('VALID');
    // The inspector has seen sequence 8; the bundle offers sequence 7 (the fixture's list).
    const result = await verify(licence, world.bundle, world.options({ trustListSequences: { [world.zhejiang.id]: 8 } }));
    expect(result.verdict).toBe('UNTRUSTED_ISSUER');
  });

  it('with an old and a new list in one bundle the newer one rules (a withdrawal is not undone by replaying the old list)', async () => {
    const withdrawn = { ...world.hangzhou, status: 'withdrawn' as const };
    const newer = await signTrustListFor(world.zhejiang, { sequence: 8, authorities: [withdrawn, world.ningbo, world.wenzhou] });
    for (const order of [
      [world.zhejiangList, newer],
      [newer, world.zhejiangList],
    ]) {
      const result = await verify(licence, world.bundleWith({ trustLists: [...order, world.jiangsuList] }), world.options());
      expect(result.verdict).toBe('UNTRUSTED_ISSUER');
    }
  });
});

describe('status list replay', () => {
  const key = () => world.hangzhou.keys[1]!;
  const lists = async (revokedIssuedAt: number, cleanIssuedAt: number) => {
    const revoked = await signStatusList(world.hangzhou, 'revocation', { key: key(), set: [INDEX], issuedAt: revokedIssuedAt });
    const clean = await signStatusList(world.hangzhou, 'revocation', { key: key(), set: [], issuedAt: cleanIssuedAt });
    const others = world.statusLists.filter((s) => s.url !== statusUrl(world.hangzhou, 'revocation'));
    return { revoked, clean, others, url: statusUrl(world.hangzhou, 'revocation') };
  };

  it('the newest status list in the bundle is used, whatever the order (an older clean list does not hide a revocation)', async () => {
    const { revoked, clean, others, url } = await lists(NOW - 600_000, NOW - 3_600_000);
    for (const order of [
      [revoked, clean],
      [clean, revoked],
    ]) {
      const bundle = world.bundleWith({ statusLists: [...others, ...order.map((jws) => ({ url, jws }))] });
      expect((await verify(licence, bundle, world.options())).verdict).toBe('REVOKED');
    }
  });

  it('an old status list replayed on its own is STATUS_UNKNOWN once older than the allowed age, never VALID', async () => {
    // Signed 36 h ago, still within its own validity (48 h), but older than the inspector allows (24 h).
    const { clean, others, url } = await lists(NOW, NOW - 1.5 * DAY);
    const bundle = world.bundleWith({ statusLists: [...others, { url, jws: clean }] });
    expect((await verify(licence, bundle, world.options({ maxStatusAgeSeconds: 86_400 }))).verdict).toBe('STATUS_UNKNOWN');
  });
});
