/** The two-character name index: written with the licence, backfilled by the migration, searched by any part of the name. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amendByPatch } from '../../src/console/legal-api.js';
import { LicenceTypeRegistry } from '../../src/services/licence-types.js';
import { nameBigrams } from '../../src/services/name-search.js';
import { businessSubject as baseBusinessSubject, createTestContext, foodSubject, type TestContext } from '../helpers/app.js';
import { freshCreditCode } from './codes.js';

/** One active business licence per holder (uniquePerHolder): every licence here gets its own credit code. */
const businessSubject = (overrides: Record<string, unknown>) => baseBusinessSubject({ creditCode: freshCreditCode(), ...overrides });

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(subject: Record<string, unknown>, type = 'BusinessLicence'): Promise<string> {
  const res = await t.call('POST', '/v1/licences', { body: { type, subject } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function search(query: string, extra = ''): Promise<{ status: number; ids: string[]; body: Record<string, unknown> }> {
  const res = await t.call('GET', `/v1/licences?name=${encodeURIComponent(query)}${extra}`);
  const body = (await res.json()) as { items?: { id: string }[] };
  return { status: res.status, ids: (body.items ?? []).map((i) => i.id), body };
}

describe('name bigrams', () => {
  it('are the distinct adjacent pairs, ASCII lower-cased', () => {
    expect(nameBigrams('杭州杭州AB')).toEqual(['杭州', '州杭', '州a', 'ab']);
    expect(nameBigrams('𠀀𠀁x')).toEqual(['𠀀𠀁', '𠀁x']);
    expect(nameBigrams('a')).toEqual([]);
  });
});

describe('search by any part of the holder name', () => {
  it('finds by two characters, by longer parts, not by characters out of order; newest first; other authorities invisible', async () => {
    const a = await issue(businessSubject({ name: '杭州云栖智算科技有限公司' }));
    const b = await issue(businessSubject({ name: '宁波云栖贸易有限公司' }));
    const food = await issue(foodSubject({ operatorName: '杭州味道餐饮管理有限公司' }), 'FoodBusinessLicence');
    expect((await search('云栖')).ids).toEqual([b, a]);
    expect((await search('智算科技')).ids).toEqual([a]);
    expect((await search('栖云')).ids).toEqual([]);
    expect((await search('云栖科技')).ids).toEqual([]); // every bigram present? no: 栖科 is not, and LIKE confirms order
    expect((await search('味道')).ids).toEqual([food]);
    expect((await search('有限公司')).ids).toEqual([food, b, a]);
    expect((await search('有限公司', '&type=FoodBusinessLicence')).ids).toEqual([food]);
    const one = await search('云');
    expect(one.status).toBe(400);
    expect(one.body).toMatchObject({ error: { code: 'ERR_VALIDATION', field: 'name' } });
  });

  it('confirms adjacency with LIKE when all bigrams are present but apart, and escapes LIKE wildcards', async () => {
    const a = await issue(businessSubject({ name: 'ab_cd 100%公司 abXcd' }));
    expect((await search('ab_cd')).ids).toEqual([a]);
    expect((await search('AB_CD')).ids).toEqual([a]);
    expect((await search('b_c')).ids).toEqual([a]);
    expect((await search('bXc')).ids).toEqual([a]);
    // every bigram of "abxd" is not there; of "cd a": "cd", "d ", " a" are, and adjacent
    expect((await search('0%公')).ids).toEqual([a]);
    expect((await search('0_公')).ids).toEqual([]);
  });

  it('pages with the cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await issue(businessSubject({ name: `杭州测试${i}号有限公司` })));
    const first = await search('测试', '&limit=2');
    expect(first.ids).toEqual([ids[4], ids[3]]);
    const second = await search('测试', `&limit=2&cursor=${first.body['nextCursor']}`);
    expect(second.ids).toEqual([ids[2], ids[1]]);
  });

  it('amended licences are indexed under their new name; the old one stays findable under its own', async () => {
    const a = await issue(businessSubject({ name: '杭州旧名称有限公司' }));
    // Through the console's amendment (a merge patch), whatever shape the API's amend body has.
    const principal = { tokenId: 'test', authorityId: 'dev-city', actions: new Set(['issue', 'read'] as const), licenceTypes: undefined };
    const amended = (await amendByPatch(t.deps, new LicenceTypeRegistry(t.deps), principal, a, { subjectPatch: { name: '杭州新名称有限公司' } })).amended.id;
    expect((await search('新名')).ids).toEqual([amended]);
    expect((await search('旧名')).ids).toEqual([a]);
  });

  it('the backfill migration indexes licences written before the index existed, with the same bigrams', async () => {
    const a = await issue(businessSubject({ name: '温州ABC鞋业有限公司' }));
    const before = t.store.sqlite.prepare('SELECT bigram FROM licence_name_bigrams WHERE licence_id = ? ORDER BY bigram').all(a);
    t.store.sqlite.prepare('DELETE FROM licence_name_bigrams').run();
    expect((await search('鞋业')).ids).toEqual([]);
    const { readFileSync } = await import('node:fs');
    t.store.sqlite.exec(readFileSync(new URL('../../migrations/0005_backfill_name_bigrams.sql', import.meta.url), 'utf8'));
    expect(t.store.sqlite.prepare('SELECT bigram FROM licence_name_bigrams WHERE licence_id = ? ORDER BY bigram').all(a)).toEqual(before);
    expect((await search('鞋业')).ids).toEqual([a]);
    expect((await search('abc')).ids).toEqual([a]);
  });
});
