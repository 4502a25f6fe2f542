/**
 * Insider attacks on the holder side and its derived credentials (bound copies, agent authorisations):
 * parties holding some genuine credential (a holder session of one business, a holder code that leaked,
 * an agency token limited to some licence types, a device key or an agent key) trying to act beyond it.
 * Each test asserts the safe behaviour; a failing test is a finding.
 */
import type { JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveQr } from '../../src/core/qr/live.js';
import { createAuthority } from '../../src/services/authorities.js';
import { ACTIONS, createToken } from '../../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext } from '../helpers/app.js';
import { deviceKey, expectError, issueLicence, payloadOf } from '../helpers/derived.js';
import { freshCreditCode } from '../shared/subjects.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

interface BoundCopy {
  id: string;
  licenceId: string;
  validUntil: string;
  credential: string;
}
interface Authorisation {
  id: string;
  licenceId: string;
  holderCreditCode: string;
  status: string;
  credential: string;
}

const agent = { name: '李明', idNumberMasked: '3301**********1234' };
const count = (table: string) => (t.store.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const post = (path: string, body: unknown) => t.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

async function holderSession(licenceId: string): Promise<string> {
  const access = await t.call('POST', `/v1/licences/${licenceId}/holder-access`);
  expect(access.status).toBe(201);
  const res = await post('/holder/v1/session', { code: ((await access.json()) as { code: string }).code });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

async function signerOf(jwk: JWK) {
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  return async (message: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, message as BufferSource));
}

const foodOnlyToken = async () =>
  (await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: [...ACTIONS], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;

describe('an agency token limited to food licences', () => {
  it('cannot make or rotate the holder code of a business that also holds a business licence here: the code would open that licence too (403, no code, no session ended)', async () => {
    const foodOnly = await foodOnlyToken();
    const creditCode = freshCreditCode();
    const business = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const food = await issueLicence(t, { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode }) });
    const session = await holderSession(business.id);
    const auditBefore = count('audit_log');
    await expectError(await t.call('POST', `/v1/licences/${food.id}/holder-access`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    expect(count('audit_log')).toBe(auditBefore);
    expect(t.store.sqlite.prepare('SELECT generation FROM holder_access').all()).toEqual([{ generation: 1 }]);
    // The business's session still works.
    expect((await t.app.request('/holder/v1/licences', { headers: { Authorization: `Bearer ${session}` } })).status).toBe(200);
    // A business whose licences here are all food licences: the food token may.
    const foodHolder = freshCreditCode();
    const onlyFood = await issueLicence(t, { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: foodHolder }) });
    expect((await t.call('POST', `/v1/licences/${onlyFood.id}/holder-access`, { token: foodOnly })).status).toBe(201);
  });

  it("cannot list the devices of a holder with no food licence, nor read its business licence's bound copy by registering the device's public key again", async () => {
    const foodOnly = await foodOnlyToken();
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { publicJwk } = await deviceKey();
    const registered = await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: publicJwk } });
    expect(registered.status).toBe(201);
    // The device's public key is no secret (device listings, every live QR carry it).
    await expectError(await t.call('GET', `/v1/holders/${creditCode}/devices`, { token: foodOnly }), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: publicJwk }, token: foodOnly }), 404, 'ERR_NOT_FOUND');
  });

  it("re-registering an active device of a holder with both types answers only the food copies, never the business licence's", async () => {
    const foodOnly = await foodOnlyToken();
    const creditCode = freshCreditCode();
    const business = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const food = await issueLicence(t, { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode }) });
    const { publicJwk } = await deviceKey();
    const full = await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: publicJwk } });
    expect(((await full.json()) as { boundCopies: BoundCopy[] }).boundCopies.map((c) => c.licenceId).sort()).toEqual([business.id, food.id].sort());
    const again = await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: publicJwk }, token: foodOnly });
    expect(again.status).toBe(200);
    const copies = ((await again.json()) as { boundCopies: BoundCopy[] }).boundCopies;
    expect(copies.map((c) => c.licenceId)).toEqual([food.id]);
  });

  it('cannot list or revoke the agent authorisations, nor read the bound copies, of a business licence (403)', async () => {
    const foodOnly = await foodOnlyToken();
    const licence = await issueLicence(t);
    const auth = await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations`, {
      body: { agent, matters: 'all', validUntil: '2027-05-31', agentJwk: (await deviceKey()).publicJwk },
    });
    const { id } = (await auth.json()) as Authorisation;
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/agent-authorisations`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations/${id}/revoke`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/bound-copies`, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
    expect(t.store.sqlite.prepare('SELECT status FROM agent_authorisations WHERE id = ?').get(id)).toEqual({ status: 'active' });
  });
});

describe('a holder code that leaked', () => {
  it('rotating it ends the invitations made with it: the link signs nothing afterwards', async () => {
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode: freshCreditCode() }) });
    // The thief of the code opens a session and invites "an agent" (themselves).
    const stolen = await holderSession(licence.id);
    const invited = await t.call('POST', '/holder/v1/agents', { token: stolen, body: { licenceId: licence.id, agent, matters: 'all', validUntil: '2027-05-31' } });
    expect(invited.status).toBe(201);
    const { code } = (await invited.json()) as { code: string };
    // The business notices and has the code rotated; the thief's session ends...
    const rotated = await t.call('POST', `/v1/licences/${licence.id}/holder-access`);
    expect(((await rotated.json()) as { rotated: boolean }).rotated).toBe(true);
    expect((await t.call('GET', '/holder/v1/licences', { token: stolen })).status).toBe(401);
    // ...and the invitation (which the business can neither see nor cancel) signs nothing either.
    await expectError(await post('/holder/v1/agent-invitations/accept', { code, jwk: (await deviceKey()).publicJwk }), 404, 'ERR_NOT_FOUND');
    expect(count('agent_authorisations')).toBe(0);
    expect(t.store.sqlite.prepare('SELECT status FROM agent_invitations').all()).toEqual([{ status: 'cancelled' }]);
  });
});

describe("business A's holder session", () => {
  it("at authority X binds and authorises nothing of its credit code's licences at authority Y", async () => {
    const creditCode = freshCreditCode();
    const here = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    await createAuthority(t.deps, { id: 'other-city', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const otherToken = (await createToken(t.deps, { authorityId: 'other-city', name: 'other', actions: [...ACTIONS] }, 'test')).token;
    const elsewhere = await t.call('POST', '/v1/licences', { token: otherToken, body: { type: 'BusinessLicence', subject: businessSubject({ creditCode }) } });
    const elsewhereId = ((await elsewhere.json()) as { id: string }).id;
    const token = await holderSession(here.id);
    const registered = await t.call('POST', '/holder/v1/devices', { token, body: { jwk: (await deviceKey()).publicJwk } });
    expect(((await registered.json()) as { boundCopies: BoundCopy[] }).boundCopies.map((c) => c.licenceId)).toEqual([here.id]);
    await expectError(
      await t.call('POST', '/holder/v1/agents', { token, body: { licenceId: elsewhereId, agent, matters: 'all', validUntil: '2027-05-31' } }),
      404,
      'ERR_NOT_FOUND',
    );
  });

  it("registering B's device key (read off a live QR) as its own and removing it leaves B's device and copies alone", async () => {
    const a = await issueLicence(t, { subject: businessSubject({ creditCode: freshCreditCode() }) });
    const bHolder = freshCreditCode();
    const b = await issueLicence(t, { subject: businessSubject({ creditCode: bHolder }) });
    const bKey = (await deviceKey()).publicJwk;
    const bRegistered = await t.call('POST', '/holder/v1/devices', { token: await holderSession(b.id), body: { jwk: bKey } });
    const bCopy = ((await bRegistered.json()) as { boundCopies: BoundCopy[] }).boundCopies[0]!;
    const aToken = await holderSession(a.id);
    const aRegistered = await t.call('POST', '/holder/v1/devices', { token: aToken, body: { jwk: bKey } });
    expect(aRegistered.status).toBe(201);
    const { device, boundCopies } = (await aRegistered.json()) as { device: { id: string }; boundCopies: BoundCopy[] };
    expect(boundCopies.map((c) => c.licenceId)).toEqual([a.id]);
    expect((await t.call('DELETE', `/holder/v1/devices/${device.id}`, { token: aToken })).status).toBe(200);
    expect(t.store.sqlite.prepare('SELECT status FROM bound_copies WHERE id = ?').get(bCopy.id)).toEqual({ status: 'active' });
    expect(t.store.sqlite.prepare('SELECT status FROM holder_devices WHERE id = ? AND holder_credit_code = ?').get(device.id, bHolder)).toEqual({
      status: 'active',
    });
  });

  it('cannot register a device for a holder whose only licence is revoked, and renewal re-signs no copy of a revoked licence', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }), validUntil: '2031-05-31' });
    const token = await holderSession(licence.id);
    const registered = await t.call('POST', '/holder/v1/devices', { token, body: { jwk: (await deviceKey()).publicJwk } });
    const { device, boundCopies } = (await registered.json()) as { device: { id: string }; boundCopies: BoundCopy[] };
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    t.clock.set('2026-06-25T00:00:00Z'); // the copy ends within 10 days: renewable, were the licence current
    const renewed = await t.call('GET', `/holder/v1/bound-copies?device=${device.id}`, { token });
    expect(renewed.status).toBe(200);
    const items = ((await renewed.json()) as { items: BoundCopy[] }).items;
    expect(items.filter((c) => c.validUntil !== boundCopies[0]!.validUntil)).toEqual([]);
    await expectError(await t.call('POST', '/holder/v1/devices', { token, body: { jwk: (await deviceKey()).publicJwk } }), 404, 'ERR_NOT_FOUND');
  });
});

describe('an agent holding a genuine authorisation', () => {
  async function accepted(licenceId: string, token: string) {
    const invited = await t.call('POST', '/holder/v1/agents', { token, body: { licenceId, agent, matters: ['tax-filing'], validUntil: '2027-05-31' } });
    const { code } = (await invited.json()) as { code: string };
    const key = await deviceKey();
    const res = await post('/holder/v1/agent-invitations/accept', { code, jwk: key.publicJwk });
    expect(res.status).toBe(201);
    return { authorisation: (await res.json()) as Authorisation, sign: await signerOf(key.privateJwk) };
  }

  it('refresh after the licence is revoked: the same credential, shown as no longer usable', async () => {
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode: freshCreditCode() }) });
    const { authorisation, sign } = await accepted(licence.id, await holderSession(licence.id));
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    const res = await post('/holder/v1/agent-authorisations/refresh', { qr: await createLiveQr(authorisation.credential, sign, { now: t.clock.now() }) });
    expect(res.status).toBe(200);
    const current = (await res.json()) as Authorisation;
    expect(current.credential).toBe(authorisation.credential);
    expect(current.status).not.toBe('active');
  });

  it('an amendment that gives the licence to another credit code does not hand the agent an authorisation for that company', async () => {
    const oldHolder = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode: oldHolder }) });
    const { authorisation, sign } = await accepted(licence.id, await holderSession(licence.id));
    const newHolder = freshCreditCode();
    const amend = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { creditCode: newHolder } } });
    expect(amend.status).toBe(201);
    const res = await post('/holder/v1/agent-authorisations/refresh', { qr: await createLiveQr(authorisation.credential, sign, { now: t.clock.now() }) });
    const current = (await res.json()) as Authorisation;
    expect(current.holderCreditCode).toBe(oldHolder);
    expect(payloadOf(current.credential)['credentialSubject']['company']['creditCode']).toBe(oldHolder);
    expect(t.store.sqlite.prepare("SELECT count(*) AS n FROM agent_authorisations WHERE holder_credit_code = ? AND status = 'active'").get(newHolder)).toEqual({ n: 0 });
  });

  it("refresh with a device key's live bound copy (not an authorisation) is 404", async () => {
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode: freshCreditCode() }) });
    const token = await holderSession(licence.id);
    const key = await deviceKey();
    const registered = await t.call('POST', '/holder/v1/devices', { token, body: { jwk: key.publicJwk } });
    const copy = ((await registered.json()) as { boundCopies: BoundCopy[] }).boundCopies[0]!;
    const qr = await createLiveQr(copy.credential, await signerOf(key.privateJwk), { now: t.clock.now() });
    await expectError(await post('/holder/v1/agent-authorisations/refresh', { qr }), 404, 'ERR_NOT_FOUND');
  });
});
