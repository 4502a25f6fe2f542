/**
 * Insiders of the staff console and the agency administration API: an admin or clerk limited to some
 * licence types acting on other types or on wider accounts, keys and types; a session outliving the
 * role it was opened with; another session's CSRF token; a fixed session cookie. Each test asserts
 * the safe answer and that a refused request stored nothing (rows and the audit log unchanged).
 */
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, licences, signingKeys, staffAccounts } from '../../src/db/schema.js';
import { createAccount, type Role } from '../../src/services/accounts.js';
import { createToken } from '../../src/services/tokens.js';
import { totp } from '../../src/services/totp.js';
import { freshCreditCode } from '../console/codes.js';
import { businessFields, type ConsoleWorld, consoleWorld, FIRST_PASSWORD, issueThroughConsole, OWN_PASSWORD } from '../console/harness.js';
import { businessSubject, foodSubject, typeDeclarations } from '../helpers/app.js';
import type { ConsoleClient } from '../helpers/console-client.js';

let w: ConsoleWorld;
let admin: ConsoleClient;
/** An admin of dev-city limited to FoodBusinessLicence. */
let foodAdmin: ConsoleClient;
/** A clerk and a supervisor of dev-city limited to FoodBusinessLicence. */
let foodClerk: ConsoleClient;
let foodSupervisor: ConsoleClient;
/** A BusinessLicence of dev-city (a type the food-only accounts do not hold). */
let bizId = '';
/** An API token of dev-city with every action but limited to FoodBusinessLicence. */
let foodAdminToken = '';

const db = () => w.t.store.db;
const accountRow = (login: string) => w.t.store.sqlite.prepare('SELECT * FROM staff_accounts WHERE login = ?').get(login) as Record<string, unknown>;
const auditCount = async () => (await db().select().from(auditLog)).length;
const lastTokenAudit = async () => {
  const [row] = await db().select().from(auditLog).where(eq(auditLog.action, 'token.revoked')).orderBy(desc(auditLog.seq)).limit(1);
  return { ...row!, content: JSON.parse(row!.contentJson) as Record<string, unknown> };
};
const licenceRow = async (id: string) => (await db().select().from(licences).where(eq(licences.id, id)))[0]!;

/** POST /console/import/batch as the import page's script does (JSON, the CSRF token in X-CSRF-Token). */
const postBatch = (user: ConsoleClient, body: unknown, csrf: string) =>
  w.t.app.request(`${user.origin}/console/import/batch`, {
    method: 'POST',
    headers: { cookie: user.cookieHeader(), 'content-type': 'application/json', 'X-CSRF-Token': csrf, origin: user.origin },
    body: JSON.stringify(body),
  });

/** An account limited to `types`, signed in with its own password. */
async function limited(role: Role, login: string, types: string[] | null): Promise<ConsoleClient> {
  await createAccount(w.t.deps, { authorityId: 'dev-city', login, name: login, role, licenceTypes: types, password: FIRST_PASSWORD }, 'system');
  const user = w.client();
  expect((await user.signIn(login, FIRST_PASSWORD)).location).toBe('/console/password');
  expect((await user.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD })).location).toBe('/console/password?done=1');
  return user;
}

beforeAll(async () => {
  w = await consoleWorld();
  admin = await w.signedIn('admin', 'admin');
  foodAdmin = await limited('admin', 'food-admin', ['FoodBusinessLicence']);
  foodClerk = await limited('clerk', 'food-clerk', ['FoodBusinessLicence']);
  foodSupervisor = await limited('supervisor', 'food-supervisor', ['FoodBusinessLicence']);
  bizId = await issueThroughConsole(admin, businessFields(freshCreditCode()));
  foodAdminToken = (
    await createToken(w.t.deps, { authorityId: 'dev-city', name: 'food admin', actions: ['issue', 'status', 'read', 'admin'], licenceTypes: ['FoodBusinessLicence'] }, 'test')
  ).token;
}, 60_000);

afterAll(() => w?.t.close());

describe('an admin limited to some licence types', () => {
  it('cannot reset, unlock, re-role, disable or sign out an account wider than itself (takeover of an all-types admin)', async () => {
    await limited('clerk', 'all-types-clerk', null);
    const targets = ['admin', 'all-types-clerk'];
    const before = { rows: targets.map(accountRow), audit: await auditCount() };
    await foodAdmin.page('/console/accounts');
    for (const login of targets) {
      const id = accountRow(login)['id'] as string;
      for (const action of ['resetPassword', 'unlock', 'lock', 'disable', 'enable', 'removeSecondFactor', 'endSessions']) {
        const res = await foodAdmin.post(`/console/accounts/${id}/${action}`, {});
        expect(res.status, `${action} ${login}`).toBe(403);
        expect(await res.text()).not.toContain('elc_');
      }
      expect((await foodAdmin.post(`/console/accounts/${id}/role`, { role: 'admin' })).status, `role ${login}`).toBe(403);
    }
    expect(targets.map(accountRow)).toEqual(before.rows);
    expect(await auditCount()).toBe(before.audit);
    // The all-types admin still signs in with its own password; a reset would have handed it over.
    expect((await w.client().signIn('admin', OWN_PASSWORD)).location).toBe('/console');
  });

  it('still manages an account within its own types (the check is not a blanket refusal)', async () => {
    await limited('clerk', 'food-clerk-2', ['FoodBusinessLicence']);
    const id = accountRow('food-clerk-2')['id'] as string;
    await foodAdmin.page('/console/accounts');
    expect((await foodAdmin.submit(`/console/accounts/${id}/role`, { role: 'supervisor' })).status).toBe(200);
    expect(accountRow('food-clerk-2')['role']).toBe('supervisor');
  });

  it('cannot create an account or a token of every type, nor of a type it lacks; nothing stored', async () => {
    const before = { audit: await auditCount(), accounts: (await db().select().from(staffAccounts)).length };
    await foodAdmin.page('/console/accounts');
    expect((await foodAdmin.post('/console/accounts', { login: 'sneaky-all', name: 'x', role: 'admin' })).status).toBe(403);
    expect((await foodAdmin.post('/console/accounts', { login: 'sneaky-biz', name: 'x', role: 'admin', licenceTypes: ['BusinessLicence'] })).status).toBe(403);
    await foodAdmin.page('/console/tokens');
    expect((await foodAdmin.post('/console/tokens', { name: 'all', actions: ['admin'] })).status).toBe(403);
    expect((await foodAdmin.post('/console/tokens', { name: 'biz', actions: ['admin'], licenceTypes: ['BusinessLicence'] })).status).toBe(403);
    expect(await auditCount()).toBe(before.audit);
    expect((await db().select().from(staffAccounts)).length).toBe(before.accounts);
  });

  it('cannot retire a published key, which signs every type: here one still signing a valid BusinessLicence (console and API)', async () => {
    const oldKid = (await db().select().from(signingKeys).where(eq(signingKeys.ownerId, 'dev-city'))).find((k) => k.status === 'active')!.kid;
    expect((await w.t.call('POST', '/v1/keys/rotate', { body: {} })).status).toBe(201);
    expect((await licenceRow(bizId)).kid).toBe(oldKid);
    const before = await auditCount();
    await foodAdmin.page('/console/admin');
    expect((await foodAdmin.post(`/console/admin/keys/${oldKid}/retire`, {})).status).toBe(403);
    expect((await w.t.call('POST', `/v1/keys/${oldKid}/retire`, { token: foodAdminToken })).status).toBe(403);
    expect((await db().select().from(signingKeys).where(eq(signingKeys.kid, oldKid)))[0]!.status).toBe('published');
    expect(await auditCount()).toBe(before);
    // The BusinessLicence still verifies.
    const verified = await w.t.call('POST', '/credentials/verify', {
      token: null,
      body: {
        verifiableCredential: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['EnvelopedVerifiableCredential'],
          id: `data:application/vc+jwt,${(await licenceRow(bizId)).jws}`,
        },
      },
    });
    expect(((await verified.json()) as { verified: boolean }).verified).toBe(true);
  });

  it('cannot change the catalogue code of a type its authority registered but it does not hold (PATCH /v1/licence-types)', async () => {
    const code = 'TaxiOperatorLicence';
    const schema = {
      type: 'object',
      required: ['creditCode', 'name', 'plate'],
      additionalProperties: false,
      properties: { creditCode: { type: 'string' }, name: { type: 'string' }, plate: { type: 'string' } },
    };
    const registered = await w.t.call('POST', '/v1/licence-types', {
      body: { code, name: { zh: '出租车经营许可证', en: 'Taxi operator licence' }, schemaVersion: '1.0', schema, ...typeDeclarations('TAXI', 'name') },
    });
    expect(registered.status).toBe(201);
    const before = await auditCount();
    const res = await w.t.call('PATCH', `/v1/licence-types/${code}`, { token: foodAdminToken, body: { catalogueCode: 'ZZTAXI' } });
    expect(res.status).toBe(403);
    expect(((await (await w.t.call('GET', `/v1/licence-types/${code}`)).json()) as { catalogueCode: string }).catalogueCode).toBe('TAXI');
    expect(await auditCount()).toBe(before);
  });

  it("does not see other types' licences in the administration page's audit list", async () => {
    const page = await foodAdmin.page('/console/admin');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(bizId);
    expect((await admin.page('/console/admin')).html).toContain(bizId);
  });
});

describe('a clerk or supervisor limited to some licence types', () => {
  it('cannot open, print, amend, hand out access to, or change the status of a licence of another type; nothing changes', async () => {
    const before = { row: await licenceRow(bizId), audit: await auditCount() };
    for (const path of [`/console/licences/${bizId}`, `/console/licences/${bizId}/qr.svg`, `/console/licences/${bizId}/card`, `/console/licences/${bizId}/amend`]) {
      expect((await foodClerk.get(path)).status, path).toBe(403);
    }
    await foodClerk.page('/console/account');
    expect((await foodClerk.post(`/console/licences/${bizId}/amend`, { patch: '{"address":"x"}', confirm: '1' })).status).toBe(403);
    expect((await foodClerk.post(`/console/licences/${bizId}/holder-access`, {})).status).toBe(403);
    await foodSupervisor.page('/console/account');
    for (const [action, reason] of [
      ['suspend', 'investigation'],
      ['revoke', 'penalty'],
    ]) {
      expect((await foodSupervisor.post(`/console/licences/${bizId}/${action}`, { reason, confirm: '1' })).status, action).toBe(403);
    }
    expect(await licenceRow(bizId)).toEqual(before.row);
    expect(await auditCount()).toBe(before.audit);
  });

  it('finds nothing of another type: by id, by credit code, by type filter', async () => {
    const row = await licenceRow(bizId);
    const link = `/console/licences/${bizId}`;
    const byId = await foodClerk.get(`/console/licences?q=${bizId}`);
    expect(byId.status).toBe(200);
    expect(await byId.text()).not.toContain(link);
    for (const q of [`q=${row.holderCreditCode}`, `q=${encodeURIComponent('云栖智算')}`, 'type=BusinessLicence', 'status=active']) {
      expect((await foodClerk.page(`/console/licences?${q}`)).html, q).not.toContain(link);
    }
  });

  it('cannot import a licence of another type through /console/import/batch; nothing stored', async () => {
    const token = /"csrf":"([^"]+)"/.exec((await foodClerk.page('/console/import')).html)![1]!;
    const count = (await db().select().from(licences)).length;
    const res = await postBatch(foodClerk, { items: [{ type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode() }) }] }, token);
    // All or nothing, as POST /v1/licences/batch: the batch fails on the item's ERR_FORBIDDEN.
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { details: { code: string }[] } }).error.details[0]!.code).toBe('ERR_FORBIDDEN');
    expect((await db().select().from(licences)).length).toBe(count);
    // Its own type goes through with the same token (the refusal is the type, not the request).
    const own = await postBatch(foodClerk, { items: [{ type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: freshCreditCode() }) }] }, token);
    expect(own.status).toBe(201);
  });
});

describe('an admin who leaves', () => {
  /** An all-types admin signs in and makes an API token for itself in the console; the token works. */
  async function adminWithToken(login: string): Promise<{ id: string; token: string }> {
    const leaver = await w.signedIn('admin', login);
    await leaver.page('/console/tokens');
    const created = await leaver.submit('/console/tokens', { name: `${login} script`, actions: ['read', 'issue', 'status', 'admin'] });
    const token = /id="new-token">([^<]+)</.exec(created.html)?.[1];
    expect(token).toMatch(/^elk_/);
    expect((await w.t.call('GET', '/v1/tokens', { token: token! })).status).toBe(200);
    return { id: accountRow(login)['id'] as string, token: token! };
  }

  it('keeps no API access through tokens it made: disabling, locking or demoting the account revokes them', async () => {
    await admin.page('/console/accounts');
    const disabled = await adminWithToken('leaver-disabled');
    expect((await admin.post(`/console/accounts/${disabled.id}/disable`, {})).status).toBe(303);
    expect((await w.t.call('GET', '/v1/licences', { token: disabled.token })).status).toBe(401);
    const locked = await adminWithToken('leaver-locked');
    expect((await admin.post(`/console/accounts/${locked.id}/lock`, {})).status).toBe(303);
    expect((await w.t.call('GET', '/v1/licences', { token: locked.token })).status).toBe(401);
    const demoted = await adminWithToken('leaver-demoted');
    expect((await admin.submit(`/console/accounts/${demoted.id}/role`, { role: 'clerk' })).status).toBe(200);
    expect((await w.t.call('GET', '/v1/licences', { token: demoted.token })).status).toBe(401);
    // Another admin's token, and a new password for an admin who stays, revoke nothing.
    const stays = await adminWithToken('stays');
    await admin.post(`/console/accounts/${stays.id}/resetPassword`, {});
    expect((await w.t.call('GET', '/v1/licences', { token: stays.token })).status).toBe(200);
    expect((await lastTokenAudit()).content).toMatchObject({ reason: 'staff.roleChanged' });
  });
});

describe('sessions and CSRF', () => {
  it("another session's CSRF token is refused (tokens are per session); nothing stored", async () => {
    const adminCsrf = admin.csrf((await admin.page('/console/accounts')).html);
    await foodClerk.page('/console/account');
    const count = (await db().select().from(licences)).length;
    const res = await postBatch(foodClerk, { items: [{ type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: freshCreditCode() }) }] }, adminCsrf);
    expect(res.status).toBe(403);
    expect((await foodClerk.post('/console/account/second-factor', { secret: 'A'.repeat(32), code: '000000' }, { csrf: adminCsrf })).status).toBe(403);
    expect((await db().select().from(licences)).length).toBe(count);
  });

  it('a session cookie planted before sign-in is not the one signed in (no fixation)', async () => {
    await limited('clerk', 'fixated', null);
    const victim = w.client();
    const planted = 'P'.repeat(43);
    victim.cookies.set('elc_session', planted);
    await victim.signIn('fixated', OWN_PASSWORD);
    expect(victim.cookies.get('elc_session')).not.toBe(planted);
    const attacker = w.client();
    attacker.cookies.set('elc_session', planted);
    expect((await attacker.get('/console/licences')).headers.get('location')).toMatch(/^\/console\/sign-in/);
  });

  it("a session without the password cannot replace the account's second factor once it is on (someone at a colleague's desk)", async () => {
    const owner = await limited('clerk', 'two-factor-owner', null);
    const secret = /name="secret" value="([A-Z2-7]+)"/.exec((await owner.page('/console/account')).html)![1]!;
    expect((await owner.submit('/console/account/second-factor', { secret, code: totp(secret, w.t.clock.now()) })).status).toBe(200);
    const before = { row: accountRow('two-factor-owner'), audit: await auditCount() };
    // The same live session, a secret of the intruder's own phone.
    const intruderSecret = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    await owner.page('/console/account');
    const res = await owner.post('/console/account/second-factor', { secret: intruderSecret, code: totp(intruderSecret, w.t.clock.now()) });
    expect(res.status).toBe(409);
    expect(accountRow('two-factor-owner')).toEqual(before.row);
    expect(await auditCount()).toBe(before.audit);
  });

  it('a role taken away applies to the session already open: a demoted supervisor cannot suspend', async () => {
    const sup = await limited('supervisor', 'demoted-sup', null);
    await admin.page('/console/accounts');
    expect((await admin.submit(`/console/accounts/${accountRow('demoted-sup')['id']}/role`, { role: 'clerk' })).status).toBe(200);
    const before = await licenceRow(bizId);
    await sup.page('/console/account');
    expect((await sup.post(`/console/licences/${bizId}/suspend`, { reason: 'investigation', confirm: '1' })).status).toBe(403);
    expect(await licenceRow(bizId)).toEqual(before);
  });

  it('an account locked by an admin, or whose sessions were ended, cannot act with the session it had', async () => {
    for (const action of ['lock', 'endSessions', 'disable', 'resetPassword']) {
      const user = await limited('supervisor', `ended-${action.toLowerCase()}`, null);
      await user.page('/console/account');
      const csrf = user.csrf();
      await admin.page('/console/accounts');
      await admin.submit(`/console/accounts/${accountRow(`ended-${action.toLowerCase()}`)['id']}/${action}`, {});
      const before = await licenceRow(bizId);
      expect((await user.post(`/console/licences/${bizId}/suspend`, { reason: 'investigation', confirm: '1' }, { csrf })).status, action).toBe(401);
      expect((await user.get('/console/licences')).headers.get('location'), action).toMatch(/^\/console\/sign-in/);
      expect(await licenceRow(bizId)).toEqual(before);
    }
  });
});
