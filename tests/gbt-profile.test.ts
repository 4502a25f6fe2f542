/**
 * The national e-licence profile on the service: licence identifiers (证照标识, GB/T 36904) assigned at
 * issue (unique under concurrency, also across two connections to one database; the next version on
 * amend; the same on import re-runs), catalogue codes and the authority's credit code, the search by
 * identifier, the base metadata (GB/T 36903) of both built-in types and of a registered one, and
 * licences without expiry (有效期：长期). Each trust decision has its insider attack beside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { fromBase64url } from '../src/core/encoding.js';
import { formatLicenceIdentifier, licenceIdentifierProblem, parseLicenceIdentifier } from '../src/core/licence-identifier.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { createAuthority, setAuthorityCreditCode } from '../src/services/authorities.js';
import { invalidate } from '../src/services/hot-cache.js';
import type { KeyStore } from '../src/services/ports.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { authoriseType, businessSubject, createTestContext, foodSubject, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

const DEV_CODE = '11330100DC00000011';

interface Licence {
  id: string;
  licenceIdentifier: string | null;
  status: string;
  validUntil: string | null;
  credential: string;
  subject: Record<string, unknown>;
}
interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

let t: TestContext;
let dir: string | undefined;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => {
  t.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const payloadOf = (jws: string) => JSON.parse(new TextDecoder().decode(fromBase64url(jws.split('.')[1]!)!)) as Record<string, unknown>;
const count = (table: string) => (t.store.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

async function issue(body: Record<string, unknown>, token?: string): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject(), ...body }, ...(token ? { token } : {}) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Licence;
}

async function expectError(res: Response, status: number, code: string, field?: string): Promise<ErrorBody['error']> {
  const { error } = (await res.json()) as ErrorBody;
  expect([res.status, error.code]).toEqual([status, code]);
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

const serialOf = (licence: Licence) => parseLicenceIdentifier(licence.licenceIdentifier, 'licenceIdentifier').serial;

describe('assigning licence identifiers', () => {
  it('type code, authority credit code, the next serial of that authority and type, version 01, a valid check character', async () => {
    const first = await issue({});
    const second = await issue({});
    const food = await issue({ type: 'FoodBusinessLicence', subject: foodSubject() });
    expect(first.licenceIdentifier).toBe(formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: DEV_CODE, serial: 1, version: 1 }));
    expect(second.licenceIdentifier).toBe(formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: DEV_CODE, serial: 2, version: 1 }));
    // Serials count per type: the first food business licence is serial 1 under its own code.
    expect(food.licenceIdentifier).toBe(formatLicenceIdentifier({ typeCode: 'SPJY', authorityCode: DEV_CODE, serial: 1, version: 1 }));
    for (const licence of [first, second, food]) {
      expect(licenceIdentifierProblem(licence.licenceIdentifier!)).toBeUndefined();
      expect(payloadOf(licence.credential)['licenceIdentifier']).toBe(licence.licenceIdentifier);
    }
    expect(t.store.sqlite.prepare('SELECT type, serial, licence_id AS licenceId FROM licence_serials ORDER BY type, serial').all()).toEqual([
      { type: 'BusinessLicence', serial: 1, licenceId: first.id },
      { type: 'BusinessLicence', serial: 2, licenceId: second.id },
      { type: 'FoodBusinessLicence', serial: 1, licenceId: food.id },
    ]);
  });

  it('unique under 300 concurrent issues of both types: each type gets exactly its serials 1..n', { timeout: 60_000 }, async () => {
    const bodies = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? { type: 'FoodBusinessLicence', subject: foodSubject() } : { type: 'BusinessLicence', subject: businessSubject() },
    );
    const responses = await Promise.all(bodies.map((body) => t.call('POST', '/v1/licences', { body })));
    expect(responses.filter((r) => r.status !== 201)).toEqual([]);
    const licences = await Promise.all(responses.map(async (r) => (await r.json()) as Licence));
    expect(new Set(licences.map((l) => l.licenceIdentifier)).size).toBe(300);
    for (const [code, n] of [
      ['YYZZ', 200],
      ['SPJY', 100],
    ] as const) {
      const serials = licences
        .filter((l) => l.licenceIdentifier!.startsWith(code))
        .map(serialOf)
        .sort((a, b) => a - b);
      expect(serials).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }
  });

  it('two connections to one database file drafting the same serial: the database refuses the second, which is drafted again with the next', async () => {
    t.close();
    dir = mkdtempSync(join(tmpdir(), 'elicence-serial-race-'));
    const file = join(dir, 'race.db');
    t = await createTestContext({ filename: file });
    await issue({}); // serial 1, known to both connections' database
    const store2 = openSqliteStore(file);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let signing!: () => void;
    const signingStarted = new Promise<void>((resolve) => {
      signing = resolve;
    });
    let gated = true;
    const keys2: KeyStore = {
      generate: (alg) => t.keys.generate(alg),
      async signer(kid) {
        const signer = await t.keys.signer(kid);
        return {
          alg: signer.alg,
          kid: signer.kid,
          async sign(input) {
            if (gated) {
              gated = false;
              signing();
              await gate;
            }
            return signer.sign(input);
          },
        };
      },
    };
    try {
      const app2 = createApp({ ...t.deps, store: store2, keys: keys2 });
      const late = app2.request('/v1/licences', {
        method: 'POST',
        headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ type: 'BusinessLicence', subject: businessSubject() }),
      });
      await signingStarted; // the second connection drew serial 2 and is signing
      const first = await issue({}); // the first connection commits serial 2
      open();
      const second = await late;
      expect(second.status, await second.clone().text()).toBe(201);
      const other = (await second.json()) as Licence;
      expect([serialOf(first), serialOf(other)]).toEqual([2, 3]);
      expect(t.store.sqlite.prepare('SELECT serial FROM licence_serials ORDER BY serial').all()).toEqual([{ serial: 1 }, { serial: 2 }, { serial: 3 }]);
    } finally {
      open();
      store2.close();
    }
  });

  it('the database has the last word: a serial or an identifier used twice is refused', () => {
    const serial = t.store.sqlite.prepare("INSERT INTO licence_serials (authority_id, type, serial, licence_id) VALUES ('dev-city', 'BusinessLicence', 7, ?)");
    serial.run('a');
    expect(() => serial.run('b')).toThrow(/UNIQUE constraint failed/);
  });

  it('an amendment carries the identifier at the next version, the serial unchanged; each version is found by its identifier', async () => {
    const licence = await issue({});
    const v2 = (await (await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' } } })).json()) as Licence;
    const v3 = (await (await t.call('POST', `/v1/licences/${v2.id}/amend`, { body: { subjectPatch: { legalRepresentative: '李四' } } })).json()) as Licence;
    const parts = parseLicenceIdentifier(licence.licenceIdentifier, 'x');
    expect(parseLicenceIdentifier(v2.licenceIdentifier, 'x')).toEqual({ ...parts, version: 2 });
    expect(parseLicenceIdentifier(v3.licenceIdentifier, 'x')).toEqual({ ...parts, version: 3 });
    expect(payloadOf(v3.credential)['licenceIdentifier']).toBe(v3.licenceIdentifier);
    // No serial was drawn for the amendments: the next new licence takes serial 2.
    expect(serialOf(await issue({}))).toBe(2);
    for (const [version, expected] of [
      [licence, 'revoked'],
      [v2, 'revoked'],
      [v3, 'active'],
    ] as const) {
      const found = (await (await t.call('GET', `/v1/licences?identifier=${version.licenceIdentifier}`)).json()) as { items: Licence[] };
      expect(found.items.map((l) => [l.id, l.status])).toEqual([[version.id, expected]]);
    }
  });

  it('past version 99 an amendment is refused (409) and nothing changes', async () => {
    const licence = await issue({});
    const v99 = formatLicenceIdentifier({ ...parseLicenceIdentifier(licence.licenceIdentifier, 'x'), version: 99 });
    t.store.sqlite.prepare('UPDATE licences SET licence_identifier = ? WHERE id = ?').run(v99, licence.id);
    const before = count('licences');
    await expectError(await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '新地址' } } }), 409, 'ERR_IDENTIFIER_UNAVAILABLE');
    expect(count('licences')).toBe(before);
    expect(((await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as Licence).status).toBe('active');
  });

  it('a licence from before identifiers gets a new one when amended', async () => {
    const licence = await issue({});
    t.store.sqlite.prepare('UPDATE licences SET licence_identifier = NULL WHERE id = ?').run(licence.id);
    const amended = (await (await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '新地址' } } })).json()) as Licence;
    expect(parseLicenceIdentifier(amended.licenceIdentifier, 'x')).toMatchObject({ serial: 2, version: 1 });
  });

  it('survives re-runs of a batch with per-item keys (an import): the same licences and identifiers, no serial spent', async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ type: 'BusinessLicence', subject: businessSubject(), idempotencyKey: `row-${i}` }));
    const first = (await (await t.call('POST', '/v1/licences/batch', { body: { items } })).json()) as { items: Licence[] };
    const again = (await (await t.call('POST', '/v1/licences/batch', { body: { items } })).json()) as { items: Licence[]; alreadyIssued: number };
    expect(again.alreadyIssued).toBe(5);
    expect(again.items.map((l) => [l.id, l.licenceIdentifier])).toEqual(first.items.map((l) => [l.id, l.licenceIdentifier]));
    expect(first.items.map(serialOf)).toEqual([1, 2, 3, 4, 5]);
    expect(serialOf(await issue({}))).toBe(6);
  });
});

describe("the authority's credit code", () => {
  it('an authority without one cannot issue (409, nothing stored) until it is set; it is then set once', async () => {
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    // As an authority created before credit codes: none stored.
    t.store.sqlite.prepare("UPDATE authorities SET credit_code = NULL WHERE id = 'ningbo-amr'").run();
    invalidate(t.store.db, 'authority:ningbo-amr');
    const token = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'nb', actions: [...ACTIONS] }, 'test')).token;
    const before = count('licences');
    const refused = await expectError(
      await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() }, token }),
      409,
      'ERR_IDENTIFIER_UNAVAILABLE',
    );
    expect(refused.message).toContain('AUTHORITY_CREDIT_CODE');
    expect(count('licences')).toBe(before);

    const code = '11330200DC0000004F';
    // Another authority's code is refused: two authorities cannot share a credit code.
    await expect(setAuthorityCreditCode(t.deps, 'ningbo-amr', DEV_CODE, 'test')).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await expect(setAuthorityCreditCode(t.deps, 'ningbo-amr', '11330200DC0000004X', 'test')).rejects.toMatchObject({ code: 'ERR_CREDIT_CODE' });
    expect(await setAuthorityCreditCode(t.deps, 'ningbo-amr', code, 'test')).toBe(true);
    expect(await setAuthorityCreditCode(t.deps, 'ningbo-amr', code, 'test')).toBe(false);
    // Set once: identifiers carry it.
    await expect(setAuthorityCreditCode(t.deps, 'ningbo-amr', freshCreditCode(), 'test')).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    const licence = await issue({}, token);
    expect(parseLicenceIdentifier(licence.licenceIdentifier, 'x')).toMatchObject({ authorityCode: code, serial: 1 });
  });

  it('a new authority needs a valid credit code, its own', async () => {
    await expect(
      createAuthority(t.deps, { id: 'wenzhou-amr', name: { zh: '温州', en: 'Wenzhou' }, jurisdiction: '330300', creditCode: '11330300DC0000005A' }, 'test'),
    ).rejects.toMatchObject({ code: 'ERR_CREDIT_CODE', field: 'creditCode' });
    await expect(createAuthority(t.deps, { id: 'wenzhou-amr', name: { zh: '温州', en: 'Wenzhou' }, jurisdiction: '330300', creditCode: DEV_CODE }, 'test')).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
    });
  });

  it('the trust register lists a hosted authority with its credit code; the published trust list carries it', async () => {
    const did = encodeURIComponent('did:web:elicence.test:authorities:dev-city');
    const entry = (await (await t.call('GET', `/v1/trust/authorities/${did}`)).json()) as { creditCode?: string };
    expect(entry.creditCode).toBe(DEV_CODE);
    const list = await (await t.call('GET', '/trust-list', { token: null })).text();
    const payload = payloadOf(list) as { authorities: Array<{ id: string; creditCode?: string }> };
    expect(payload.authorities.find((a) => a.id === decodeURIComponent(did))?.creditCode).toBe(DEV_CODE);
    await expectError(await t.call('PATCH', `/v1/trust/authorities/${did}`, { body: { creditCode: '11330100DC0000001X' } }), 400, 'ERR_CREDIT_CODE', 'creditCode');
  });
});

describe('catalogue codes', () => {
  it("a built-in type's code is set by the deployment's operator only; new licences carry it, an amendment keeps its own", async () => {
    const old = await issue({});
    const adminOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'admin', actions: ['admin', 'issue', 'read'] }, 'test')).token;
    // An authority's admin is not the operator: the built-in type is everyone's.
    await expectError(await t.call('PATCH', '/v1/licence-types/BusinessLicence', { body: { catalogueCode: 'EVIL' }, token: adminOnly }), 403, 'ERR_FORBIDDEN', 'code');
    await expectError(await t.call('PATCH', '/v1/licence-types/BusinessLicence', { body: { catalogueCode: 'yyzz' } }), 400, 'ERR_VALIDATION', 'catalogueCode');
    await expectError(await t.call('PATCH', '/v1/licence-types/BusinessLicence', { body: { catalogueCode: 'SPJY' } }), 409, 'ERR_CONFLICT', 'catalogueCode');
    await expectError(await t.call('PATCH', '/v1/licence-types/BusinessLicence', { body: { numberField: 'name' } }), 409, 'ERR_CONFLICT', 'numberField');
    const set = await t.call('PATCH', '/v1/licence-types/BusinessLicence', { body: { catalogueCode: '11100000' } });
    expect(set.status).toBe(200);
    expect(((await set.json()) as { catalogueCode: string }).catalogueCode).toBe('11100000');
    const after = await issue({});
    // The serial counts on per authority and type.
    expect(parseLicenceIdentifier(after.licenceIdentifier, 'x')).toMatchObject({ typeCode: '11100000', serial: 2, version: 1 });
    const amended = (await (await t.call('POST', `/v1/licences/${old.id}/amend`, { body: { subjectPatch: { address: '新地址' } } })).json()) as Licence;
    expect(parseLicenceIdentifier(amended.licenceIdentifier, 'x')).toMatchObject({ typeCode: 'YYZZ', serial: 1, version: 2 });
  });

  it('a registered type declares its code and fields, checked against its schema; only its own authority changes them', async () => {
    const schema = {
      type: 'object',
      properties: { creditCode: { type: 'string' }, operatorName: { type: 'string' }, permitNo: { type: 'string' }, seats: { type: 'integer' } },
      required: ['creditCode', 'operatorName', 'permitNo'],
      additionalProperties: false,
    };
    const body = {
      code: 'FerryLicence',
      name: { zh: '渡运许可证', en: 'Ferry licence' },
      schemaVersion: '1',
      schema,
      catalogueCode: 'DYXK',
      numberField: 'permitNo',
      holderNameField: 'operatorName',
    };
    const before = count('licence_types');
    await expectError(await t.call('POST', '/v1/licence-types', { body: { ...body, numberField: 'licenceNo' } }), 400, 'ERR_VALIDATION', 'numberField');
    await expectError(await t.call('POST', '/v1/licence-types', { body: { ...body, holderNameField: 'seats' } }), 400, 'ERR_VALIDATION', 'holderNameField');
    await expectError(await t.call('POST', '/v1/licence-types', { body: { ...body, catalogueCode: 'DY-XK' } }), 400, 'ERR_VALIDATION', 'catalogueCode');
    await expectError(await t.call('POST', '/v1/licence-types', { body: { ...body, catalogueCode: 'YYZZ' } }), 409, 'ERR_CONFLICT', 'catalogueCode');
    const { catalogueCode: _c, ...undeclared } = body;
    await expectError(await t.call('POST', '/v1/licence-types', { body: undeclared }), 400, 'ERR_VALIDATION');
    expect(count('licence_types')).toBe(before);
    expect((await t.call('POST', '/v1/licence-types', { body })).status).toBe(201);

    // Another city's admin (with the operator's anchor scope, even) cannot re-code a type it did not register.
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波', en: 'Ningbo' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningbo = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'nb', actions: [...ACTIONS] }, 'test')).token;
    await expectError(await t.call('PATCH', '/v1/licence-types/FerryLicence', { body: { catalogueCode: 'NBDY' }, token: ningbo }), 403, 'ERR_FORBIDDEN');
    expect((await t.call('PATCH', '/v1/licence-types/FerryLicence', { body: { catalogueCode: 'DYXK2' } })).status).toBe(200);
  });
});

describe('search by identifier', () => {
  it('finds the one licence; a mistyped identifier is 400 naming the field; another authority finds nothing', async () => {
    const licence = await issue({});
    const id = licence.licenceIdentifier!;
    const found = (await (await t.call('GET', `/v1/licences?identifier=${id}`)).json()) as { items: Licence[] };
    expect(found.items.map((l) => l.id)).toEqual([licence.id]);
    const typo = `${id.slice(0, 20)}${id[20] === '7' ? '8' : '7'}${id.slice(21)}`;
    const error = await expectError(await t.call('GET', `/v1/licences?identifier=${typo}`), 400, 'ERR_LICENCE_IDENTIFIER', 'identifier');
    expect(error.message).toMatch(/check character/);
    await expectError(await t.call('GET', `/v1/licences?identifier=${id.toLowerCase()}`), 400, 'ERR_LICENCE_IDENTIFIER', 'identifier');
    // A well-formed identifier nobody issued: an empty page.
    const unknown = formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: DEV_CODE, serial: 999, version: 1 });
    expect(((await (await t.call('GET', `/v1/licences?identifier=${unknown}`)).json()) as { items: Licence[] }).items).toEqual([]);
    // Ningbo's token, knowing Dev City's identifier, sees nothing of it.
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波', en: 'Ningbo' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningbo = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'nb', actions: ['read'] }, 'test')).token;
    expect(((await (await t.call('GET', `/v1/licences?identifier=${id}`, { token: ningbo })).json()) as { items: Licence[] }).items).toEqual([]);
  });
});

describe('base metadata (GB/T 36903)', () => {
  it('a business licence: every member, from its credential; dates are China dates', async () => {
    // 20:00 UTC on 31 May is 1 June in China: the issue date is the China date.
    t.clock.set('2026-05-31T20:00:00Z');
    const subject = businessSubject();
    const licence = await issue({ subject, validFrom: '2026-06-01', validUntil: '2031-05-31' });
    const res = await t.call('GET', `/v1/licences/${licence.id}/metadata`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: '营业执照',
      typeCode: 'YYZZ',
      number: subject['creditCode'],
      identifier: licence.licenceIdentifier,
      issuerName: '开发市市场监督管理局',
      issuerCode: DEV_CODE,
      issueDate: '2026-06-01',
      holderName: subject['name'],
      holderCodeType: '001',
      holderCode: subject['creditCode'],
      validFrom: '2026-06-01',
      validTo: '2031-05-31',
    });
  });

  it('a food business licence: its number is the 许可证编号, its holder the operator', async () => {
    const subject = foodSubject({ creditCode: freshCreditCode() });
    const licence = await issue({ type: 'FoodBusinessLicence', subject, validUntil: null });
    const metadata = (await (await t.call('GET', `/v1/licences/${licence.id}/metadata`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      name: '食品经营许可证',
      typeCode: 'SPJY',
      number: 'JY13301060012345',
      holderName: '杭州味道餐饮管理有限公司',
      holderCodeType: '001',
      holderCode: subject['creditCode'],
      validTo: '长期',
    });
  });

  it('a registered type: the fields it declares', async () => {
    const schema = {
      type: 'object',
      properties: { creditCode: { type: 'string' }, shopName: { type: 'string', title: '店招名称' }, signNo: { type: 'string', title: '许可编号' } },
      required: ['creditCode', 'shopName', 'signNo'],
      additionalProperties: false,
    };
    const registered = await t.call('POST', '/v1/licence-types', {
      body: {
        code: 'ShopSignLicence',
        name: { zh: '店招设置许可', en: 'Shop sign licence' },
        schemaVersion: '1',
        schema,
        catalogueCode: 'DZSZ',
        numberField: 'signNo',
        holderNameField: 'shopName',
      },
    });
    expect(registered.status).toBe(201);
    await authoriseType(t, 'ShopSignLicence');
    const creditCode = freshCreditCode();
    const licence = await issue({ type: 'ShopSignLicence', subject: { creditCode, shopName: '西湖边小店', signNo: 'DZ-2026-0001' } });
    expect(parseLicenceIdentifier(licence.licenceIdentifier, 'x')).toMatchObject({ typeCode: 'DZSZ', serial: 1 });
    const metadata = (await (await t.call('GET', `/v1/licences/${licence.id}/metadata`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      name: '店招设置许可',
      typeCode: 'DZSZ',
      number: 'DZ-2026-0001',
      holderName: '西湖边小店',
      holderCode: creditCode,
      identifier: licence.licenceIdentifier,
    });
    // The licence row's holder name is the declared field too (search, the console).
    expect(t.store.sqlite.prepare('SELECT holder_name AS n FROM licences WHERE id = ?').get(licence.id)).toEqual({ n: '西湖边小店' });
  });

  it('read scope, the type scope and the authority hold', async () => {
    const licence = await issue({});
    const issueOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'i', actions: ['issue'] }, 'test')).token;
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/metadata`, { token: issueOnly }), 403, 'ERR_FORBIDDEN');
    const foodOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'f', actions: ['read'], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/metadata`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波', en: 'Ningbo' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningbo = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'nb', actions: ['read'] }, 'test')).token;
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/metadata`, { token: ningbo }), 404, 'ERR_NOT_FOUND');
  });
});

describe('licences without expiry (有效期：长期)', () => {
  it('validUntil: null gives a credential without validUntil; omitting it keeps the default validity', async () => {
    const forever = await issue({ validUntil: null });
    expect(forever.validUntil).toBeNull();
    expect('validUntil' in payloadOf(forever.credential)).toBe(false);
    const usual = await issue({});
    expect(payloadOf(usual.credential)['validUntil']).toBe('2031-05-31T00:00:00Z');
    expect(t.store.sqlite.prepare('SELECT valid_until AS v FROM licences WHERE id = ?').get(forever.id)).toEqual({ v: null });
  });

  it('never expires: active and listed as active a century on, suspend and reinstate work, its holder slot holds', async () => {
    const subject = businessSubject();
    const licence = await issue({ subject, validUntil: null });
    t.clock.set('2126-06-01T00:00:00Z');
    const read = (await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as Licence;
    expect(read.status).toBe('active');
    const list = async (status: string) =>
      ((await (await t.call('GET', `/v1/licences?holder=${subject['creditCode']}&status=${status}`)).json()) as { items: Licence[] }).items.map((l) => l.id);
    expect(await list('active')).toEqual([licence.id]);
    expect(await list('expired')).toEqual([]);
    expect((await t.call('POST', `/v1/licences/${licence.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    expect(await list('suspended')).toEqual([licence.id]);
    expect((await t.call('POST', `/v1/licences/${licence.id}/reinstate`, { body: { reason: 'investigation_closed' } })).status).toBe(200);
    // One active business licence per holder: the slot of a licence without expiry is never released by time.
    await expectError(await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject } }), 409, 'ERR_DUPLICATE_ACTIVE');
  });

  it('amend keeps no expiry unless told; a date sets one, null removes it', async () => {
    const licence = await issue({ validUntil: null });
    const kept = (await (await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '新地址一' } } })).json()) as Licence;
    expect(kept.validUntil).toBeNull();
    const dated = (await (await t.call('POST', `/v1/licences/${kept.id}/amend`, { body: { subjectPatch: { address: '新地址二' }, validUntil: '2030-12-31' } })).json()) as Licence;
    expect(dated.validUntil).toBe('2030-12-31T16:00:00.000Z');
    const open = (await (await t.call('POST', `/v1/licences/${dated.id}/amend`, { body: { subjectPatch: { address: '新地址三' }, validUntil: null } })).json()) as Licence;
    expect(open.validUntil).toBeNull();
    expect('validUntil' in payloadOf(open.credential)).toBe(false);
  });

  it('the card says 长期 and prints the identifier', async () => {
    const licence = await issue({ validUntil: null });
    const html = await (await t.call('GET', `/v1/licences/${licence.id}/card`)).text();
    expect(html).toContain('至 长期');
    expect(html).toContain(`<td class="code">${licence.licenceIdentifier}</td>`);
    expect(html).toContain('证照标识');
    const wall = await (await t.call('GET', `/v1/licences/${licence.id}/card?format=card`)).text();
    expect(wall).toContain(licence.licenceIdentifier);
  });

  it('the VC API: validUntil null issues without expiry; a caller-chosen licenceIdentifier is refused', async () => {
    const { creditCode, ...fields } = businessSubject();
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential', 'BusinessLicence'],
      validUntil: null,
      credentialSubject: { id: `urn:uscc:${String(creditCode)}`, ...fields },
    };
    const res = await t.call('POST', '/credentials/issue', { body: { credential } });
    expect(res.status).toBe(201);
    const { verifiableCredential } = (await res.json()) as { verifiableCredential: { id: string } };
    const payload = payloadOf(verifiableCredential.id.slice('data:application/vc+jwt,'.length));
    expect('validUntil' in payload).toBe(false);
    expect(licenceIdentifierProblem(payload['licenceIdentifier'] as string)).toBeUndefined();
    const chosen = {
      ...credential,
      credentialSubject: { ...credential.credentialSubject, id: `urn:uscc:${freshCreditCode()}` },
      licenceIdentifier: 'YYZZ11330100DC00000011000000000101U',
    };
    await expectError(await t.call('POST', '/credentials/issue', { body: { credential: chosen } }), 400, 'ERR_INVALID_CREDENTIAL', 'credential.licenceIdentifier');
  });
});
