/**
 * Registering licence types: a subject may nest at most 8 levels (refused at registration, also through
 * recursive local $refs), and a type the trust register does not authorise for the authority is
 * registered with a warning naming the step that fixes it (so inspectors do not meet it as
 * UNTRUSTED_ISSUER). The warning goes away once the register carries the type.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { declaredLevels, MAX_SUBJECT_LEVELS } from '../src/core/licence-types.js';
import { createTestContext, type TestContext, typeDeclarations } from './helpers/app.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const json = async (res: Response) => (await res.json()) as any;

/** A schema whose subject nests `levels` levels: the subject, then `levels - 1` nested objects. */
function nested(levels: number): Record<string, unknown> {
  let inner: Record<string, unknown> = { type: 'string' };
  for (let i = 1; i < levels; i++) inner = { type: 'object', properties: { child: inner }, additionalProperties: false };
  return { type: 'object', properties: { creditCode: { type: 'string' }, child: inner }, required: ['creditCode'], additionalProperties: false };
}

const type = (code: string, schema: Record<string, unknown>) => ({
  code,
  name: { zh: '测试许可证', en: 'Test licence' },
  schemaVersion: '1.0',
  // A holder-name field beside the nesting under test.
  schema: { ...schema, properties: { ...(schema['properties'] as object), holder: { type: 'string' } } },
  ...typeDeclarations(code, 'holder'),
});

describe('licence type nesting', () => {
  it('counts the levels a schema declares (objects, arrays, combinators, local refs)', () => {
    expect(declaredLevels({ type: 'object', properties: { a: { type: 'string' } } })).toBe(1);
    expect(declaredLevels(nested(8))).toBe(8);
    expect(declaredLevels({ type: 'object', properties: { list: { type: 'array', items: { type: 'object', properties: { x: { type: 'string' } } } } } })).toBe(3);
    expect(declaredLevels({ type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'array' } }] } } })).toBe(3);
    const recursive = { type: 'object', properties: { node: { $ref: '#/$defs/node' } }, $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } } };
    expect(declaredLevels(recursive)).toBe(Number.POSITIVE_INFINITY);
    // A diamond of references is counted once per reference, not once per path.
    const defs: Record<string, unknown> = { d0: { type: 'string' } };
    for (let i = 1; i <= 40; i++) defs[`d${i}`] = { allOf: [{ $ref: `#/$defs/d${i - 1}` }, { $ref: `#/$defs/d${i - 1}` }] };
    expect(declaredLevels({ type: 'object', properties: { x: { $ref: '#/$defs/d40' } }, $defs: defs })).toBe(1);
  });

  it(`registers a type nesting ${MAX_SUBJECT_LEVELS} levels and refuses 9, and a recursive $ref, with nothing stored`, async () => {
    expect((await t.call('POST', '/v1/licence-types', { body: type('EightLevelLicence', nested(8)) })).status).toBe(201);
    const before = (await json(await t.call('GET', '/v1/licence-types'))).items.length;
    const nine = await t.call('POST', '/v1/licence-types', { body: type('NineLevelLicence', nested(9)) });
    expect(nine.status).toBe(400);
    expect((await json(nine)).error).toMatchObject({ code: 'ERR_INVALID_SCHEMA', field: 'schema' });
    const recursive = {
      type: 'object',
      properties: { creditCode: { type: 'string' }, node: { $ref: '#/$defs/node' } },
      required: ['creditCode'],
      additionalProperties: false,
      $defs: { node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } },
    };
    const res = await t.call('POST', '/v1/licence-types', { body: type('RecursiveLicence', recursive) });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain('recursive');
    expect((await json(await t.call('GET', '/v1/licence-types'))).items.length).toBe(before);
  });
});

describe('licence types the trust register does not authorise', () => {
  it('warns with the step that fixes it, and not once the register carries the type', async () => {
    const res = await t.call('POST', '/v1/licence-types', { body: type('TaxiOperatorLicence', nested(1)) });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body.warnings).toHaveLength(1);
    expect(body.warnings[0].code).toBe('WARN_TYPE_NOT_IN_TRUST_REGISTER');
    expect(body.warnings[0].message).toContain('PATCH /v1/trust/authorities/did%3Aweb%3Aelicence.test%3Aauthorities%3Adev-city');
    expect(body.warnings[0].message).toContain('UNTRUSTED_ISSUER');

    // The step named: add the type to the register entry; the next type registered is then fine too.
    const did = encodeURIComponent('did:web:elicence.test:authorities:dev-city');
    const entry = await json(await t.call('GET', `/v1/trust/authorities/${did}`));
    const patched = await t.call('PATCH', `/v1/trust/authorities/${did}`, { body: { licenceTypes: [...entry.licenceTypes, 'TaxiOperatorLicence', 'FerryLicence'] } });
    expect(patched.status).toBe(200);
    const ferry = await json(await t.call('POST', '/v1/licence-types', { body: type('FerryLicence', nested(1)) }));
    expect(ferry.warnings).toBeUndefined();
  });

  it('on a deployment that is not an anchor, says to ask the anchor', async () => {
    t.store.sqlite.prepare("DELETE FROM signing_keys WHERE owner_kind = 'anchor'").run();
    const body = await json(await t.call('POST', '/v1/licence-types', { body: type('TaxiOperatorLicence', nested(1)) }));
    expect(body.warnings[0].message).toMatch(/not a trust anchor.*ask that anchor's operator/);
  });
});
