/**
 * Holder devices and bound copies over the agency API: registering a device issues a bound copy of each
 * current licence (checked against the contract and verified with jose against the JWKS), a sixth active
 * device is refused, removing a device sets its copies' own bits while the licence stays valid,
 * renewals re-sign near the end and stop after removal, an amendment re-issues the copies, and
 * another authority's tokens see none of it (404).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ElicenceError } from '../src/core/errors.js';
import { createAuthority } from '../src/services/authorities.js';
import { agencyScope } from '../src/services/derived-credentials.js';
import { renewBoundCopies } from '../src/services/devices.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext } from './helpers/app.js';
import { deviceKey, expectError, isRevoked, issueLicence, type Licence, payloadOf, setBitsOf, verifyWithJwks } from './helpers/derived.js';
import { freshCreditCode } from './shared/subjects.js';

interface BoundCopy {
  id: string;
  licenceId: string;
  deviceId: string;
  status: string;
  statusReason: string | null;
  validUntil: string;
  ownStatus: { statusListCredential: string; statusListIndex: number };
  credential: string;
}
interface Device {
  id: string;
  status: string;
  holderCreditCode: string;
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const register = (creditCode: string, jwk: unknown, token?: string) => t.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk }, ...(token ? { token } : {}) });

async function registered(creditCode: string, jwk: unknown): Promise<{ device: Device; boundCopies: BoundCopy[] }> {
  const res = await register(creditCode, jwk);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { device: Device; boundCopies: BoundCopy[] };
}

const auditActions = () => (t.store.sqlite.prepare('SELECT action FROM audit_log ORDER BY seq').all() as { action: string }[]).map((r) => r.action);

describe('registering a device', () => {
  it('issues a bound copy of every current licence, as the contract says, signed by the authority', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }), validUntil: '2031-05-31' });
    const { publicJwk } = await deviceKey();
    const { device, boundCopies } = await registered(creditCode, { ...publicJwk, kid: 'ignored', alg: 'ES256' });
    expect(device).toMatchObject({ holderCreditCode: creditCode, status: 'active' });
    expect(boundCopies).toHaveLength(1);
    const copy = boundCopies[0]!;
    expect(copy).toMatchObject({ licenceId: licence.id, deviceId: device.id, status: 'active' });
    const payload = await verifyWithJwks(t, copy.credential);
    const original = payloadOf(licence.credential);
    // Member order: the licence's, validUntil after validFrom, cnf right before iat.
    expect(Object.keys(payload)).toEqual([...Object.keys(original).filter((k) => k !== 'iat'), 'cnf', 'iat']);
    for (const key of ['@context', 'id', 'licenceIdentifier', 'type', 'issuer', 'validFrom', 'credentialSubject']) expect(payload[key]).toEqual(original[key]);
    expect(payload['cnf']).toEqual({ jwk: publicJwk });
    expect(payload['iat']).toBe(Date.parse('2026-06-01T00:00:00Z') / 1000);
    expect(payload['validUntil']).toBe('2026-07-01T00:00:00Z');
    expect(payload['credentialStatus'].slice(0, 2)).toEqual(original['credentialStatus']);
    const own = payload['credentialStatus'][2];
    expect(own).toEqual({
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(copy.ownStatus.statusListIndex),
      statusListCredential: copy.ownStatus.statusListCredential,
    });
    // Its own slot, in the authority's revocation list, not the licence's index.
    expect(own.statusListCredential).toBe(original['credentialStatus'][0].statusListCredential);
    expect(own.statusListIndex).not.toBe(original['credentialStatus'][0].statusListIndex);
    // The same key again: the device as it is, nothing new.
    const again = await register(creditCode, publicJwk);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { boundCopies: BoundCopy[] }).boundCopies.map((c) => c.id)).toEqual([copy.id]);
    expect(auditActions().filter((a) => a === 'device.registered')).toHaveLength(1);
    // Listed.
    const list = (await (await t.call('GET', `/v1/holders/${creditCode}/devices`)).json()) as { items: Device[] };
    expect(list.items.map((d) => d.id)).toEqual([device.id]);
    const copies = (await (await t.call('GET', `/v1/licences/${licence.id}/bound-copies?device=${device.id}`)).json()) as { items: BoundCopy[] };
    expect(copies.items.map((c) => c.id)).toEqual([copy.id]);
  });

  it('a licence ending sooner than 30 days caps the copy; a licence without expiry gets iat + 30 days', async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }), validUntil: '2026-06-10' });
    const { boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    expect(payloadOf(boundCopies[0]!.credential)['validUntil']).toBe('2026-06-10T16:00:00Z');
    const other = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode: other }), validUntil: null });
    const second = await registered(other, (await deviceKey()).publicJwk);
    expect(payloadOf(second.boundCopies[0]!.credential)['validUntil']).toBe('2026-07-01T00:00:00Z');
  });

  it('refuses private keys, other curves, a bad credit code, and a holder without a current licence', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { publicJwk, privateJwk } = await deviceKey();
    await expectError(await register(creditCode, privateJwk), 400, 'ERR_DEVICE_KEY', 'jwk');
    await expectError(await register(creditCode, { ...publicJwk, crv: 'P-384' }), 400, 'ERR_DEVICE_KEY', 'jwk');
    await expectError(await register(creditCode, { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }), 400, 'ERR_DEVICE_KEY', 'jwk');
    await expectError(await register(creditCode, { ...publicJwk, y: publicJwk.x }), 400, 'ERR_DEVICE_KEY', 'jwk');
    await expectError(await register('91330106MA2CFX7K5Z', publicJwk), 400, 'ERR_CREDIT_CODE', 'creditCode');
    await expectError(await register(freshCreditCode(), publicJwk), 404, 'ERR_NOT_FOUND', 'creditCode');
    // A revoked licence is not current.
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'other' } })).status).toBe(200);
    await expectError(await register(creditCode, publicJwk), 404, 'ERR_NOT_FOUND', 'creditCode');
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM holder_devices').get()).toEqual({ n: 0 });
  });

  it('at most 5 active devices: the sixth is 409 ERR_DEVICE_LIMIT and stores nothing; removing one frees a place', async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const devices: Device[] = [];
    for (let i = 0; i < 5; i++) devices.push((await registered(creditCode, (await deviceKey()).publicJwk)).device);
    const sixth = (await deviceKey()).publicJwk;
    const copiesBefore = t.store.sqlite.prepare('SELECT count(*) AS n FROM bound_copies').get();
    await expectError(await register(creditCode, sixth), 409, 'ERR_DEVICE_LIMIT', 'jwk');
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM bound_copies').get()).toEqual(copiesBefore);
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM holder_devices').get()).toEqual({ n: 5 });
    expect((await t.call('DELETE', `/v1/holders/${creditCode}/devices/${devices[2]!.id}`)).status).toBe(200);
    expect((await register(creditCode, sixth)).status).toBe(201);
    await expectError(await register(creditCode, (await deviceKey()).publicJwk), 409, 'ERR_DEVICE_LIMIT', 'jwk');
  });

  it('seven registrations at once: exactly five succeed, two are ERR_DEVICE_LIMIT', async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const keys = await Promise.all(Array.from({ length: 7 }, () => deviceKey()));
    const results = await Promise.all(keys.map((k) => register(creditCode, k.publicJwk)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 409, 409]);
    expect(t.store.sqlite.prepare("SELECT count(*) AS n FROM holder_devices WHERE status = 'active'").get()).toEqual({ n: 5 });
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM bound_copies').get()).toEqual({ n: 5 });
  });

  it('the database refuses a sixth active device even past the service check (partial unique index on the device number)', async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    for (let i = 0; i < 5; i++) await registered(creditCode, (await deviceKey()).publicJwk);
    const insert = t.store.sqlite.prepare(
      "INSERT INTO holder_devices (authority_id, holder_credit_code, id, public_jwk, status, slot, created_at) VALUES ('dev-city', ?, ?, '{}', 'active', ?, 0)",
    );
    expect(() => insert.run(creditCode, 'extra', 3)).toThrow(/UNIQUE/);
    expect(() => insert.run(creditCode, 'extra', 6)).toThrow(/CHECK/);
  });
});

describe('removing a device', () => {
  it("sets the bits of its bound copies' own slots (published list) while the licence stays valid", async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { device, boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    const kept = await registered(creditCode, (await deviceKey()).publicJwk);
    const copy = boundCopies[0]!;
    const [licenceRevocation, licenceSuspension] = payloadOf(copy.credential)['credentialStatus'];
    expect(await isRevoked(t, copy.ownStatus)).toBe(false);
    const res = await t.call('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`, { body: { note: '手机遗失' } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Device).status).toBe('removed');
    // The copy's own bit is set; the licence's revocation and suspension bits are not.
    expect(await isRevoked(t, copy.ownStatus)).toBe(true);
    expect(await isRevoked(t, licenceRevocation)).toBe(false);
    expect(await isRevoked(t, licenceSuspension)).toBe(false);
    expect(await isRevoked(t, kept.boundCopies[0]!.ownStatus)).toBe(false);
    expect((await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as Licence).toMatchObject({ status: 'active' });
    const copies = (await (await t.call('GET', `/v1/licences/${licence.id}/bound-copies?device=${device.id}`)).json()) as { items: BoundCopy[] };
    expect(copies.items[0]).toMatchObject({ status: 'revoked', statusReason: 'other' });
    expect(auditActions()).toContain('device.removed');
    // The VC API's online check reads the same slot: the removed device's copy is revoked, the other device's is not.
    const verify = async (jws: string) =>
      (await (
        await t.call('POST', '/credentials/verify', {
          token: null,
          body: { verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` } },
        })
      ).json()) as { verified: boolean; errors: { code: string }[] };
    expect((await verify(copy.credential)).errors.map((e) => e.code)).toContain('ERR_REVOKED');
    expect(await verify(kept.boundCopies[0]!.credential)).toMatchObject({ verified: true });
    // Removed once: again is 409; renewals stop.
    await expectError(await t.call('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`), 409, 'ERR_ILLEGAL_TRANSITION', 'deviceId');
    await expect(renewBoundCopies(t.deps, { authorityId: 'dev-city', actor: 'test' }, creditCode, device.id)).rejects.toMatchObject({ code: 'ERR_ILLEGAL_TRANSITION' });
    await expectError(await t.call('DELETE', `/v1/holders/${creditCode}/devices/unknown-device`), 404, 'ERR_NOT_FOUND', 'deviceId');
  });
});

describe('revoking the licence', () => {
  it("leaves the copy's own bit clear (the licence's entry decides) and lists the copy as ended with the licence", async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    const [licenceRevocation] = payloadOf(boundCopies[0]!.credential)['credentialStatus'];
    expect(await isRevoked(t, licenceRevocation)).toBe(true);
    expect(await isRevoked(t, boundCopies[0]!.ownStatus)).toBe(false);
    const listed = (await (await t.call('GET', `/v1/licences/${licence.id}/bound-copies`)).json()) as { items: BoundCopy[] };
    expect(listed.items[0]).toMatchObject({ id: boundCopies[0]!.id, status: 'revoked', statusReason: 'licence-revoked' });
  });
});

describe('renewing bound copies (what the holder app calls while online)', () => {
  it('re-signs a copy near its end in the same slot, binds licences issued since, and leaves fresh ones alone', async () => {
    const creditCode = freshCreditCode();
    const first = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { device, boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    const scope = { authorityId: 'dev-city', actor: 'holder-session' };
    // Fresh: nothing to do.
    const unchanged = await renewBoundCopies(t.deps, scope, creditCode, device.id);
    expect(unchanged.map((c) => c.credential)).toEqual([boundCopies[0]!.credential]);
    // A food licence for the same holder issued since: bound on the next renewal.
    const food = await issueLicence(t, {
      type: 'FoodBusinessLicence',
      subject: foodSubject({ creditCode }),
    });
    t.clock.set('2026-06-25T00:00:00Z');
    const renewed = await renewBoundCopies(t.deps, scope, creditCode, device.id);
    expect(renewed.map((c) => c.licenceId).sort()).toEqual([first.id, food.id].sort());
    const again = renewed.find((c) => c.licenceId === first.id)!;
    expect(again.id).toBe(boundCopies[0]!.id);
    expect(again.ownStatus).toEqual(boundCopies[0]!.ownStatus);
    const payload = await verifyWithJwks(t, again.credential);
    expect(payload['iat']).toBe(Date.parse('2026-06-25T00:00:00Z') / 1000);
    expect(payload['validUntil']).toBe('2026-07-25T00:00:00Z');
    expect((await verifyWithJwks(t, renewed.find((c) => c.licenceId === food.id)!.credential))['cnf']).toEqual(payloadOf(again.credential)['cnf']);
  });
});

describe('amending the licence', () => {
  it('re-issues the bound copies for the new licence; the old ones are revoked (own bit, superseded)', async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { device, boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    t.clock.set('2026-06-05T00:00:00Z');
    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' } } });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence;
    const fresh = (await (await t.call('GET', `/v1/licences/${amended.id}/bound-copies`)).json()) as { items: BoundCopy[] };
    expect(fresh.items).toHaveLength(1);
    expect(fresh.items[0]).toMatchObject({ deviceId: device.id, status: 'active' });
    const payload = await verifyWithJwks(t, fresh.items[0]!.credential);
    expect(payload['id']).toBe(`urn:uuid:${amended.id}`);
    expect(payload['supersedes']).toBe(`urn:uuid:${licence.id}`);
    expect(payload['credentialSubject']['address']).toBe('浙江省杭州市西湖区文三路200号');
    expect(Object.keys(payload).slice(-3)).toEqual(['supersedes', 'cnf', 'iat']);
    const old = (await (await t.call('GET', `/v1/licences/${licence.id}/bound-copies`)).json()) as { items: BoundCopy[] };
    expect(old.items[0]).toMatchObject({ id: boundCopies[0]!.id, status: 'revoked', statusReason: 'superseded' });
    expect(await isRevoked(t, boundCopies[0]!.ownStatus)).toBe(true);
    expect(await isRevoked(t, fresh.items[0]!.ownStatus)).toBe(false);
  });
});

describe('own slots never collide with licence slots', () => {
  it("every revocation index is held once across licences, bound copies and authorisations; the database refuses a licence on a copy's slot", async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    const copy = boundCopies[0]!;
    const listId = new URL(copy.ownStatus.statusListCredential).pathname.replace('/status/', '');
    // A licence row on the copy's slot is refused like a duplicate slot (the issuer then draws again).
    const row = t.store.sqlite.prepare('SELECT * FROM licences LIMIT 1').get() as Record<string, unknown>;
    const columns = Object.keys(row);
    const clash = { ...row, id: 'clash', licence_identifier: null, revocation_list_id: listId, revocation_index: copy.ownStatus.statusListIndex, suspension_index: 1 };
    expect(() =>
      t.store.sqlite
        .prepare(`INSERT INTO licences (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`)
        .run(...columns.map((c) => clash[c as keyof typeof clash] as never)),
    ).toThrow(/UNIQUE constraint failed: revocation slot held by a bound copy/);
    const indices = t.store.sqlite
      .prepare('SELECT revocation_index AS i FROM licences UNION ALL SELECT revocation_index FROM bound_copies UNION ALL SELECT revocation_index FROM agent_authorisations')
      .all() as { i: number }[];
    expect(new Set(indices.map((r) => r.i)).size).toBe(indices.length);
    expect(await setBitsOf(t, copy.ownStatus.statusListCredential)).toEqual([]);
  });
});

describe('insiders of another authority', () => {
  it("cannot register, list, remove or read this authority's devices and bound copies: 404", async () => {
    const creditCode = freshCreditCode();
    const licence = await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { device } = await registered(creditCode, (await deviceKey()).publicJwk);
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const other = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo-admin', actions: [...ACTIONS] }, 'test')).token;
    await expectError(await register(creditCode, (await deviceKey()).publicJwk, other), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('GET', `/v1/holders/${creditCode}/devices`, { token: other }), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`, { token: other }), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/bound-copies`, { token: other }), 404, 'ERR_NOT_FOUND');
    expect(t.store.sqlite.prepare('SELECT status FROM holder_devices WHERE id = ?').get(device.id)).toEqual({ status: 'active' });
    // A holder session sees only its own holder.
    await expect(renewBoundCopies(t.deps, { authorityId: 'dev-city', actor: 's', holderCreditCode: freshCreditCode() }, creditCode, device.id)).rejects.toBeInstanceOf(
      ElicenceError,
    );
  });

  it('scopes: reading needs read, registering issue, removing status', async () => {
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const readOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'read', actions: ['read'] }, 'test')).token;
    await expectError(await register(creditCode, (await deviceKey()).publicJwk, readOnly), 403, 'ERR_FORBIDDEN');
    const { device } = await registered(creditCode, (await deviceKey()).publicJwk);
    await expectError(await t.call('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`, { token: readOnly }), 403, 'ERR_FORBIDDEN');
    expect((await t.call('GET', `/v1/holders/${creditCode}/devices`, { token: readOnly })).status).toBe(200);
    expect(agencyScope({ tokenId: 'x', authorityId: 'a', actions: new Set(), licenceTypes: undefined })).toMatchObject({ authorityId: 'a', actor: 'x' });
  });
});

describe('insiders holding a narrower token of this authority', () => {
  it("a token limited to food licences cannot remove a device that carries a business licence's copy (403, nothing revoked), nor add one for it", async () => {
    const foodOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: [...ACTIONS], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;
    const creditCode = freshCreditCode();
    await issueLicence(t, { subject: businessSubject({ creditCode }) });
    const { device, boundCopies } = await registered(creditCode, (await deviceKey()).publicJwk);
    await expectError(await t.call('DELETE', `/v1/holders/${creditCode}/devices/${device.id}`, { token: foodOnly }), 403, 'ERR_FORBIDDEN', 'type');
    expect(t.store.sqlite.prepare('SELECT status FROM holder_devices WHERE id = ?').get(device.id)).toEqual({ status: 'active' });
    expect(await isRevoked(t, boundCopies[0]!.ownStatus)).toBe(false);
    expect(auditActions()).not.toContain('device.removed');
    // It sees no current licence of its types for this holder: nothing to bind a device to.
    await expectError(await register(creditCode, (await deviceKey()).publicJwk, foodOnly), 404, 'ERR_NOT_FOUND');
    // A holder whose device carries only food copies: the food token may remove it.
    const foodHolder = freshCreditCode();
    await issueLicence(t, { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: foodHolder }) });
    const food = await registered(foodHolder, (await deviceKey()).publicJwk);
    expect((await t.call('DELETE', `/v1/holders/${foodHolder}/devices/${food.device.id}`, { token: foodOnly })).status).toBe(200);
    expect(await isRevoked(t, food.boundCopies[0]!.ownStatus)).toBe(true);
  });
});

describe('small lists filling up', () => {
  it('licences, bound copies and authorisations drawn from the same lists never share a slot, and the lists open in turn', async () => {
    const small = await createTestContext({ config: { statusListSize: 64 } });
    try {
      const creditCode = freshCreditCode();
      const res = await small.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode }) } });
      const licence = (await res.json()) as Licence;
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 4; i++) {
          expect((await small.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })).status).toBe(201);
        }
        if (round < 5) expect((await small.call('POST', `/v1/holders/${creditCode}/devices`, { body: { jwk: (await deviceKey()).publicJwk } })).status).toBe(201);
        const auth = await small.call('POST', `/v1/licences/${licence.id}/agent-authorisations`, {
          body: { agent: { name: '李明', idNumberMasked: '3301**********1234' }, matters: 'all', validUntil: '2027-05-31', agentJwk: (await deviceKey()).publicJwk },
        });
        expect(auth.status, await auth.clone().text()).toBe(201);
      }
      const slots = small.store.sqlite
        .prepare(
          'SELECT revocation_list_id AS l, revocation_index AS i FROM licences UNION ALL SELECT revocation_list_id, revocation_index FROM bound_copies UNION ALL SELECT revocation_list_id, revocation_index FROM agent_authorisations',
        )
        .all() as { l: string; i: number }[];
      expect(slots).toHaveLength(49 + 5 + 12);
      expect(new Set(slots.map((s) => `${s.l}#${s.i}`)).size).toBe(slots.length);
      const lists = small.store.sqlite.prepare("SELECT id, size, allocated FROM status_lists WHERE purpose = 'revocation' ORDER BY seq").all() as {
        id: string;
        size: number;
        allocated: number;
      }[];
      expect(lists.map((l) => l.size)).toEqual([64, 64]);
      for (const list of lists) expect(list.allocated).toBe(slots.filter((s) => s.l === list.id).length);
    } finally {
      small.close();
    }
  });
});
