/**
 * Insider attacks on the agency API's issuing and reading surface and on the W3C VC API: a token of one
 * authority (or limited to some licence types, or without the issue scope) naming another authority's
 * DID, licence ids or idempotency keys; a holder session used on /v1 and the VC API; a verifier client
 * sending /credentials/verify credentials whose content was changed. Each test asserts the safe
 * behaviour; a failing test is a finding.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { base64url } from '../../src/core/encoding.js';
import { generateSigningJwk, signCompact, signerFromPrivateJwk } from '../../src/core/jws-sign.js';
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

const DEV_DID = 'did:web:elicence.test:authorities:dev-city';
const V2 = 'https://www.w3.org/ns/credentials/v2';
const count = (table: string) => (t.store.sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const enveloped = (jws: string) => ({ '@context': [V2], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` });

async function otherCityToken(): Promise<string> {
  await createAuthority(t.deps, { id: 'other-city', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
  return (await createToken(t.deps, { authorityId: 'other-city', name: 'other', actions: [...ACTIONS] }, 'test')).token;
}
const foodOnlyToken = async () =>
  (await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: [...ACTIONS], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;

/** An unsecured VC 2.0 business licence for POST /credentials/issue. */
function vcBusinessLicence(issuer?: unknown): Record<string, unknown> {
  const { creditCode, ...fields } = businessSubject();
  return {
    '@context': [V2],
    type: ['VerifiableCredential', 'BusinessLicence'],
    ...(issuer === undefined ? {} : { issuer }),
    validUntil: '2031-05-31T16:00:00Z',
    credentialSubject: { id: `urn:uscc:${creditCode}`, ...fields },
  };
}

async function holderSession(licenceId: string): Promise<string> {
  const access = await t.call('POST', `/v1/licences/${licenceId}/holder-access`);
  expect(access.status).toBe(201);
  const res = await t.call('POST', '/holder/v1/session', { token: null, body: { code: ((await access.json()) as { code: string }).code } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('POST /credentials/issue as an insider', () => {
  it("refuses another authority's token naming dev-city's DID as issuer (as a string or an object): 403, nothing issued", async () => {
    const other = await otherCityToken();
    const before = count('licences');
    for (const issuer of [DEV_DID, { id: DEV_DID, name: '开发市市场监督管理局' }]) {
      await expectError(await t.call('POST', '/credentials/issue', { token: other, body: { credential: vcBusinessLicence(issuer) } }), 403, 'ERR_FORBIDDEN', 'credential.issuer');
    }
    expect(count('licences')).toBe(before);
    // Without an issuer it issues as its own authority, never as dev-city.
    const own = await t.call('POST', '/credentials/issue', { token: other, body: { credential: vcBusinessLicence() } });
    expect(own.status).toBe(201);
    const jws = ((await own.json()) as { verifiableCredential: { id: string } }).verifiableCredential.id.split(',')[1]!;
    expect(payloadOf(jws)['issuer'].id).toBe('did:web:elicence.test:authorities:other-city');
  });

  it('refuses a token limited to food licences, a token without the issue scope and a holder session (nothing issued)', async () => {
    const foodOnly = await foodOnlyToken();
    const readOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'reader', actions: ['read'] }, 'test')).token;
    const session = await holderSession((await issueLicence(t)).id);
    const before = count('licences');
    const body = { credential: vcBusinessLicence(DEV_DID) };
    await expectError(await t.call('POST', '/credentials/issue', { token: foodOnly, body }), 403, 'ERR_FORBIDDEN');
    await expectError(await t.call('POST', '/credentials/issue', { token: readOnly, body }), 403, 'ERR_FORBIDDEN');
    expect((await t.call('POST', '/credentials/issue', { token: session, body })).status).toBe(401);
    expect((await t.call('POST', '/v1/licences', { token: session, body: { type: 'BusinessLicence', subject: businessSubject() } })).status).toBe(401);
    expect((await t.call('GET', '/v1/licences', { token: session })).status).toBe(401);
    expect(count('licences')).toBe(before);
  });

  it('refuses a creditCode member smuggled beside credentialSubject.id (it would issue for another holder than the id names): 400, nothing issued', async () => {
    const named = freshCreditCode();
    const smuggled = freshCreditCode();
    const credential = vcBusinessLicence();
    credential['credentialSubject'] = { ...(credential['credentialSubject'] as object), id: `urn:uscc:${named}`, creditCode: smuggled };
    const before = count('licences');
    await expectError(await t.call('POST', '/credentials/issue', { body: { credential } }), 400, 'ERR_INVALID_CREDENTIAL', 'credential.credentialSubject.creditCode');
    expect(count('licences')).toBe(before);
  });
});

describe('Idempotency-Key across tokens and bodies', () => {
  const issueWithKey = (key: string, body: unknown, token?: string) => t.call('POST', '/v1/licences', { body, headers: { 'Idempotency-Key': key }, ...(token ? { token } : {}) });

  it("another authority reusing dev-city's key with the same body gets a licence of its own, never dev-city's", async () => {
    const body = { type: 'BusinessLicence', subject: businessSubject() };
    const first = await issueWithKey('import-row-1', body);
    expect(first.status).toBe(201);
    const mine = (await first.json()) as { id: string };
    const other = await otherCityToken();
    const res = await issueWithKey('import-row-1', body, other);
    expect(res.status).toBe(201);
    expect(res.headers.get('Idempotency-Replayed')).toBeNull();
    const theirs = (await res.json()) as { id: string; credential: string };
    expect(theirs.id).not.toBe(mine.id);
    expect(payloadOf(theirs.credential)['issuer'].id).toContain('other-city');
    // Nor can it read dev-city's through the batch route's per-item key.
    const item = { type: 'BusinessLicence', subject: businessSubject(), idempotencyKey: 'import-row-2' };
    const devBatch = await t.call('POST', '/v1/licences/batch', { body: { items: [item] } });
    const devId = ((await devBatch.json()) as { items: { id: string }[] }).items[0]!.id;
    const batch = await t.call('POST', '/v1/licences/batch', { token: other, body: { items: [item] } });
    expect(batch.status).toBe(201);
    const answer = (await batch.json()) as { items: { id: string }[]; alreadyIssued: number };
    expect(answer.items[0]!.id).not.toBe(devId);
    expect(answer.alreadyIssued).toBe(0);
  });

  it('a key reused with another body is 409 and issues nothing; a food-only token replaying a business request is 403', async () => {
    const body = { type: 'BusinessLicence', subject: businessSubject() };
    expect((await issueWithKey('k-1', body)).status).toBe(201);
    const before = count('licences');
    await expectError(await issueWithKey('k-1', { type: 'BusinessLicence', subject: businessSubject() }), 409, 'ERR_IDEMPOTENCY_CONFLICT');
    // The same key and body on the batch route is another request (the route is in the hash), not a replay.
    await expectError(await t.call('POST', '/v1/licences/batch', { body: { items: [body] }, headers: { 'Idempotency-Key': 'k-1' } }), 409, 'ERR_IDEMPOTENCY_CONFLICT');
    const foodOnly = await foodOnlyToken();
    await expectError(await issueWithKey('k-1', body, foodOnly), 403, 'ERR_FORBIDDEN');
    expect(count('licences')).toBe(before);
  });

  it("a batch item key already used for one holder's licence does not answer another holder's item with it", async () => {
    const item = { type: 'BusinessLicence', subject: businessSubject(), idempotencyKey: 'row-7' };
    const first = await t.call('POST', '/v1/licences/batch', { body: { items: [item] } });
    expect(first.status).toBe(201);
    const before = count('licences');
    const changed = { ...item, subject: businessSubject() };
    const res = await t.call('POST', '/v1/licences/batch', { body: { items: [changed] } });
    await expectError(res, 409, 'ERR_IDEMPOTENCY_CONFLICT');
    expect(count('licences')).toBe(before);
  });
});

describe('one batch repeating an item idempotency key', () => {
  it('is 400 naming the repeated key (was 409 "retry the request" after six sign-and-commit rounds: a retry loop for the client)', async () => {
    const before = count('licences');
    const res = await t.call('POST', '/v1/licences/batch', {
      body: {
        items: [
          { type: 'BusinessLicence', subject: businessSubject(), idempotencyKey: 'row-1' },
          { type: 'BusinessLicence', subject: businessSubject(), idempotencyKey: 'row-1' },
        ],
      },
    });
    await expectError(res, 400, 'ERR_VALIDATION', 'items[1].idempotencyKey');
    expect(count('licences')).toBe(before);
  });
});

describe('reading licences beyond the token', () => {
  it("another authority's token sees 404 for dev-city's licence on every read route, and nothing of it in lists or searches", async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode, name: '杭州隐秘科技有限公司' }) });
    const identifier = payloadOf(licence.credential)['licenceIdentifier'] as string;
    const other = await otherCityToken();
    for (const path of [
      `/v1/licences/${licence.id}`,
      `/v1/licences/${licence.id}/metadata`,
      `/v1/licences/${licence.id}/qr.svg`,
      `/v1/licences/${licence.id}/qr.png`,
      `/v1/licences/${licence.id}/card`,
    ]) {
      await expectError(await t.call('GET', path, { token: other }), 404, 'ERR_NOT_FOUND');
    }
    for (const query of [`holder=${creditCode}`, `identifier=${identifier}`, `name=${encodeURIComponent('隐秘')}`, 'type=BusinessLicence']) {
      const res = await t.call('GET', `/v1/licences?${query}`, { token: other });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items).toEqual([]);
    }
  });

  it('a food-only token learns nothing of business licences through lists, searches, counts or cursors', async () => {
    const creditCode = freshCreditCode();
    const business = await issueLicence(t, { subject: businessSubject({ creditCode, name: '杭州隐秘科技有限公司' }) });
    await issueLicence(t, { subject: businessSubject() });
    const food = await issueLicence(t, { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode, operatorName: '杭州隐秘餐饮有限公司' }) });
    const identifier = payloadOf(business.credential)['licenceIdentifier'] as string;
    const foodOnly = await foodOnlyToken();
    const ids = async (query: string) => {
      const res = await t.call('GET', `/v1/licences?${query}`, { token: foodOnly });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor?: string };
      return { ids: page.items.map((i) => i.id), nextCursor: page.nextCursor };
    };
    expect(await ids('')).toEqual({ ids: [food.id], nextCursor: undefined });
    expect(await ids('limit=1')).toEqual({ ids: [food.id], nextCursor: undefined });
    expect((await ids('type=BusinessLicence')).ids).toEqual([]);
    expect((await ids(`identifier=${identifier}`)).ids).toEqual([]);
    expect((await ids(`holder=${creditCode}`)).ids).toEqual([food.id]);
    expect((await ids(`name=${encodeURIComponent('隐秘')}`)).ids).toEqual([food.id]);
    expect((await ids('status=active')).ids).toEqual([food.id]);
    // A cursor pointing past the business licence pages food licences only.
    const cursor = Buffer.from(JSON.stringify({ before: 'ffffffff' })).toString('base64url');
    expect((await ids(`cursor=${cursor}`)).ids).toEqual([food.id]);
  });
});

describe('POST /credentials/verify for a verifier client', () => {
  it('refuses a genuine credential whose payload was changed (another holder, a later validUntil, no status) with the same signature', async () => {
    const licence = await issueLicence(t);
    const [h, , s] = licence.credential.split('.');
    const payload = payloadOf(licence.credential);
    const variants = [
      { ...payload, credentialSubject: { ...payload['credentialSubject'], id: `urn:uscc:${freshCreditCode()}` } },
      { ...payload, validUntil: '2099-01-01T00:00:00Z' },
      (({ credentialStatus: _s, ...rest }) => rest)(payload),
    ];
    for (const variant of variants) {
      const jws = `${h}.${Buffer.from(JSON.stringify(variant)).toString('base64url')}.${s}`;
      const res = await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential: enveloped(jws) } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { verified: boolean }).verified).toBe(false);
    }
  });
});

describe('POST /credentials/verify with an agent authorisation', () => {
  it("refuses a static agent authorisation (the offline verifier accepts one only live from the agent's device), also on a deployment without a trust list", async () => {
    const licence = await issueLicence(t);
    const res = await t.call('POST', `/v1/licences/${licence.id}/agent-authorisations`, {
      body: { agent: { name: '李明', idNumberMasked: '3301**********1234' }, matters: ['tax-filing'], validUntil: '2027-05-31', agentJwk: (await deviceKey()).publicJwk },
    });
    expect(res.status).toBe(201);
    const { credential } = (await res.json()) as { credential: string };
    const verify = async (jws: string) =>
      (await (await t.call('POST', '/credentials/verify', { token: null, body: { verifiableCredential: enveloped(jws) } })).json()) as {
        verified: boolean;
        errors: { code: string }[];
      };
    expect(await verify(credential)).toMatchObject({ verified: false, errors: [{ code: 'ERR_PRESENTATION_NOT_LIVE' }] });
    // Without a trust view (no anchor keys, no upstream) verification falls back to the hosted keys: still refused.
    t.store.sqlite.prepare("DELETE FROM signing_keys WHERE owner_kind = 'anchor'").run();
    expect(await verify(credential)).toMatchObject({ verified: false, errors: [{ code: 'ERR_PRESENTATION_NOT_LIVE' }] });
    expect((await verify(licence.credential)).verified).toBe(true);
  });
});

describe('POST /presentations/verify with a bound copy', () => {
  /** A vp+jwt of `credentials`, signed by the P-256 key `privateJwk` under its did:jwk. */
  async function vpJwt(privateJwk: JsonWebKey, publicJwk: JsonWebKey, credentials: string[]) {
    const { kty, crv, x, y } = publicJwk;
    const did = `did:jwk:${base64url(new TextEncoder().encode(JSON.stringify({ kty, crv, x, y })))}`;
    const signer = { ...(await signerFromPrivateJwk(privateJwk as never)), kid: `${did}#0` };
    const vp = { '@context': [V2], type: ['VerifiablePresentation'], holder: did, verifiableCredential: credentials.map(enveloped) };
    const jws = await signCompact(signer, vp, 'vp+jwt', 'vp');
    const res = await t.call('POST', '/presentations/verify', {
      token: null,
      body: { verifiablePresentation: { '@context': [V2], type: 'EnvelopedVerifiablePresentation', id: `data:application/vp+jwt,${jws}` } },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { verified: boolean; checks: string[]; credentialResults: { verified: boolean; errors: { code: string }[] }[] };
  }

  it("refuses a holder proof by another key than the device the copy is bound to (cnf): a copied JWS is not the holder's possession", async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const device = await deviceKey();
    const registered = await t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: device.publicJwk } });
    expect(registered.status).toBe(201);
    const copy = ((await registered.json()) as { boundCopies: { credential: string }[] }).boundCopies[0]!.credential;
    // Someone who obtained the copy's JWS (a screenshot of its QR, a log) signs a presentation with a key of their own.
    const thief = await generateSigningJwk('ES256');
    const stolen = await vpJwt(thief.privateJwk as JsonWebKey, thief.publicJwk as JsonWebKey, [copy]);
    expect(stolen.verified).toBe(false);
    expect(stolen.credentialResults[0]!.verified).toBe(false);
    // The device the copy is bound to presents it: verified.
    const genuine = await vpJwt(device.privateJwk as JsonWebKey, device.publicJwk as JsonWebKey, [copy]);
    expect(genuine).toMatchObject({ verified: true, checks: ['proof', 'claims', 'credentials'] });
  });
});

describe('public endpoints behind a shared cache', () => {
  it('GET /verifier-bundle, whose Content-Type follows Accept, says Vary: Accept (a cache keyed on the URL alone would serve one label to both)', async () => {
    const json = await t.call('GET', '/verifier-bundle', { token: null });
    const packed = await t.call('GET', '/verifier-bundle', { token: null, headers: { Accept: 'application/vnd.elicence.verifier-bundle+json' } });
    expect(json.headers.get('cache-control')).toContain('public');
    expect(json.headers.get('content-type')).not.toBe(packed.headers.get('content-type'));
    for (const res of [json, packed]) expect(res.headers.get('vary')?.split(/,\s*/)).toContain('Accept');
  });
});
