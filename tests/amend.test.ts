/**
 * Amend without surprises: `subjectPatch` (JSON Merge Patch, RFC 7396) or the whole `subject`, exactly
 * one; `null` deletes an optional field; the result is validated against the type's schema; validity
 * stays unless new dates are given; GET returns the subject in the issue-request shape so GET -> edit
 * -> amend round-trips. Date-only validity inputs are China dates, shown as China dates on the card.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amendedSubject } from '../src/services/lifecycle.js';
import { authoriseType, businessSubject, createTestContext, type TestContext, typeDeclarations } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  status: string;
  statusReason: string | null;
  subject: Record<string, unknown>;
  validFrom: string;
  validUntil: string;
  supersedes: string | null;
  supersededBy: string | null;
  credential: string;
}
interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(body: Record<string, unknown>): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', ...body } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Licence;
}
const amend = (id: string, body: unknown) => t.call('POST', `/v1/licences/${id}/amend`, { body });
const get = async (id: string) => (await (await t.call('GET', `/v1/licences/${id}`)).json()) as Licence;
const signedSubject = (licence: Licence) => JSON.parse(Buffer.from(licence.credential.split('.')[1]!, 'base64url').toString('utf8')).credentialSubject;
const count = () => (t.store.sqlite.prepare('SELECT count(*) AS n FROM licences').get() as { n: number }).n;

async function expectError(res: Response, status: number, code: string, field?: string): Promise<void> {
  expect(res.status).toBe(status);
  const { error } = (await res.json()) as ErrorBody;
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.field).toBe(field);
}

describe('GET returns the subject as an issue request takes it', () => {
  it('creditCode, not id: urn:uscc:, and GET -> edit -> amend round-trips', async () => {
    const subject = businessSubject();
    const licence = await issue({ subject });
    const read = await get(licence.id);
    expect(read.subject).toEqual(subject);
    expect(signedSubject(read).id).toBe(`urn:uscc:${subject['creditCode']}`);
    const edited = { ...read.subject, legalRepresentative: '李四' };
    const res = await amend(licence.id, { subject: edited });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    expect((await get(amended.id)).subject).toEqual(edited);
    // Lists carry it too.
    const list = (await (await t.call('GET', `/v1/licences?holder=${subject['creditCode']}`)).json()) as { items: Licence[] };
    expect(list.items.map((l) => l.subject['legalRepresentative'])).toEqual(['李四', '张三']);
  });
});

describe('subjectPatch (JSON Merge Patch)', () => {
  it('an address change keeps the validity, supersedes the old licence and changes only the address', async () => {
    t.clock.set('2026-06-01T00:00:00Z');
    const licence = await issue({ subject: businessSubject(), validFrom: '2026-06-01', validUntil: '2031-05-31' });
    t.clock.set('2027-03-10T09:30:00Z');
    const res = await amend(licence.id, { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' }, note: '住所变更' });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    expect(amended.subject).toEqual({ ...licence.subject, address: '浙江省杭州市西湖区文三路200号' });
    // Not moved by two years: the same first and last day as before.
    expect([amended.validFrom, amended.validUntil]).toEqual([licence.validFrom, licence.validUntil]);
    expect([amended.validFrom, amended.validUntil]).toEqual(['2026-05-31T16:00:00.000Z', '2031-05-31T16:00:00.000Z']);
    expect(amended.supersedes).toBe(licence.id);
    expect(await get(licence.id)).toMatchObject({ status: 'revoked', statusReason: 'superseded', supersededBy: amended.id });
  });

  it('new dates replace the old ones, date-only ones as China dates; one bound given, the other stays', async () => {
    const licence = await issue({ subject: businessSubject(), validUntil: '2030-12-31' });
    const res = await amend(licence.id, { subjectPatch: {}, validUntil: '2032-06-30' });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    expect(amended.validFrom).toBe(licence.validFrom);
    expect(amended.validUntil).toBe('2032-06-30T16:00:00.000Z');
  });

  it('null deletes an optional field; deleting a required one is a schema error (400), nothing changes', async () => {
    const schema = {
      type: 'object',
      properties: { creditCode: { type: 'string' }, name: { type: 'string', minLength: 1 }, note: { type: 'string' }, items: { type: 'array', items: { type: 'string' } } },
      required: ['creditCode', 'name'],
      additionalProperties: false,
    };
    expect(
      (
        await t.call('POST', '/v1/licence-types', {
          body: { code: 'SignLicence', name: { zh: '招牌', en: 'Sign' }, schemaVersion: '1', schema, ...typeDeclarations('SignLicence', 'name') },
        })
      ).status,
    ).toBe(201);
    await authoriseType(t, 'SignLicence');
    const res = await t.call('POST', '/v1/licences', { body: { type: 'SignLicence', subject: { creditCode: freshCreditCode(), name: '甲', note: '备注', items: ['a', 'b'] } } });
    const licence = (await res.json()) as Licence;
    const deleted = await amend(licence.id, { subjectPatch: { note: null, items: ['c'] } });
    expect(deleted.status).toBe(201);
    const amended = (await deleted.json()) as Licence;
    expect(amended.subject).toEqual({ creditCode: licence.subject['creditCode'], name: '甲', items: ['c'] });
    expect(signedSubject(amended)).not.toHaveProperty('note');
    const before = count();
    await expectError(await amend(amended.id, { subjectPatch: { name: null } }), 400, 'ERR_VALIDATION', 'subject.name');
    await expectError(await amend(amended.id, { subjectPatch: { name: 7 } }), 400, 'ERR_VALIDATION', 'subject.name');
    await expectError(await amend(amended.id, { subjectPatch: { colour: 'red' } }), 400, 'ERR_UNKNOWN_FIELD', 'subject.colour');
    await expectError(await amend(amended.id, { subjectPatch: { creditCode: '91330106MA2CFX7K5Z' } }), 400, 'ERR_CREDIT_CODE', 'subject.creditCode');
    expect(count()).toBe(before);
    expect((await get(amended.id)).status).toBe('active');
  });

  it('a business licence: every required field stays required', async () => {
    const licence = await issue({ subject: businessSubject() });
    await expectError(await amend(licence.id, { subjectPatch: { businessScope: null } }), 400, 'ERR_VALIDATION', 'subject.businessScope');
    await expectError(await amend(licence.id, { subjectPatch: { establishedOn: '2020-02-30' } }), 400, 'ERR_VALIDATION', 'subject.establishedOn');
    expect((await get(licence.id)).status).toBe('active');
  });

  it('exactly one of subject and subjectPatch; the patch must be an object; no prototype members', async () => {
    const licence = await issue({ subject: businessSubject() });
    const before = count();
    await expectError(await amend(licence.id, {}), 400, 'ERR_VALIDATION', 'subjectPatch');
    await expectError(await amend(licence.id, { subject: licence.subject, subjectPatch: {} }), 400, 'ERR_VALIDATION', 'subject');
    await expectError(await amend(licence.id, { subjectPatch: ['address'] }), 400, 'ERR_VALIDATION');
    await expectError(await amend(licence.id, { subjectPatch: null }), 400, 'ERR_VALIDATION');
    await expectError(await amend(licence.id, { subjectPatch: { name: '新' }, validUntil: '2031-13-01' }), 400, 'ERR_INVALID_DATE', 'validUntil');
    expect(count()).toBe(before);
    expect((await get(licence.id)).status).toBe('active');
    // A patch naming __proto__ (as JSON text parses it: an own member) is refused by the service, never half-applied.
    const hostile = JSON.parse('{"name":"新","__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(() => amendedSubject(licence.subject, { subjectPatch: hostile })).toThrow(expect.objectContaining({ code: 'ERR_VALIDATION', field: 'subjectPatch.__proto__' }));
    expect(() => amendedSubject(licence.subject, { subjectPatch: JSON.parse('{"a":{"constructor":{}}}') })).toThrow(
      expect.objectContaining({ field: 'subjectPatch.a.constructor' }),
    );
    // Over HTTP the request schema already drops it: the amendment carries only real members.
    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: '{"subjectPatch":{"name":"新名称","__proto__":{"polluted":1}}}' });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    expect(amended.subject).toEqual({ ...licence.subject, name: '新名称' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    // The patch is applied to a copy: the stored subject of the old licence is untouched.
    expect((await get(licence.id)).subject).toEqual(licence.subject);
  });
});

describe('one clock for people: date-only inputs are China dates', () => {
  it('validFrom 00:00 CST of the first day; validUntil 00:00 CST of the day after the last day', async () => {
    const licence = await issue({ subject: businessSubject(), validFrom: '2026-06-01', validUntil: '2031-11-29' });
    expect([licence.validFrom, licence.validUntil]).toEqual(['2026-05-31T16:00:00.000Z', '2031-11-29T16:00:00.000Z']);
    const vc = JSON.parse(Buffer.from(licence.credential.split('.')[1]!, 'base64url').toString('utf8'));
    expect([vc.validFrom, vc.validUntil]).toEqual(['2026-05-31T16:00:00Z', '2031-11-29T16:00:00Z']);
    // The card shows the China dates: first day and last valid day.
    const html = await (await t.call('GET', `/v1/licences/${licence.id}/card`)).text();
    expect(html).toContain('自 <time datetime="2026-06-01">2026年6月1日</time>');
    expect(html).toContain('至 <time datetime="2031-11-29">2031年11月29日</time>');
    // Valid through the last day in China, expired from the next midnight in China.
    t.clock.set('2031-11-29T15:59:59Z');
    expect((await get(licence.id)).status).toBe('active');
    t.clock.set('2031-11-29T16:00:00Z');
    expect((await get(licence.id)).status).toBe('expired');
  });

  it('an existing licence with an exact instant is shown with its last valid day in China', async () => {
    const licence = await issue({ subject: businessSubject(), validFrom: '2026-06-01T00:00:00Z', validUntil: '2030-01-01T00:00:00Z' });
    const html = await (await t.call('GET', `/v1/licences/${licence.id}/card`)).text();
    // 2030-01-01T00:00:00Z is 08:00 on 1 January in China: the licence is valid on that day until then.
    expect(html).toContain('自 <time datetime="2026-06-01">2026年6月1日</time>');
    expect(html).toContain('至 <time datetime="2030-01-01">2030年1月1日</time>');
  });

  it('date-only inputs in a batch, and bad ones named by item', async () => {
    const res = await t.call('POST', '/v1/licences/batch', {
      body: {
        items: [
          { type: 'BusinessLicence', subject: businessSubject(), validUntil: '2030-02-28' },
          { type: 'BusinessLicence', subject: businessSubject(), validUntil: '2030-02-29' },
        ],
      },
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ErrorBody & { error: { details: { field: string; code: string }[] } };
    expect(error.details).toEqual([expect.objectContaining({ code: 'ERR_INVALID_DATE', field: 'items[1].validUntil' })]);
  });
});
