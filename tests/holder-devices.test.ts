/**
 * The holder API's devices, bound copies and agents (docs/holder-app.md), as an insider would attack
 * them: business A's holder session registers, lists, renews and removes only A's devices (B's device
 * is 404 on every route, and removing it changes nothing); a sixth device is refused; an invitation
 * is accepted once, by anyone holding the link, and binds the agent's key; A cannot revoke B's agents.
 */
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveQr } from '../src/core/qr/live.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';
import { deviceKey, expectError, isRevoked, payloadOf, verifyWithJwks } from './helpers/derived.js';
import { freshCreditCode } from './shared/subjects.js';

let t: TestContext;
const A = freshCreditCode();
const B = freshCreditCode();
const ids = { a: '', b: '' };
const sessions = { a: '', a2: '', b: '' };

interface Device {
  id: string;
  status: string;
  holderCreditCode: string;
}
interface BoundCopy {
  id: string;
  licenceId: string;
  deviceId: string;
  status: string;
  ownStatus: { statusListCredential: string; statusListIndex: number };
  credential: string;
}

async function issue(creditCode: string, name: string): Promise<string> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode, name }), validUntil: '2031-05-31' } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function session(licenceId: string): Promise<string> {
  const access = await t.call('POST', `/v1/licences/${licenceId}/holder-access`);
  const { code } = (await access.json()) as { code: string };
  const res = await t.app.request('/holder/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

const as = (token: string, method: string, path: string, body?: unknown) => t.call(method, path, { token, ...(body === undefined ? {} : { body }) });

async function register(token: string): Promise<{ device: Device; boundCopies: BoundCopy[] }> {
  const { publicJwk } = await deviceKey();
  const res = await as(token, 'POST', '/holder/v1/devices', { jwk: publicJwk, label: 'phone' });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { device: Device; boundCopies: BoundCopy[] };
}

beforeAll(async () => {
  t = await createTestContext();
  ids.a = await issue(A, '甲公司');
  ids.b = await issue(B, '乙公司');
  sessions.a = await session(ids.a);
  sessions.b = await session(ids.b);
});
afterAll(() => t.close());

describe('holder devices', () => {
  it("registers this phone's key for the session's holder: a bound copy of its licence, bound to that key", async () => {
    const { publicJwk } = await deviceKey();
    const res = await as(sessions.a, 'POST', '/holder/v1/devices', { jwk: publicJwk });
    expect(res.status).toBe(201);
    const { device, boundCopies } = (await res.json()) as { device: Device; boundCopies: BoundCopy[] };
    expect(device).toMatchObject({ holderCreditCode: A, status: 'active' });
    expect(boundCopies.map((c) => c.licenceId)).toEqual([ids.a]);
    const payload = await verifyWithJwks(t, boundCopies[0]!.credential);
    expect(payload['cnf']).toEqual({ jwk: publicJwk });
    expect(payload['credentialSubject']).toMatchObject({ id: expect.any(String) });
    // Same key again: 200, nothing new.
    expect((await as(sessions.a, 'POST', '/holder/v1/devices', { jwk: publicJwk })).status).toBe(200);
    const list = (await (await as(sessions.a, 'GET', '/holder/v1/devices')).json()) as { items: Device[] };
    expect(list.items.map((d) => d.id)).toContain(device.id);
    // A private key is refused.
    const { privateJwk } = await deviceKey();
    await expectError(await as(sessions.a, 'POST', '/holder/v1/devices', { jwk: privateJwk }), 400, 'ERR_DEVICE_KEY');
  });

  it('renews through GET /holder/v1/bound-copies?device= and refuses a sixth device (409 ERR_DEVICE_LIMIT)', async () => {
    const creditCode = freshCreditCode();
    const licence = await issue(creditCode, '丙公司');
    const token = await session(licence);
    const first = await register(token);
    const renewed = await as(token, 'GET', `/holder/v1/bound-copies?device=${first.device.id}`);
    expect(renewed.status).toBe(200);
    const items = ((await renewed.json()) as { items: BoundCopy[] }).items;
    expect(items.map((c) => c.id)).toEqual(first.boundCopies.map((c) => c.id));
    for (let i = 0; i < 4; i++) await register(token);
    const { publicJwk } = await deviceKey();
    await expectError(await as(token, 'POST', '/holder/v1/devices', { jwk: publicJwk }), 409, 'ERR_DEVICE_LIMIT');
    expect(((await (await as(token, 'GET', '/holder/v1/devices')).json()) as { items: Device[] }).items).toHaveLength(5);
  });

  it("A's session cannot see, renew or remove B's device (404), and removing its own revokes only the bound copy", async () => {
    const b = await register(sessions.b);
    const a = await register(sessions.a);
    const aList = (await (await as(sessions.a, 'GET', '/holder/v1/devices')).json()) as { items: Device[] };
    expect(aList.items.map((d) => d.id)).not.toContain(b.device.id);
    expect(aList.items.every((d) => d.holderCreditCode === A)).toBe(true);
    await expectError(await as(sessions.a, 'GET', `/holder/v1/bound-copies?device=${b.device.id}`), 404, 'ERR_NOT_FOUND');
    await expectError(await as(sessions.a, 'DELETE', `/holder/v1/devices/${b.device.id}`), 404, 'ERR_NOT_FOUND');
    const bList = (await (await as(sessions.b, 'GET', '/holder/v1/devices')).json()) as { items: Device[] };
    expect(bList.items.find((d) => d.id === b.device.id)?.status).toBe('active');
    expect(await isRevoked(t, b.boundCopies[0]!.ownStatus)).toBe(false);

    const removed = await as(sessions.a, 'DELETE', `/holder/v1/devices/${a.device.id}`);
    expect(removed.status).toBe(200);
    expect(((await removed.json()) as Device).status).toBe('removed');
    expect(await isRevoked(t, a.boundCopies[0]!.ownStatus)).toBe(true);
    // The licence's own revocation bit is untouched.
    const licenceStatus = payloadOf(a.boundCopies[0]!.credential)['credentialStatus'][0] as { statusListCredential: string; statusListIndex: string };
    expect(await isRevoked(t, licenceStatus)).toBe(false);
    // Removed: no more renewals, and removing again is 409.
    await expectError(await as(sessions.a, 'GET', `/holder/v1/bound-copies?device=${a.device.id}`), 409, 'ERR_ILLEGAL_TRANSITION');
    await expectError(await as(sessions.a, 'DELETE', `/holder/v1/devices/${a.device.id}`), 409, 'ERR_ILLEGAL_TRANSITION');
  });

  it('needs a holder session: an agency token and no token are 401 on every device route', async () => {
    for (const [method, path] of [
      ['GET', '/holder/v1/devices'],
      ['POST', '/holder/v1/devices'],
      ['DELETE', '/holder/v1/devices/x'],
      ['GET', '/holder/v1/bound-copies?device=x'],
      ['GET', '/holder/v1/agents'],
      ['POST', '/holder/v1/agents'],
    ] as const) {
      const body = method === 'GET' ? {} : { body: {} };
      expect((await t.call(method, path, body)).status, `${method} ${path}`).toBe(401);
      expect((await t.call(method, path, { ...body, token: null })).status, `${method} ${path}`).toBe(401);
    }
  });
});

describe('holder agents', () => {
  const request = (licenceId: string) => ({
    licenceId,
    agent: { name: '李明', idNumberMasked: '3301**********1234' },
    matters: ['tax-filing'],
    validUntil: '2027-05-31',
  });

  it('invites an agent with a one-time link; the agent accepts it once with its own key; the holder lists and revokes it', async () => {
    const res = await as(sessions.a, 'POST', '/holder/v1/agents', request(ids.a));
    expect(res.status, await res.clone().text()).toBe(201);
    const invitation = (await res.json()) as { code: string; link: string };
    expect(invitation.code.startsWith('dev-city.')).toBe(true);
    expect(invitation.link).toBe(`https://elicence.test/holder/agent#i=${encodeURIComponent(invitation.code)}`);
    const page = await t.app.request('/holder/agent');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/holder/?mode=agent');

    const { publicJwk } = await deviceKey();
    const accept = (code: string, jwk: unknown) =>
      t.app.request('/holder/v1/agent-invitations/accept', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code, jwk }) });
    const accepted = await accept(invitation.code, publicJwk);
    expect(accepted.status, await accepted.clone().text()).toBe(201);
    const authorisation = (await accepted.json()) as { id: string; credential: string; ownStatus: { statusListCredential: string; statusListIndex: number } };
    const payload = await verifyWithJwks(t, authorisation.credential);
    expect(payload['cnf']).toEqual({ jwk: publicJwk });
    expect(payload['credentialSubject']).toMatchObject({ company: { creditCode: A }, matters: ['tax-filing'] });
    // Once only; a guessed or mangled code is the same 404.
    await expectError(await accept(invitation.code, (await deviceKey()).publicJwk), 404, 'ERR_NOT_FOUND');
    await expectError(await accept('dev-city.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', publicJwk), 404, 'ERR_NOT_FOUND');
    await expectError(await accept('nodot', publicJwk), 404, 'ERR_NOT_FOUND');

    const listed = (await (await as(sessions.a, 'GET', '/holder/v1/agents')).json()) as { items: { id: string }[] };
    expect(listed.items.map((a) => a.id)).toContain(authorisation.id);
    const bListed = (await (await as(sessions.b, 'GET', '/holder/v1/agents')).json()) as { items: { id: string }[] };
    expect(bListed.items.map((a) => a.id)).not.toContain(authorisation.id);
    // B cannot revoke A's agent.
    await expectError(await as(sessions.b, 'POST', `/holder/v1/agents/${authorisation.id}/revoke`), 404, 'ERR_NOT_FOUND');
    expect(await isRevoked(t, authorisation.ownStatus)).toBe(false);
    const revoked = await as(sessions.a, 'POST', `/holder/v1/agents/${authorisation.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(await isRevoked(t, authorisation.ownStatus)).toBe(true);
  });

  it("refuses an invitation for another holder's licence (404) and a period beyond the licence (400)", async () => {
    await expectError(await as(sessions.a, 'POST', '/holder/v1/agents', request(ids.b)), 404, 'ERR_NOT_FOUND');
    await expectError(await as(sessions.a, 'POST', '/holder/v1/agents', { ...request(ids.a), validFrom: '2030-01-01', validUntil: '2031-12-31' }), 400, 'ERR_VALIDITY_WINDOW');
  });

  it("refresh: only a current live proof by the authorisation's own key gets its current form (after an amendment, the successor)", async () => {
    const creditCode = freshCreditCode();
    const licenceId = await issue(creditCode, '丁公司');
    const token = await session(licenceId);
    const invitation = (await (await as(token, 'POST', '/holder/v1/agents', request(licenceId))).json()) as { code: string };
    const agentKey = await deviceKey();
    const accepted = await t.app.request('/holder/v1/agent-invitations/accept', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: invitation.code, jwk: agentKey.publicJwk }),
    });
    const authorisation = (await accepted.json()) as { id: string; credential: string };
    const signerOf = async (jwk: JWK) => {
      const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      return async (message: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, message as BufferSource));
    };
    const refresh = (qr: string) =>
      t.app.request('/holder/v1/agent-authorisations/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ qr }) });
    const own = await signerOf(agentKey.privateJwk);
    const now = t.clock.now();

    const fresh = await refresh(await createLiveQr(authorisation.credential, own, { now }));
    expect(fresh.status, await fresh.clone().text()).toBe(200);
    expect(((await fresh.json()) as { id: string }).id).toBe(authorisation.id);
    // Another key's proof, a stale proof (a screenshot), garbage: the same 404.
    await expectError(await refresh(await createLiveQr(authorisation.credential, await signerOf((await deviceKey()).privateJwk), { now })), 404, 'ERR_NOT_FOUND');
    await expectError(await refresh(await createLiveQr(authorisation.credential, own, { now: now - 5 * 60_000 })), 404, 'ERR_NOT_FOUND');
    await expectError(await refresh('EL2:123'), 404, 'ERR_NOT_FOUND');

    const amend = await t.call('POST', `/v1/licences/${licenceId}/amend`, { body: { subjectPatch: { address: '新地址 1 号' } } });
    expect(amend.status).toBe(201);
    const successor = await refresh(await createLiveQr(authorisation.credential, own, { now: t.clock.now() }));
    expect(successor.status).toBe(200);
    const current = (await successor.json()) as { id: string; supersedes: string | null; status: string; credential: string };
    expect(current).toMatchObject({ supersedes: authorisation.id, status: 'active' });
    expect(payloadOf(current.credential)['cnf']).toEqual({ jwk: agentKey.publicJwk });
  });

  it('the session-less agent routes are rate limited per client address: after 10 failures, 429 even for a good code', async () => {
    const invitation = (await (await as(sessions.a, 'POST', '/holder/v1/agents', request(ids.a))).json()) as { code: string };
    const { publicJwk } = await deviceKey();
    const from = (address: string, path: string, body: unknown) =>
      Promise.resolve(
        t.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }, { incoming: { socket: { remoteAddress: address } } }),
      );
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.9', '/holder/v1/agent-invitations/accept', { code: `dev-city.guess${i}`, jwk: publicJwk })).status).toBe(404);
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.9', '/holder/v1/agent-authorisations/refresh', { qr: `EL2:${i}0000` })).status).toBe(404);
    const blocked = await from('203.0.113.9', '/holder/v1/agent-invitations/accept', { code: invitation.code, jwk: publicJwk });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBeTruthy();
    // Another address is unaffected, and the code was not used up by the refused attempt.
    expect((await from('198.51.100.7', '/holder/v1/agent-invitations/accept', { code: invitation.code, jwk: publicJwk })).status).toBe(201);
  });
});
