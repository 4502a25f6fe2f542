/**
 * Agent authorisations (授权用证) over the agency API: issued only on a current licence, for at most one
 * calendar year and never beyond the licence (400 naming the field), checked against the contract and
 * verified with jose against the JWKS; revoking sets its own bit; revoking or suspending the licence
 * needs no change (the authorisation carries the licence's entries); an amendment re-issues it for
 * the new licence and revokes the old one; another authority's or another holder's scope sees 404.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acceptAgentInvitation, inviteAgent, issueAgentAuthorisation } from '../src/services/agent-authorisations.js';
import { createAuthority } from '../src/services/authorities.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';
import { deviceKey, expectError, isRevoked, issueLicence, type Licence, payloadOf, verifyWithJwks } from './helpers/derived.js';
import { freshCreditCode } from './shared/subjects.js';

interface Authorisation {
  id: string;
  credentialId: string;
  licenceId: string;
  status: string;
  statusReason: string | null;
  validFrom: string;
  validUntil: string;
  supersedes: string | null;
  supersededBy: string | null;
  matters: unknown;
  ownStatus: { statusListCredential: string; statusListIndex: number };
  credential: string;
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const agent = { name: '李明', idNumberMasked: '3301**********1234' };

async function body(overrides: Record<string, unknown> = {}) {
  return { agent, matters: ['tax-filing', 'bank-account'], validUntil: '2027-05-31', agentJwk: (await deviceKey()).publicJwk, ...overrides };
}
const authorise = (licenceId: string, request: unknown, token?: string) =>
  t.call('POST', `/v1/licences/${licenceId}/agent-authorisations`, { body: request, ...(token ? { token } : {}) });

async function authorised(licenceId: string, request: unknown): Promise<Authorisation> {
  const res = await authorise(licenceId, request);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Authorisation;
}

const count = () => (t.store.sqlite.prepare('SELECT count(*) AS n FROM agent_authorisations').get() as { n: number }).n;

describe('issuing an agent authorisation', () => {
  it('builds the contract payload from the licence, bound to the agent key, signed by the authority', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode, name: '杭州云栖智算科技有限公司' }), validFrom: '2026-05-01', validUntil: '2031-04-30' });
    const request = await body({ validFrom: '2026-06-01' });
    const auth = await authorised(licence.id, request);
    expect(auth).toMatchObject({ licenceId: licence.id, status: 'active', validFrom: '2026-05-31T16:00:00.000Z', validUntil: '2027-05-31T16:00:00.000Z' });
    const payload = await verifyWithJwks(t, auth.credential);
    const original = payloadOf(licence.credential);
    expect(Object.keys(payload)).toEqual(['@context', 'id', 'type', 'issuer', 'validFrom', 'validUntil', 'credentialSubject', 'credentialStatus', 'cnf', 'iat']);
    expect(payload).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: auth.credentialId,
      type: ['VerifiableCredential', 'AgentAuthorisation'],
      issuer: original['issuer'],
      validFrom: '2026-05-31T16:00:00Z',
      validUntil: '2027-05-31T16:00:00Z',
      cnf: { jwk: request.agentJwk },
      iat: Date.parse('2026-06-01T00:00:00Z') / 1000,
    });
    expect(auth.credentialId).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(payload['credentialSubject']).toEqual({
      licence: { id: original['id'], identifier: original['licenceIdentifier'], type: 'BusinessLicence', validUntil: original['validUntil'] },
      company: { name: '杭州云栖智算科技有限公司', creditCode },
      agent,
      matters: ['tax-filing', 'bank-account'],
    });
    expect(Object.keys(payload['credentialSubject'])).toEqual(['licence', 'company', 'agent', 'matters']);
    // Its own entry first, then the licence's revocation and suspension entries.
    expect(payload['credentialStatus'][0]).toEqual({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(auth.ownStatus.statusListIndex),
      statusListCredential: auth.ownStatus.statusListCredential,
    });
    expect(payload['credentialStatus'].slice(1)).toEqual(original['credentialStatus']);
    // Every status list it references is the issuer's own.
    for (const entry of payload['credentialStatus']) expect(entry.statusListCredential.startsWith('https://elicence.test/status/dev-city/')).toBe(true);
    const list = (await (await t.call('GET', `/v1/licences/${licence.id}/agent-authorisations`)).json()) as { items: Authorisation[] };
    expect(list.items.map((a) => a.id)).toEqual([auth.id]);
  });

  it('"all" matters, default start now, a licence without expiry (licence.validUntil omitted)', async () => {
    const licence = await issueLicence(t, { validUntil: null });
    const auth = await authorised(licence.id, await body({ matters: 'all' }));
    const payload = payloadOf(auth.credential);
    expect(payload['validFrom']).toBe('2026-06-01T00:00:00Z');
    expect(payload['credentialSubject']['matters']).toBe('all');
    expect(Object.keys(payload['credentialSubject']['licence'])).toEqual(['id', 'identifier', 'type']);
  });

  it('refuses a period beyond the licence or longer than a year with 400 naming the field, and stores nothing', async () => {
    const licence = await issueLicence(t, { validFrom: '2026-05-01', validUntil: '2026-12-31' });
    await expectError(await authorise(licence.id, await body({ validUntil: '2027-01-01' })), 400, 'ERR_VALIDITY_WINDOW', 'validUntil');
    const long = await issueLicence(t, { validFrom: '2026-05-01', validUntil: '2031-04-30' });
    // One calendar year is the most: 2026-06-01 00:00 CST + 1 year = 2027-06-01 00:00 CST (validUntil 2027-05-31 as a last day).
    await expectError(await authorise(long.id, await body({ validUntil: '2027-06-01' })), 400, 'ERR_VALIDITY_WINDOW', 'validUntil');
    await expectError(await authorise(long.id, await body({ validFrom: '2026-04-30' })), 400, 'ERR_VALIDITY_WINDOW', 'validFrom');
    await expectError(await authorise(long.id, await body({ validFrom: '2027-01-01', validUntil: '2026-12-31' })), 400, 'ERR_VALIDITY_WINDOW', 'validUntil');
    await expectError(await authorise(long.id, await body({ validFrom: '2026-02-30' })), 400, 'ERR_INVALID_DATE', 'validFrom');
    expect(count()).toBe(0);
  });

  it('refuses a bad agent, mask, matters or key with 400 naming the field', async () => {
    const licence = await issueLicence(t);
    const { privateJwk } = await deviceKey();
    await expectError(await authorise(licence.id, await body({ agent: { name: '李明', idNumberMasked: '330106199001011234' } })), 400, 'ERR_VALIDATION', 'agent.idNumberMasked');
    await expectError(await authorise(licence.id, await body({ agent: { name: '', idNumberMasked: '3301**********1234' } })), 400, 'ERR_VALIDATION', 'agent.name');
    await expectError(await authorise(licence.id, await body({ matters: ['has space'] })), 400, 'ERR_VALIDATION', 'matters[0]');
    await expectError(await authorise(licence.id, await body({ matters: [] })), 400, 'ERR_VALIDATION', 'matters');
    await expectError(await authorise(licence.id, await body({ matters: ['a', 'a'] })), 400, 'ERR_VALIDATION', 'matters[1]');
    await expectError(await authorise(licence.id, await body({ agentJwk: privateJwk })), 400, 'ERR_DEVICE_KEY', 'agentJwk');
    await expectError(await authorise(licence.id, await body({ agentJwk: { kty: 'EC', crv: 'P-384', x: 'a', y: 'b' } })), 400, 'ERR_DEVICE_KEY', 'agentJwk');
    await expectError(await authorise(licence.id, { ...(await body()), extra: 1 }), 400, 'ERR_UNKNOWN_FIELD', 'extra');
    expect(count()).toBe(0);
  });

  it('only on a current licence: suspended, revoked or expired is 409 ERR_LICENCE_NOT_CURRENT', async () => {
    const suspended = await issueLicence(t);
    expect((await t.call('POST', `/v1/licences/${suspended.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    await expectError(await authorise(suspended.id, await body()), 409, 'ERR_LICENCE_NOT_CURRENT');
    const revoked = await issueLicence(t);
    expect((await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    await expectError(await authorise(revoked.id, await body()), 409, 'ERR_LICENCE_NOT_CURRENT');
    const expiring = await issueLicence(t, { validUntil: '2026-06-30' });
    t.clock.set('2026-07-02T00:00:00Z');
    await expectError(await authorise(expiring.id, await body({ validFrom: undefined, validUntil: '2026-07-10' })), 409, 'ERR_LICENCE_NOT_CURRENT');
    expect(count()).toBe(0);
  });
});

describe('a licence from before licence identifiers', () => {
  it('gets no authorisation (409 ERR_LICENCE_WITHOUT_IDENTIFIER): verifiers need the identifier to see whose licence it is; amending assigns one', async () => {
    const licence = await issueLicence(t);
    t.store.sqlite.prepare('UPDATE licences SET licence_identifier = NULL WHERE id = ?').run(licence.id);
    await expectError(await authorise(licence.id, await body()), 409, 'ERR_LICENCE_WITHOUT_IDENTIFIER', 'id');
    expect(count()).toBe(0);
  });
});

describe('ending an authorisation', () => {
  it('revoking it sets its own bit (published list); the licence bits stay clear', async () => {
    const licence = await issueLicence(t);
    const auth = await authorised(licence.id, await body());
    const [own, licenceRevocation, licenceSuspension] = payloadOf(auth.credential)['credentialStatus'];
    expect(await isRevoked(t, own)).toBe(false);
    const res = await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations/${auth.id}/revoke`, { body: { note: '代办人离职' } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'revoked', statusReason: 'other' });
    expect(await isRevoked(t, own)).toBe(true);
    expect(await isRevoked(t, licenceRevocation)).toBe(false);
    expect(await isRevoked(t, licenceSuspension)).toBe(false);
    await expectError(await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations/${auth.id}/revoke`), 409, 'ERR_ILLEGAL_TRANSITION');
    // Another licence's authorisation id under this licence: 404.
    const other = await issueLicence(t);
    await expectError(await t.call('POST', `/v1/licences/${other.id}/agent-authorisations/${auth.id}/revoke`), 404, 'ERR_NOT_FOUND', 'authId');
  });

  it('revoking the licence needs no change: the authorisation carries the licence entry, whose bit is now set; the list says it ended with the licence', async () => {
    const licence = await issueLicence(t);
    const auth = await authorised(licence.id, await body());
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    const [own, licenceRevocation] = payloadOf(auth.credential)['credentialStatus'];
    expect(await isRevoked(t, licenceRevocation)).toBe(true);
    expect(await isRevoked(t, own)).toBe(false);
    const list = (await (await t.call('GET', `/v1/licences/${licence.id}/agent-authorisations`)).json()) as { items: Authorisation[] };
    expect(list.items[0]).toMatchObject({ credential: auth.credential, status: 'revoked', statusReason: 'licence-revoked' });
  });
});

describe('amending the licence', () => {
  it('re-issues each active authorisation for the new licence and revokes the old one (own bit, superseded)', async () => {
    const licence = await issueLicence(t, { validFrom: '2026-05-01', validUntil: '2031-04-30' });
    const auth = await authorised(licence.id, await body());
    const revokedBefore = await authorised(licence.id, await body({ matters: 'all' }));
    expect((await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations/${revokedBefore.id}/revoke`)).status).toBe(200);
    t.clock.set('2026-07-01T00:00:00Z');
    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { legalRepresentative: '李四' } } });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    const fresh = (await (await t.call('GET', `/v1/licences/${amended.id}/agent-authorisations`)).json()) as { items: Authorisation[] };
    expect(fresh.items).toHaveLength(1);
    const successor = fresh.items[0]!;
    expect(successor).toMatchObject({ status: 'active', supersedes: auth.id, validFrom: auth.validFrom, validUntil: auth.validUntil, matters: auth.matters });
    const payload = await verifyWithJwks(t, successor.credential);
    const newLicence = payloadOf(amended.credential);
    expect(payload['credentialSubject']['licence']).toEqual({
      id: `urn:uuid:${amended.id}`,
      identifier: newLicence['licenceIdentifier'],
      type: 'BusinessLicence',
      validUntil: newLicence['validUntil'],
    });
    expect(payload['credentialStatus'].slice(1)).toEqual(newLicence['credentialStatus']);
    expect(payload['cnf']).toEqual(payloadOf(auth.credential)['cnf']);
    expect(payload['iat']).toBe(Date.parse('2026-07-01T00:00:00Z') / 1000);
    const old = (await (await t.call('GET', `/v1/licences/${licence.id}/agent-authorisations`)).json()) as { items: Authorisation[] };
    expect(old.items.find((a) => a.id === auth.id)).toMatchObject({ status: 'revoked', statusReason: 'superseded', supersededBy: successor.id });
    expect(old.items.find((a) => a.id === revokedBefore.id)).toMatchObject({ status: 'revoked', statusReason: 'other', supersededBy: null });
    expect(await isRevoked(t, auth.ownStatus)).toBe(true);
    expect(await isRevoked(t, successor.ownStatus)).toBe(false);
  });

  it('an amendment that shortens the licence caps the re-issued authorisation at its new end', async () => {
    const licence = await issueLicence(t, { validFrom: '2026-05-01', validUntil: '2031-04-30' });
    const auth = await authorised(licence.id, await body());
    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '新地址' }, validUntil: '2026-12-31' } });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    const [successor] = ((await (await t.call('GET', `/v1/licences/${amended.id}/agent-authorisations`)).json()) as { items: Authorisation[] }).items;
    expect(successor).toMatchObject({ supersedes: auth.id, validUntil: '2026-12-31T16:00:00.000Z' });
    expect(payloadOf(successor!.credential)['validUntil']).toBe('2026-12-31T16:00:00Z');
  });
});

describe('insiders', () => {
  it("another authority's admin or issuer token cannot authorise, list or revoke on this authority's licences: 404", async () => {
    const licence = await issueLicence(t);
    const auth = await authorised(licence.id, await body());
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const admin = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo-admin', actions: [...ACTIONS] }, 'test')).token;
    const issuer = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo-issuer', actions: ['issue'] }, 'test')).token;
    for (const token of [admin, issuer]) await expectError(await authorise(licence.id, await body(), token), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/agent-authorisations`, { token: admin }), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations/${auth.id}/revoke`, { token: admin }), 404, 'ERR_NOT_FOUND');
    expect(count()).toBe(1);
    expect(await isRevoked(t, auth.ownStatus)).toBe(false);
  });

  it("a holder session cannot authorise agents on another company's licence: 404", async () => {
    const theirs = await issueLicence(t);
    const ours = freshCreditCode();
    const scope = { authorityId: 'dev-city', actor: 'holder-session', holderCreditCode: ours };
    await expect(issueAgentAuthorisation(t.deps, scope, theirs.id, await body())).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const mine = await issueLicence(t, { subject: businessSubject({ creditCode: ours }) });
    await expect(issueAgentAuthorisation(t.deps, scope, mine.id, await body())).resolves.toMatchObject({ licenceId: mine.id, status: 'active' });
  });

  it('a token limited to other licence types is refused (403); scope issue is needed to authorise', async () => {
    const licence = await issueLicence(t);
    const foodOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: [...ACTIONS], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;
    await expectError(await authorise(licence.id, await body(), foodOnly), 403, 'ERR_FORBIDDEN');
    const readOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'read', actions: ['read'] }, 'test')).token;
    await expectError(await authorise(licence.id, await body(), readOnly), 403, 'ERR_FORBIDDEN');
    expect(count()).toBe(0);
  });
});

describe('invitations: the agent accepts on their own phone with a key made there', () => {
  const admin = (creditCode: string) => ({ authorityId: 'dev-city', actor: 'holder-session', holderCreditCode: creditCode });

  it('checks everything but the key first; the code once accepted signs an authorisation bound to the agent key, and is used up', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    await expect(inviteAgent(t.deps, admin(creditCode), licence.id, { agent, matters: 'all', validUntil: '2099-01-01' })).rejects.toMatchObject({
      code: 'ERR_VALIDITY_WINDOW',
      field: 'validUntil',
    });
    await expect(inviteAgent(t.deps, admin(freshCreditCode()), licence.id, { agent, matters: 'all', validUntil: '2027-05-31' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const invitation = await inviteAgent(t.deps, admin(creditCode), licence.id, { agent, matters: ['tax-filing'], validUntil: '2027-05-31' });
    expect(invitation.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the hash is stored.
    expect(JSON.stringify(t.store.sqlite.prepare('SELECT * FROM agent_invitations').all())).not.toContain(invitation.code);
    expect(count()).toBe(0);
    const { publicJwk, privateJwk } = await deviceKey();
    await expect(acceptAgentInvitation(t.deps, 'dev-city', invitation.code, privateJwk)).rejects.toMatchObject({ code: 'ERR_DEVICE_KEY' });
    await expect(acceptAgentInvitation(t.deps, 'dev-city', `${invitation.code.slice(0, -1)}${invitation.code.endsWith('A') ? 'B' : 'A'}`, publicJwk)).rejects.toMatchObject({
      code: 'ERR_NOT_FOUND',
    });
    await expect(acceptAgentInvitation(t.deps, 'other-city', invitation.code, publicJwk)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    t.clock.set('2026-06-02T00:00:00Z');
    const [first, second] = await Promise.allSettled([
      acceptAgentInvitation(t.deps, 'dev-city', invitation.code, publicJwk),
      acceptAgentInvitation(t.deps, 'dev-city', invitation.code, (await deviceKey()).publicJwk),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'ERR_NOT_FOUND' } });
    const auth = (first as PromiseFulfilledResult<Awaited<ReturnType<typeof acceptAgentInvitation>>>).value;
    const payload = await verifyWithJwks(t, auth.credential);
    expect(payload['cnf']).toEqual({ jwk: publicJwk });
    expect(payload['validFrom']).toBe('2026-06-02T00:00:00Z');
    expect(payload['credentialSubject']['matters']).toEqual(['tax-filing']);
    expect(count()).toBe(1);
    expect(t.store.sqlite.prepare('SELECT status, authorisation_id AS a FROM agent_invitations').get()).toEqual({ status: 'accepted', a: auth.id });
  });

  it('an expired invitation, or one whose licence was revoked meanwhile, signs nothing', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const late = await inviteAgent(t.deps, admin(creditCode), licence.id, { agent, matters: 'all', validUntil: '2027-05-31' });
    const revoked = await inviteAgent(t.deps, admin(creditCode), licence.id, { agent, matters: 'all', validUntil: '2027-05-31' });
    const key = (await deviceKey()).publicJwk;
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    await expect(acceptAgentInvitation(t.deps, 'dev-city', revoked.code, key)).rejects.toMatchObject({ code: 'ERR_LICENCE_NOT_CURRENT' });
    t.clock.set('2026-06-04T00:00:01Z');
    await expect(acceptAgentInvitation(t.deps, 'dev-city', late.code, key)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(count()).toBe(0);
  });
});
