/** HTTP tests of the issuer service through app.request(): every route, status code and error code of the agency API. */
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { auditLog, licences } from '../src/db/schema.js';
import { verifyAuditChain } from '../src/services/audit.js';
import { createAuthority } from '../src/services/authorities.js';
import { type Action, createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, EXAMPLE_CREDIT_CODE, foodSubject, TEST_PUBLIC_URL, type TestContext, typeDeclarations } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const issueBody = (subject: Record<string, unknown> = businessSubject(), extra: Record<string, unknown> = {}) => ({ type: 'BusinessLicence', subject, ...extra });

async function json(res: Response): Promise<any> {
  return res.json();
}

async function issue(body: unknown = issueBody(), headers: Record<string, string> = {}) {
  const res = await t.call('POST', '/v1/licences', { body, headers });
  return { res, body: await json(res) };
}

/** Everything a failed request must leave untouched. */
async function snapshot() {
  const rows = await t.store.db.select().from(licences);
  const audit = await t.store.db.select().from(auditLog);
  return JSON.stringify({ rows, audit, lists: t.store.sqlite.prepare('select * from status_lists').all(), idem: t.store.sqlite.prepare('select * from idempotency_keys').all() });
}

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = await json(res);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (field !== undefined) expect(body.error.field).toBe(field);
  return body;
}

async function tokenWith(actions: Action[], licenceTypes: string[] | null = null, authorityId = 'dev-city') {
  return (await createToken(t.deps, { authorityId, name: 'test', actions, licenceTypes }, 'test')).token;
}

async function jwks(): Promise<JSONWebKeySet> {
  return json(await t.call('GET', '/.well-known/jwks.json', { token: null }));
}

describe('issue', () => {
  test('issues a business licence as a vc+jwt that verifies with the published JWKS only', async () => {
    const { res, body } = await issue(issueBody(businessSubject({ creditCode: EXAMPLE_CREDIT_CODE })));
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ type: 'BusinessLicence', status: 'active', holder: { creditCode: '91330106MA2CFX7K5Y', name: '杭州示例科技有限公司' } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const header = decodeProtectedHeader(body.credential);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'vc+jwt', cty: 'vc' });
    expect(header.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { payload } = await compactVerify(body.credential, createLocalJWKSet(await jwks()), { algorithms: ['EdDSA', 'ES256'] });
    const vc = JSON.parse(new TextDecoder().decode(payload));
    expect(vc['@context'][0]).toBe('https://www.w3.org/ns/credentials/v2');
    expect(vc.type).toEqual(['VerifiableCredential', 'BusinessLicence']);
    expect(vc.id).toBe(`urn:uuid:${body.id}`);
    expect(vc.issuer).toEqual({ id: 'did:web:elicence.test:authorities:dev-city', name: '开发市市场监督管理局' });
    expect(vc.credentialSubject.id).toBe('urn:uscc:91330106MA2CFX7K5Y');
    expect(vc.credentialSubject.businessScope).toContain('技术服务');
    expect(vc.credentialStatus.map((s: any) => s.statusPurpose)).toEqual(['revocation', 'suspension']);
    for (const entry of vc.credentialStatus) {
      expect(entry.type).toBe('BitstringStatusListEntry');
      expect(entry.statusListCredential).toMatch(new RegExp(`^${TEST_PUBLIC_URL}/status/dev-city/(revocation|suspension)/1$`));
      expect(Number(entry.statusListIndex)).toBeLessThan(131072);
    }
    expect(vc.validFrom).toBe('2026-06-01T00:00:00Z');
    expect(vc.validUntil).toBe('2031-05-31T00:00:00Z');
  });

  test('issues a food business licence with explicit validity', async () => {
    const { res, body } = await issue({ type: 'FoodBusinessLicence', subject: foodSubject(), validFrom: '2026-05-01T08:00:00+08:00', validUntil: '2031-04-30T23:59:59+08:00' });
    expect(res.status).toBe(201);
    expect(body.validFrom).toBe('2026-05-01T00:00:00.000Z');
    expect(body.validUntil).toBe('2031-04-30T15:59:59.000Z');
    expect(body.holder.name).toBe('杭州味道餐饮管理有限公司');
  });

  test.each([
    ['unknown top-level field', issueBody(businessSubject(), { colour: 'red' }), 400, 'ERR_UNKNOWN_FIELD', 'colour'],
    ['unknown subject field', issueBody(businessSubject({ shoeSize: 42 })), 400, 'ERR_UNKNOWN_FIELD', 'subject.shoeSize'],
    ['credit code typo', issueBody(businessSubject({ creditCode: '91330106MA2CFX7K5X' })), 400, 'ERR_CREDIT_CODE', 'subject.creditCode'],
    ['credit code with I', issueBody(businessSubject({ creditCode: '91330106MA2CFI7K5Y' })), 400, 'ERR_CREDIT_CODE', 'subject.creditCode'],
    ['missing subject field', issueBody((({ address: _a, ...rest }) => rest)(businessSubject())), 400, 'ERR_VALIDATION', 'subject.address'],
    ['wrong type of field', issueBody(businessSubject({ name: 12 })), 400, 'ERR_VALIDATION', 'subject.name'],
    ['bad establishedOn', issueBody(businessSubject({ establishedOn: '2020-13-01' })), 400, 'ERR_VALIDATION', 'subject.establishedOn'],
    ['bad validFrom', issueBody(businessSubject(), { validFrom: 'yesterday' }), 400, 'ERR_INVALID_DATE', 'validFrom'],
    ['impossible date', issueBody(businessSubject(), { validUntil: '2027-02-30T00:00:00Z' }), 400, 'ERR_INVALID_DATE', 'validUntil'],
    [
      'validUntil before validFrom',
      issueBody(businessSubject(), { validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-12-01T00:00:00Z' }),
      400,
      'ERR_VALIDITY_WINDOW',
      'validUntil',
    ],
    ['already expired', issueBody(businessSubject(), { validFrom: '2020-01-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z' }), 400, 'ERR_VALIDITY_WINDOW', 'validUntil'],
    ['unknown type', { type: 'FishingLicence', subject: businessSubject() }, 400, 'ERR_UNKNOWN_LICENCE_TYPE', 'type'],
    ['missing type', { subject: businessSubject() }, 400, 'ERR_VALIDATION', 'type'],
    ['body is an array', [issueBody()], 400, 'ERR_VALIDATION', undefined],
    ['food items empty', { type: 'FoodBusinessLicence', subject: foodSubject({ businessItems: [] }) }, 400, 'ERR_VALIDATION', 'subject.businessItems'],
    ['food licence number', { type: 'FoodBusinessLicence', subject: foodSubject({ licenceNumber: 'JY123' }) }, 400, 'ERR_VALIDATION', 'subject.licenceNumber'],
  ])('refuses %s and writes nothing', async (_name, body, status, code, field) => {
    const before = await snapshot();
    await expectError(await t.call('POST', '/v1/licences', { body }), status, code, field);
    expect(await snapshot()).toBe(before);
  });

  test('refuses malformed JSON, wrong content type and oversized bodies', async () => {
    const before = await snapshot();
    await expectError(await t.call('POST', '/v1/licences', { body: '{"type": "BusinessLicence",' }), 400, 'ERR_BAD_JSON');
    // A repeated key means two requests to two parsers (a gateway may read the first, JSON.parse the last).
    const valid = JSON.stringify(issueBody());
    await expectError(await t.call('POST', '/v1/licences', { body: `${valid.slice(0, -1)},"type":"FoodBusinessLicence"}` }), 400, 'ERR_JSON_DUPLICATE_KEY', 'type');
    await expectError(
      await t.call('POST', '/v1/licences', { body: valid.replace('"subject":{', '"subject":{"name":"x","na\\u006de":"y",') }),
      400,
      'ERR_JSON_DUPLICATE_KEY',
      'name',
    );
    await expectError(
      await t.call('POST', '/v1/licences', { body: 'type=BusinessLicence', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      415,
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    await expectError(await t.call('POST', '/v1/licences', { body: JSON.stringify(issueBody()), headers: { 'Content-Type': 'text/plain' } }), 415, 'ERR_UNSUPPORTED_MEDIA_TYPE');
    const huge = issueBody(businessSubject({ businessScope: '经'.repeat(600_000) }));
    await expectError(await t.call('POST', '/v1/licences', { body: huge }), 413, 'ERR_BODY_TOO_LARGE');
    await expectError(await t.call('POST', '/v1/licences', {}), 400, 'ERR_VALIDATION');
    expect(await snapshot()).toBe(before);
  });

  test('Idempotency-Key: same key and body give the same licence; another body is 409', async () => {
    const headers = { 'Idempotency-Key': 'order-2026-0001' };
    const request = issueBody();
    const first = await issue(request, headers);
    const again = await issue(request, headers);
    expect(first.res.status).toBe(201);
    expect(again.res.status).toBe(201);
    expect(again.res.headers.get('idempotency-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.credential).toBe(first.body.credential);
    const before = await snapshot();
    await expectError(await t.call('POST', '/v1/licences', { body: issueBody(businessSubject({ name: '另一家公司' })), headers }), 409, 'ERR_IDEMPOTENCY_CONFLICT');
    expect(await snapshot()).toBe(before);
    expect((await t.store.db.select().from(licences)).length).toBe(1);
  });

  test('concurrent requests with one Idempotency-Key issue once', async () => {
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const request = issueBody();
    const results = await Promise.all(Array.from({ length: 8 }, () => issue(request, headers)));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await t.store.db.select().from(licences)).length).toBe(1);
  });
});

describe('batch', () => {
  test('issues every item', async () => {
    const res = await t.call('POST', '/v1/licences/batch', {
      body: { items: [issueBody(), { type: 'FoodBusinessLicence', subject: foodSubject() }, issueBody(businessSubject({ name: '第三家公司' }))] },
    });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.items.map((i: any) => i.type)).toEqual(['BusinessLicence', 'FoodBusinessLicence', 'BusinessLicence']);
    expect(new Set(body.items.map((i: any) => i.credentialStatus[0].statusListIndex)).size).toBe(3);
  });

  test('is all-or-nothing, naming every bad item', async () => {
    const before = await snapshot();
    const res = await t.call('POST', '/v1/licences/batch', {
      body: { items: [issueBody(), issueBody(businessSubject({ creditCode: '91330106MA2CFX7K5X' })), issueBody(), { type: 'Nope', subject: {} }] },
    });
    const body = await expectError(res, 400, 'ERR_BATCH_FAILED', 'items[1].subject.creditCode');
    expect(body.error.details).toEqual([
      expect.objectContaining({ index: 1, code: 'ERR_CREDIT_CODE', field: 'items[1].subject.creditCode' }),
      expect.objectContaining({ index: 3, code: 'ERR_UNKNOWN_LICENCE_TYPE', field: 'items[3].type' }),
    ]);
    expect(await snapshot()).toBe(before);
  });

  test('per-item idempotency keys make a re-sent batch issue only the new items', async () => {
    const items = [0, 1, 2].map((i) => ({ ...issueBody(businessSubject({ name: `公司${i}` })), idempotencyKey: `row-${i}` }));
    const first = await json(await t.call('POST', '/v1/licences/batch', { body: { items: items.slice(0, 2) } }));
    const second = await json(await t.call('POST', '/v1/licences/batch', { body: { items } }));
    expect(second.items.slice(0, 2).map((i: any) => i.id)).toEqual(first.items.map((i: any) => i.id));
    expect((await t.store.db.select().from(licences)).length).toBe(3);
    const changed = [{ ...items[0], subject: businessSubject({ name: '改名' }) }];
    await expectError(await t.call('POST', '/v1/licences/batch', { body: { items: changed } }), 409, 'ERR_IDEMPOTENCY_CONFLICT', 'items[0].idempotencyKey');
  });

  test('refuses an empty or oversized batch', async () => {
    await expectError(await t.call('POST', '/v1/licences/batch', { body: { items: [] } }), 400, 'ERR_VALIDATION', 'items');
    const many = { items: Array.from({ length: 1001 }, () => issueBody()) };
    await expectError(await t.call('POST', '/v1/licences/batch', { body: many }), 400, 'ERR_VALIDATION', 'items');
  });
});

describe('read and list', () => {
  test('gets a licence; another authority sees 404 and an empty list', async () => {
    const { body } = await issue();
    const got = await t.call('GET', `/v1/licences/${body.id}`);
    expect(got.status).toBe(200);
    expect((await json(got)).credential).toBe(body.credential);
    await expectError(await t.call('GET', '/v1/licences/00000000-0000-7000-8000-000000000000'), 404, 'ERR_NOT_FOUND');

    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const other = await tokenWith(['issue', 'status', 'read', 'admin'], null, 'ningbo-amr');
    await expectError(await t.call('GET', `/v1/licences/${body.id}`, { token: other }), 404, 'ERR_NOT_FOUND');
    expect((await json(await t.call('GET', '/v1/licences', { token: other }))).items).toEqual([]);
    // Its own licences carry its own issuer.
    const own = await json(await t.call('POST', '/v1/licences', { body: issueBody(), token: other }));
    expect(JSON.parse(Buffer.from(own.credential.split('.')[1], 'base64url').toString()).issuer.id).toBe('did:web:elicence.test:authorities:ningbo-amr');
  });

  test('filters by type, holder, status and issue time, with cursor pagination', async () => {
    for (let i = 0; i < 5; i++) {
      await issue(issueBody(businessSubject({ name: `公司${i}` })));
      t.clock.advance(60_000);
    }
    await issue({ type: 'FoodBusinessLicence', subject: foodSubject() });
    const all = await json(await t.call('GET', '/v1/licences?limit=2'));
    expect(all.items).toHaveLength(2);
    expect(all.items[0].type).toBe('FoodBusinessLicence'); // newest first
    const seen = [...all.items];
    let cursor = all.nextCursor;
    while (cursor) {
      const page = await json(await t.call('GET', `/v1/licences?limit=2&cursor=${cursor}`));
      seen.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((i) => i.id)).size).toBe(6);

    expect((await json(await t.call('GET', '/v1/licences?type=FoodBusinessLicence'))).items).toHaveLength(1);
    expect((await json(await t.call('GET', '/v1/licences?holder=91330100MA27Y1F3XC'))).items).toHaveLength(1);
    expect((await json(await t.call('GET', '/v1/licences?status=active'))).items).toHaveLength(6);
    expect((await json(await t.call('GET', '/v1/licences?status=revoked'))).items).toHaveLength(0);
    const window = await json(await t.call('GET', '/v1/licences?issuedFrom=2026-06-01T00:01:00Z&issuedTo=2026-06-01T00:03:00Z'));
    expect(window.items).toHaveLength(3);
    t.clock.set('2032-01-01T00:00:00Z');
    expect((await json(await t.call('GET', '/v1/licences?status=expired'))).items).toHaveLength(6);

    await expectError(await t.call('GET', '/v1/licences?cursor=garbage'), 400, 'ERR_BAD_CURSOR', 'cursor');
    await expectError(await t.call('GET', '/v1/licences?issuedFrom=monday'), 400, 'ERR_INVALID_DATE', 'issuedFrom');
    await expectError(await t.call('GET', '/v1/licences?status=lost'), 400, 'ERR_VALIDATION', 'status');
    await expectError(await t.call('GET', '/v1/licences?limit=0'), 400, 'ERR_VALIDATION', 'limit');
    await expectError(await t.call('GET', '/v1/licences?colour=red'), 400, 'ERR_UNKNOWN_FIELD', 'colour');
  });
});

describe('auth and scopes', () => {
  test('missing or unknown token is 401 with WWW-Authenticate; never 500', async () => {
    for (const [path, method] of [
      ['/v1/licences', 'GET'],
      ['/v1/licences', 'POST'],
      ['/v1/licence-types', 'GET'],
      ['/v1/keys/rotate', 'POST'],
    ] as const) {
      const res = await t.call(method, path, { token: null, body: method === 'POST' ? issueBody() : undefined });
      await expectError(res, 401, 'ERR_UNAUTHENTICATED');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      await expectError(await t.call(method, path, { token: 'elk_not-a-real-token-at-all', body: method === 'POST' ? issueBody() : undefined }), 401, 'ERR_UNAUTHENTICATED');
    }
    await expectError(await t.app.request('/v1/licences', { headers: { Authorization: 'Basic dXNlcjpwYXNz' } }), 401, 'ERR_UNAUTHENTICATED');
  });

  test('wrong scope or licence type is 403 and writes nothing', async () => {
    const readOnly = await tokenWith(['read']);
    const foodOnly = await tokenWith(['issue', 'read'], ['FoodBusinessLicence']);
    const before = await snapshot();
    await expectError(await t.call('POST', '/v1/licences', { body: issueBody(), token: readOnly }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('POST', '/v1/licences', { body: issueBody(), token: foodOnly }), 403, 'ERR_FORBIDDEN', 'type');
    await expectError(await t.call('POST', '/v1/licence-types', { body: { code: 'X' }, token: readOnly }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('POST', '/v1/keys/rotate', { token: readOnly }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('POST', '/v1/tokens', { body: { name: 'x', actions: ['read'] }, token: readOnly }), 403, 'ERR_FORBIDDEN');
    const issueOnly = await tokenWith(['issue']);
    const { body } = await issue();
    await expectError(await t.call('GET', `/v1/licences/${body.id}`, { token: issueOnly }), 403, 'ERR_FORBIDDEN');
    expect((await t.store.db.select().from(licences)).length).toBe(1);
    await expectError(await t.call('GET', `/v1/licences/${body.id}`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    expect(before).not.toBe(await snapshot()); // only the issue above wrote
  });

  test('tokens are shown once, stored hashed, listed without secrets and revocable', async () => {
    const res = await t.call('POST', '/v1/tokens', { body: { name: 'Ningbo batch client', actions: ['issue', 'read'], licenceTypes: ['BusinessLicence'] } });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created.token).toMatch(/^elk_[A-Za-z0-9_-]{43}$/);
    const dump = JSON.stringify(t.store.sqlite.prepare('select * from api_tokens').all());
    expect(dump).not.toContain(created.token);
    const listed = await json(await t.call('GET', '/v1/tokens'));
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed.items.find((i: any) => i.id === created.id)).toMatchObject({ actions: ['issue', 'read'], licenceTypes: ['BusinessLicence'], revokedAt: null });
    expect((await t.call('GET', '/v1/licences', { token: created.token })).status).toBe(200);
    expect((await t.call('DELETE', `/v1/tokens/${created.id}`)).status).toBe(204);
    await expectError(await t.call('GET', '/v1/licences', { token: created.token }), 401, 'ERR_UNAUTHENTICATED');
    await expectError(await t.call('DELETE', `/v1/tokens/${created.id}`), 409, 'ERR_ILLEGAL_TRANSITION');
    await expectError(await t.call('POST', '/v1/tokens', { body: { name: 'x', actions: ['fly'] } }), 400, 'ERR_VALIDATION', 'actions[0]');
    await expectError(await t.call('POST', '/v1/tokens', { body: { name: 'x', actions: ['read'], licenceTypes: ['Nope'] } }), 400, 'ERR_UNKNOWN_LICENCE_TYPE', 'licenceTypes[0]');
  });
});

describe('licence types', () => {
  const taxi = {
    code: 'TaxiOperatorLicence',
    name: { zh: '出租汽车经营许可证', en: 'Taxi operator licence' },
    schemaVersion: '1.0',
    ...typeDeclarations('TaxiOperatorLicence', 'operatorName'),
    schema: {
      type: 'object',
      properties: {
        creditCode: { type: 'string', title: '统一社会信用代码', format: 'uscc' },
        operatorName: { type: 'string', title: '经营者', 'x-title-en': 'Operator', minLength: 1 },
        vehicles: { type: 'integer', minimum: 1, title: '车辆数' },
      },
      required: ['creditCode', 'operatorName', 'vehicles'],
      additionalProperties: false,
    },
  };

  test('lists the built-in types with bilingual names and schemas', async () => {
    const body = await json(await t.call('GET', '/v1/licence-types'));
    expect(body.items.map((i: any) => i.code)).toEqual(['BusinessLicence', 'FoodBusinessLicence']);
    expect(body.items[0].name).toEqual({ zh: '营业执照', en: 'Business licence' });
    const food = await json(await t.call('GET', '/v1/licence-types/FoodBusinessLicence'));
    expect(food.schema.properties.licenceNumber.title).toBe('许可证编号');
    await expectError(await t.call('GET', '/v1/licence-types/Nope'), 404, 'ERR_NOT_FOUND');
  });

  test('an admin registers a type with its own JSON Schema, then issues it', async () => {
    const res = await t.call('POST', '/v1/licence-types', { body: taxi });
    expect(res.status).toBe(201);
    await expectError(await t.call('POST', '/v1/licence-types', { body: taxi }), 409, 'ERR_LICENCE_TYPE_EXISTS', 'code');
    // The trust register must authorise a new type for the authority before it issues it.
    const refused = await issue({ type: 'TaxiOperatorLicence', subject: { creditCode: '91330106MA2CFX7K5Y', operatorName: '杭州出租汽车公司', vehicles: 120 } });
    expect(refused.res.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'ERR_TYPE_NOT_AUTHORISED', field: 'type' });
    const did = encodeURIComponent('did:web:elicence.test:authorities:dev-city');
    const authorised = await t.call('PATCH', `/v1/trust/authorities/${did}`, { body: { licenceTypes: ['BusinessLicence', 'FoodBusinessLicence', 'TaxiOperatorLicence'] } });
    expect(authorised.status).toBe(200);
    const issued = await issue({ type: 'TaxiOperatorLicence', subject: { creditCode: '91330106MA2CFX7K5Y', operatorName: '杭州出租汽车公司', vehicles: 120 } });
    expect(issued.res.status).toBe(201);
    await expectError(
      await t.call('POST', '/v1/licences', { body: { type: 'TaxiOperatorLicence', subject: { creditCode: '91330106MA2CFX7K5X', operatorName: 'x', vehicles: 1 } } }),
      400,
      'ERR_CREDIT_CODE',
      'subject.creditCode',
    );
    await expectError(
      await t.call('POST', '/v1/licences', { body: { type: 'TaxiOperatorLicence', subject: { creditCode: '91330106MA2CFX7K5Y', operatorName: 'x', vehicles: 0 } } }),
      400,
      'ERR_VALIDATION',
      'subject.vehicles',
    );
  });

  test.each([
    ['no creditCode', { ...taxi, code: 'A1Licence', schema: { ...taxi.schema, required: ['operatorName'] } }, 'ERR_INVALID_SCHEMA'],
    ['open schema', { ...taxi, code: 'A2Licence', schema: { ...taxi.schema, additionalProperties: true } }, 'ERR_INVALID_SCHEMA'],
    ['not an object schema', { ...taxi, code: 'A3Licence', schema: { type: 'string' } }, 'ERR_INVALID_SCHEMA'],
    ['bad code', { ...taxi, code: 'lower case' }, 'ERR_VALIDATION'],
  ])('refuses a type with %s', async (_name, body, code) => {
    const before = await snapshot();
    await expectError(await t.call('POST', '/v1/licence-types', { body }), 400, code);
    expect(await snapshot()).toBe(before);
  });
});

describe('keys', () => {
  test('JWKS and did:web documents publish public keys only', async () => {
    const keys = await jwks();
    expect(keys.keys).toHaveLength(1);
    expect(keys.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys.keys[0]).not.toHaveProperty('d');
    const did = await json(await t.call('GET', '/.well-known/did.json', { token: null }));
    expect(did.id).toBe('did:web:elicence.test');
    expect(did.verificationMethod[0].publicKeyJwk.kid).toBe(keys.keys[0]!.kid);
    expect(did.alsoKnownAs).toContain('did:web:elicence.test:authorities:dev-city');
    const authorityDid = await json(await t.call('GET', '/authorities/dev-city/did.json', { token: null }));
    expect(authorityDid.id).toBe('did:web:elicence.test:authorities:dev-city');
    expect(authorityDid.assertionMethod).toEqual([`did:web:elicence.test:authorities:dev-city#${keys.keys[0]!.kid}`]);
    await expectError(await t.call('GET', '/authorities/nowhere/did.json', { token: null }), 404, 'ERR_NOT_FOUND');
    // Private halves never reach the database.
    const dump = JSON.stringify(t.store.sqlite.prepare('select * from signing_keys').all()) + JSON.stringify(t.store.sqlite.prepare('select * from audit_log').all());
    expect(dump).not.toMatch(/\\"d\\":/);
  });

  test('rotation: new licences use the new key, old ones still verify until the old key is retired', async () => {
    const old = (await issue()).body;
    const rotated = await t.call('POST', '/v1/keys/rotate', { body: { alg: 'ES256' } });
    expect(rotated.status).toBe(201);
    const newKey = await json(rotated);
    expect(newKey.alg).toBe('ES256');
    const fresh = (await issue()).body;
    expect(decodeProtectedHeader(fresh.credential)).toMatchObject({ alg: 'ES256', kid: newKey.kid });
    const set = createLocalJWKSet(await jwks());
    await compactVerify(old.credential, set, { algorithms: ['EdDSA', 'ES256'] });
    await compactVerify(fresh.credential, set, { algorithms: ['EdDSA', 'ES256'] });
    const oldKid = decodeProtectedHeader(old.credential).kid!;
    await expectError(await t.call('POST', `/v1/keys/${newKey.kid}/retire`), 409, 'ERR_ILLEGAL_TRANSITION');
    expect((await t.call('POST', `/v1/keys/${oldKid}/retire`)).status).toBe(204);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([newKey.kid]);
    await expect(compactVerify(old.credential, createLocalJWKSet(await jwks()), { algorithms: ['EdDSA', 'ES256'] })).rejects.toThrow();
    await expectError(await t.call('POST', '/v1/keys/not-a-kid/retire'), 404, 'ERR_NOT_FOUND');
    expect((await json(await t.call('GET', '/v1/keys'))).items).toHaveLength(1);
  });
});

describe('W3C VC API', () => {
  const credential = () => ({
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiableCredential', 'BusinessLicence'],
    issuer: 'did:web:elicence.test:authorities:dev-city',
    credentialSubject: (({ creditCode, ...rest }) => ({ id: `urn:uscc:${creditCode}`, ...rest }))(businessSubject()),
  });

  test('issues an enveloped vc+jwt and verifies it', async () => {
    const res = await t.call('POST', '/credentials/issue', { body: { credential: credential(), options: {} } });
    expect(res.status).toBe(201);
    const { verifiableCredential } = await json(res);
    expect(verifiableCredential.type).toBe('EnvelopedVerifiableCredential');
    expect(verifiableCredential['@context']).toEqual(['https://www.w3.org/ns/credentials/v2']);
    expect(verifiableCredential.id).toMatch(/^data:application\/vc\+jwt,ey/);
    const verified = await json(await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential } }));
    expect(verified).toMatchObject({ verified: true, errors: [] });
    expect(verified.checks).toContain('proof');

    const jws: string = verifiableCredential.id.slice('data:application/vc+jwt,'.length);
    const [h, p, s] = jws.split('.');
    const swapped = `${h}.${p}.${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    const bad = await json(
      await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential: { ...verifiableCredential, id: `data:application/vc+jwt,${swapped}` } } }),
    );
    expect(bad.verified).toBe(false);
    expect(bad.errors[0].code).toBe('ERR_JWS_SIGNATURE');

    t.clock.set('2040-01-01T00:00:00Z');
    const expired = await json(await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential } }));
    expect(expired).toMatchObject({ verified: false, errors: [{ code: 'ERR_EXPIRED' }] });
  });

  test.each([
    ['a VC 1.1 context', { '@context': ['https://www.w3.org/2018/credentials/v1'] }, 'credential.@context'],
    ['a proof', { proof: { type: 'DataIntegrityProof' } }, 'credential.proof'],
    ['credentialStatus', { credentialStatus: { type: 'BitstringStatusListEntry' } }, 'credential.credentialStatus'],
    ['issuanceDate', { issuanceDate: '2026-01-01T00:00:00Z' }, 'credential.issuanceDate'],
    ['no VerifiableCredential type', { type: ['BusinessLicence'] }, 'credential.type'],
    ['a bad validFrom', { validFrom: '1 May 2026' }, 'credential.validFrom'],
    ['a subject without urn:uscc id', { credentialSubject: { name: 'x' } }, 'credential.credentialSubject.id'],
    ['several subjects', { credentialSubject: [{ id: 'urn:uscc:91330106MA2CFX7K5Y' }] }, 'credential.credentialSubject'],
  ])('refuses a credential with %s (400, nothing signed)', async (_name, patch, field) => {
    const before = await snapshot();
    const res = await t.call('POST', '/credentials/issue', { body: { credential: { ...credential(), ...patch } } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.field).toBe(field);
    expect(await snapshot()).toBe(before);
  });

  test('refuses another issuer, and non-enveloped input to verify', async () => {
    await expectError(
      await t.call('POST', '/credentials/issue', { body: { credential: { ...credential(), issuer: 'did:web:evil.example' } } }),
      403,
      'ERR_FORBIDDEN',
      'credential.issuer',
    );
    await expectError(await t.call('POST', '/credentials/issue', { token: null, body: { credential: credential() } }), 401, 'ERR_UNAUTHENTICATED');
    await expectError(
      await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential: { type: 'VerifiableCredential' } } }),
      400,
      'ERR_INVALID_CREDENTIAL',
    );
    await expectError(
      await t.call('POST', '/credentials/verify', {
        token: null,
        body: { verifiableCredential: { type: 'EnvelopedVerifiableCredential', id: 'data:application/vc+jwt,not.a.jws' } },
      }),
      400,
      'ERR_INVALID_CREDENTIAL',
    );
  });
});

describe('documents and the audit trail', () => {
  test('OpenAPI 3.1 document and docs page', async () => {
    const doc = await json(await t.call('GET', '/openapi.json', { token: null }));
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/licences', '/v1/licences/batch', '/v1/licences/{id}', '/v1/licence-types', '/credentials/issue', '/credentials/verify', '/.well-known/jwks.json']) {
      expect(doc.paths).toHaveProperty([path]);
    }
    expect(doc.components.schemas.IssueRequest.properties.subject).toBeDefined();
    const page = await t.call('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/v1/licences/batch');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  test('unknown routes are typed 404s', async () => {
    await expectError(await t.call('GET', '/nowhere', { token: null }), 404, 'ERR_NOT_FOUND');
  });

  test('issuance, tokens and keys are in the hash-chained audit log', async () => {
    await issue();
    await t.call('POST', '/v1/keys/rotate');
    const actions = (await t.store.db.select().from(auditLog)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['licence.issued', 'key.activated', 'token.created', 'authority.created']));
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: true });
  });
});

describe('token delegation', () => {
  test('a token grants only the actions and licence types it has itself', async () => {
    const admin = await tokenWith(['admin', 'read']);
    await expectError(await t.call('POST', '/v1/tokens', { token: admin, body: { name: 'x', actions: ['issue'] } }), 403, 'ERR_FORBIDDEN', 'actions[0]');
    await expectError(await t.call('POST', '/v1/tokens', { token: admin, body: { name: 'x', actions: ['read', 'anchor'] } }), 403, 'ERR_FORBIDDEN', 'actions[1]');
    expect((await t.call('POST', '/v1/tokens', { token: admin, body: { name: 'x', actions: ['read'] } })).status).toBe(201);
    const foodAdmin = await tokenWith(['admin', 'read'], ['FoodBusinessLicence']);
    await expectError(await t.call('POST', '/v1/tokens', { token: foodAdmin, body: { name: 'x', actions: ['read'] } }), 403, 'ERR_FORBIDDEN', 'licenceTypes');
    await expectError(
      await t.call('POST', '/v1/tokens', { token: foodAdmin, body: { name: 'x', actions: ['read'], licenceTypes: ['BusinessLicence'] } }),
      403,
      'ERR_FORBIDDEN',
      'licenceTypes[0]',
    );
    expect((await t.call('POST', '/v1/tokens', { token: foodAdmin, body: { name: 'x', actions: ['read'], licenceTypes: ['FoodBusinessLicence'] } })).status).toBe(201);
  });

  test('a city admin cannot manage the trust register; the anchor scope can', async () => {
    const admin = await tokenWith(['admin', 'read', 'issue', 'status']);
    await expectError(await t.call('GET', '/v1/trust/authorities', { token: admin }), 403, 'ERR_FORBIDDEN');
    expect((await t.call('GET', '/v1/trust/authorities')).status).toBe(200);
  });
});
