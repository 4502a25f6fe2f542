/**
 * The console's administration and the anchor operator's pages, without a browser: who may reach them
 * (admin pages 403 for clerks and supervisors, anchor pages for anchor operators only, nothing changed
 * by a refused request), what each action does through the services, that audit entries name the staff
 * account, and the insider's attacks: an admin making or taking over an anchor operator, or naming
 * another authority's accounts, tokens and keys.
 */
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, signingKeys } from '../../src/db/schema.js';
import { createAuthority } from '../../src/services/authorities.js';
import { ACTIONS, createToken } from '../../src/services/tokens.js';
import { createTestContext, type TestContext } from '../helpers/app.js';
import type { ConsoleClient } from '../helpers/console-client.js';
import { freshCreditCode } from './codes.js';
import { businessFields, type ConsoleWorld, consoleWorld, issueThroughConsole, OWN_PASSWORD } from './harness.js';

const JS = 'https://js.test';
const JS_ANCHOR = 'did:web:js.test:anchors:jiangsu';

/** Other deployments this one fetches from (a second province), reached without a network. */
const hosts = new Map<string, TestContext>();
const router: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const target = hosts.get(new URL(request.url).host);
  if (!target) throw new TypeError(`fetch failed: no host ${new URL(request.url).host}`);
  return target.app.request(request.url, { method: request.method, headers: request.headers });
};

let w: ConsoleWorld;
let js: TestContext;
let admin: ConsoleClient;
let clerk: ConsoleClient;
let supervisor: ConsoleClient;
let anchor: ConsoleClient;
/** Ids of another authority (ningbo) an insider at dev-city might name. */
const ningbo = { accountId: '', tokenId: '', token: '', kid: '' };

const db = () => w.t.store.db;
const accountRow = (login: string) => w.t.store.sqlite.prepare('SELECT * FROM staff_accounts WHERE login = ?').get(login) as Record<string, any>;
const auditCount = async () => (await db().select().from(auditLog)).length;
const lastAudit = async (action: string) => (await db().select().from(auditLog).where(eq(auditLog.action, action)).orderBy(desc(auditLog.seq)).limit(1))[0];

beforeAll(async () => {
  w = await consoleWorld({ fetch: router });
  js = await createTestContext({
    fetch: router,
    authority: { id: 'nanjing', name: { zh: '南京市市场监督管理局', en: 'Nanjing AMR' }, jurisdiction: '320100', creditCode: freshCreditCode() },
    config: { publicUrl: JS, anchor: { name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' }, jurisdiction: '320000', ownerId: 'jiangsu', firstAuthority: 'nanjing' } },
  });
  hosts.set('js.test', js);
  admin = await w.signedIn('admin', 'admin');
  clerk = await w.signedIn('clerk');
  supervisor = await w.signedIn('supervisor');
  anchor = await w.signedIn('anchor', 'anchor-op');

  await createAuthority(w.t.deps, { id: 'ningbo', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
  await w.signedIn('admin', 'ningbo-admin', 'ningbo');
  ningbo.accountId = accountRow('ningbo-admin')['id'];
  const token = await createToken(w.t.deps, { authorityId: 'ningbo', name: 'ningbo program', actions: [...ACTIONS] }, 'test');
  ningbo.tokenId = token.id;
  ningbo.token = token.token;
  ningbo.kid = (await db().select().from(signingKeys).where(eq(signingKeys.ownerId, 'ningbo')))[0]!.kid;
}, 60_000);

afterAll(() => {
  w?.t.close();
  js?.close();
});

const ADMIN_PAGES = ['/console/accounts', '/console/tokens', '/console/admin'];
const adminPosts = () =>
  [
    ['/console/accounts', { name: 'x', login: 'sneaky', role: 'admin' }],
    [`/console/accounts/${accountRow('admin')['id']}/role`, { role: 'clerk' }],
    ...['lock', 'unlock', 'resetPassword', 'disable', 'enable', 'removeSecondFactor', 'endSessions'].map(
      (a) => [`/console/accounts/${accountRow('admin')['id']}/${a}`, {}] as const,
    ),
    ['/console/tokens', { name: 'mine', actions: ['issue'] }],
    [`/console/tokens/${ningbo.tokenId}/revoke`, {}],
    ['/console/admin/types', { code: 'SneakyLicence', schema: '{}' }],
    ['/console/admin/keys/rotate', {}],
    [`/console/admin/keys/${ningbo.kid}/retire`, {}],
    ['/console/admin/audit/verify', {}],
  ] as const;

const ANCHOR_PAGES = ['/console/trust', '/console/trust/provinces'];
const anchorPosts = [
  ['/console/trust/lists', {}],
  ['/console/trust/authorities', { id: 'did:web:x.example', nameZh: 'x', nameEn: 'x', jurisdiction: '330100', licenceTypes: 'BusinessLicence' }],
  ...['suspend', 'reinstate', 'withdraw', 'withdraw-key', 'refresh-keys', 'types'].map(
    (a) => [`/console/trust/authorities/${a}`, { id: 'did:web:elicence.test:authorities:dev-city', kid: 'x' }] as const,
  ),
  [
    '/console/trust/provinces',
    {
      id: JS_ANCHOR,
      nameZh: 'x',
      nameEn: 'x',
      jwksUrl: `${JS}/.well-known/trust-anchor.json`,
      bundleUrl: `${JS}/verifier-bundle`,
      issuerPrefixes: 'did:web:js.test:',
      jurisdictions: '32',
    },
  ],
  ['/console/trust/provinces/scope', { id: JS_ANCHOR, issuerPrefixes: 'did:web:js.test:', jurisdictions: '32' }],
  ['/console/trust/provinces/refresh', { id: JS_ANCHOR }],
] as const;

describe('who reaches the administration and the trust register', () => {
  it('admin pages and every admin action: 403 for clerks, supervisors and anchor operators, nothing changed', async () => {
    const before = await auditCount();
    for (const [who, user] of [
      ['clerk', clerk],
      ['supervisor', supervisor],
      ['anchor', anchor],
    ] as const) {
      for (const path of ADMIN_PAGES) expect((await user.page(path)).status, `${who} GET ${path}`).toBe(403);
      await user.page('/console/account');
      for (const [path, fields] of adminPosts()) expect((await user.post(path, fields as Record<string, string>)).status, `${who} POST ${path}`).toBe(403);
    }
    expect(await auditCount()).toBe(before);
    expect(accountRow('sneaky')).toBeUndefined();
    expect(accountRow('admin')['role']).toBe('admin');
    expect(accountRow('admin')['locked_at']).toBeNull();
    // The admin still signs in: its sessions were not ended.
    expect((await admin.page('/console/admin')).status).toBe(200);
  });

  it('anchor pages and actions: 403 for everyone but anchor operators, nothing changed', async () => {
    const before = await auditCount();
    for (const [who, user] of [
      ['clerk', clerk],
      ['supervisor', supervisor],
      ['admin', admin],
    ] as const) {
      for (const path of ANCHOR_PAGES) expect((await user.page(path)).status, `${who} GET ${path}`).toBe(403);
      await user.page('/console/account');
      for (const [path, fields] of anchorPosts) expect((await user.post(path, fields as Record<string, string>)).status, `${who} POST ${path}`).toBe(403);
    }
    expect(await auditCount()).toBe(before);
    for (const path of ANCHOR_PAGES) expect((await anchor.page(path)).status, path).toBe(200);
    // The navigation offers each role its own pages only.
    expect((await admin.page('/console/admin')).html).not.toContain('href="/console/trust');
    expect((await anchor.page('/console/trust')).html).not.toContain('href="/console/tokens"');
  });

  it('a POST without the CSRF token or from another origin changes nothing', async () => {
    const before = await auditCount();
    await admin.page('/console/admin');
    expect((await admin.post('/console/admin/keys/rotate', {}, { csrf: null })).status).toBe(403);
    expect((await admin.post('/console/admin/keys/rotate', {}, { origin: 'https://evil.example' })).status).toBe(403);
    await anchor.page('/console/trust');
    expect((await anchor.post('/console/trust/lists', {}, { csrf: 'wrong' })).status).toBe(403);
    expect(await auditCount()).toBe(before);
  });
});

describe('staff accounts', () => {
  it('changes a role, locks (ending sessions), unlocks, ends sessions; each audit entry names the admin', async () => {
    const staff = await w.signedIn('clerk', 'clerk-x');
    const id = accountRow('clerk-x')['id'] as string;
    await admin.page('/console/accounts');
    const changed = await admin.submit(`/console/accounts/${id}/role`, { role: 'supervisor' });
    expect(changed.status).toBe(200);
    expect(changed.html).toContain('clerk-x');
    expect(accountRow('clerk-x')['role']).toBe('supervisor');
    expect(await lastAudit('staff.roleChanged')).toMatchObject({ subjectId: id, staffId: accountRow('admin')['id'] });
    // The new role applies from the next request: a supervisor's page now opens.
    expect((await staff.page('/console/licences')).status).toBe(200);

    await admin.page('/console/accounts');
    expect((await admin.submit(`/console/accounts/${id}/lock`, {})).location).toBe('/console/accounts?done=1');
    expect(accountRow('clerk-x')['locked_at']).not.toBeNull();
    expect((await staff.get('/console/licences')).headers.get('location')).toMatch(/^\/console\/sign-in/);
    expect((await w.client().signIn('clerk-x', OWN_PASSWORD)).status).toBe(403);
    expect(await lastAudit('staff.lock')).toMatchObject({ subjectId: id, staffId: accountRow('admin')['id'] });

    await admin.page('/console/accounts');
    await admin.submit(`/console/accounts/${id}/unlock`, {});
    const again = w.client();
    expect((await again.signIn('clerk-x', OWN_PASSWORD)).location).toBe('/console');
    expect((await again.page('/console/licences')).status).toBe(200);
    await admin.page('/console/accounts');
    await admin.submit(`/console/accounts/${id}/endSessions`, {});
    expect((await again.get('/console/licences')).headers.get('location')).toMatch(/^\/console\/sign-in/);
    expect(await lastAudit('staff.endSessions')).toMatchObject({ subjectId: id, staffId: accountRow('admin')['id'] });

    await admin.page('/console/accounts');
    const reset = await admin.submit(`/console/accounts/${id}/resetPassword`, {});
    const temporary = /id="temp-password">([^<]+)</.exec(reset.html)?.[1];
    expect(temporary).toBeTruthy();
    expect((await w.client().signIn('clerk-x', temporary!)).location).toBe('/console/password');
  });

  it('an admin cannot change its own role, nor lock or sign out itself', async () => {
    const own = accountRow('admin')['id'] as string;
    for (const [path, fields] of [
      [`/console/accounts/${own}/role`, { role: 'clerk' }],
      [`/console/accounts/${own}/lock`, {}],
      [`/console/accounts/${own}/endSessions`, {}],
    ] as const) {
      await admin.page('/console/accounts');
      expect((await admin.post(path, fields)).status, path).toBe(403);
    }
    expect(accountRow('admin')).toMatchObject({ role: 'admin', locked_at: null });
  });

  it('insider: an admin cannot make an anchor operator, nor take over one of its own authority', async () => {
    const before = await auditCount();
    const anchorId = accountRow('anchor-op')['id'] as string;
    const hash = accountRow('anchor-op')['password_hash'];
    await admin.page('/console/accounts');
    expect((await admin.post('/console/accounts', { name: 'op', login: 'second-anchor', role: 'anchor' })).status).toBe(403);
    const clerkId = accountRow('clerk-x')['id'] as string;
    await admin.page('/console/accounts');
    expect((await admin.post(`/console/accounts/${clerkId}/role`, { role: 'anchor' })).status).toBe(403);
    for (const action of ['resetPassword', 'unlock', 'lock', 'disable', 'endSessions', 'removeSecondFactor']) {
      await admin.page('/console/accounts');
      expect((await admin.post(`/console/accounts/${anchorId}/${action}`, {})).status, action).toBe(403);
    }
    await admin.page('/console/accounts');
    expect((await admin.post(`/console/accounts/${anchorId}/role`, { role: 'admin' })).status).toBe(403);
    expect(accountRow('second-anchor')).toBeUndefined();
    expect(accountRow('clerk-x')['role']).toBe('supervisor');
    expect(accountRow('anchor-op')).toMatchObject({ role: 'anchor', password_hash: hash, locked_at: null, disabled_at: null });
    expect(await auditCount()).toBe(before);
    // The accounts page lists the operator without a button for it.
    const page = await admin.page('/console/accounts');
    expect(page.html).not.toContain(`/console/accounts/${anchorId}/`);
  });

  it("insider: another authority's accounts, tokens and keys are out of reach (404), whatever id is named", async () => {
    const before = await auditCount();
    const hash = accountRow('ningbo-admin')['password_hash'];
    for (const [path, fields] of [
      ...['resetPassword', 'lock', 'disable', 'endSessions', 'unlock'].map((a) => [`/console/accounts/${ningbo.accountId}/${a}`, {}] as const),
      [`/console/accounts/${ningbo.accountId}/role`, { role: 'clerk' }],
      [`/console/tokens/${ningbo.tokenId}/revoke`, {}],
      [`/console/admin/keys/${ningbo.kid}/retire`, {}],
    ] as const) {
      await admin.page('/console/admin');
      expect((await admin.post(path, fields)).status, path).toBe(404);
    }
    expect(accountRow('ningbo-admin')).toMatchObject({ role: 'admin', password_hash: hash, locked_at: null, disabled_at: null });
    expect((await w.t.call('GET', '/v1/keys', { token: ningbo.token })).status).toBe(200);
    expect((await db().select().from(signingKeys).where(eq(signingKeys.kid, ningbo.kid)))[0]!.status).toBe('active');
    expect(await auditCount()).toBe(before);
    // Nor are they listed.
    expect((await admin.page('/console/accounts')).html).not.toContain('ningbo-admin');
    expect((await admin.page('/console/tokens')).html).not.toContain('ningbo program');
    expect((await admin.page('/console/admin')).html).not.toContain(ningbo.kid);
  });
});

describe('API tokens', () => {
  it('creates a token with scopes, shown once; it works on /v1 until revoked, then 401; audit names the admin', async () => {
    await admin.page('/console/tokens');
    const created = await admin.submit('/console/tokens', { name: '审批系统', actions: ['read', 'issue'], licenceTypes: ['BusinessLicence'] });
    expect(created.status).toBe(200);
    const token = /id="new-token">([^<]+)</.exec(created.html)?.[1];
    expect(token).toMatch(/^elk_/);
    expect((await w.t.call('GET', '/v1/keys', { token: token! })).status).toBe(200);
    // Its scopes hold: no admin action.
    expect((await w.t.call('GET', '/v1/tokens', { token: token! })).status).toBe(403);
    const listed = await admin.page('/console/tokens');
    expect(listed.html).toContain('审批系统');
    expect(listed.html).not.toContain(token!);
    const entry = await lastAudit('token.created');
    expect(entry).toMatchObject({ staffId: accountRow('admin')['id'] });
    expect(JSON.parse(entry!.contentJson)).toMatchObject({ actions: ['read', 'issue'], licenceTypes: ['BusinessLicence'] });

    const revoked = await admin.submit(`/console/tokens/${entry!.subjectId}/revoke`, {});
    expect(revoked.location).toBe('/console/tokens?done=revoked');
    expect((await w.t.call('GET', '/v1/keys', { token: token! })).status).toBe(401);
    expect(await lastAudit('token.revoked')).toMatchObject({ subjectId: entry!.subjectId, staffId: accountRow('admin')['id'] });
  });

  it('refuses a scope the admin lacks (anchor), an unknown type and no scope at all, with nothing stored', async () => {
    const before = await auditCount();
    for (const [fields, status, text] of [
      [{ name: 'x', actions: ['anchor'] }, 403, 'cannot grant'],
      [{ name: 'x', actions: ['read'], licenceTypes: ['NoSuchLicence'] }, 400, 'unknown licence type'],
      [{ name: 'x' }, 400, 'at least one scope'],
      [{ name: '', actions: ['read'] }, 400, 'name'],
    ] as const) {
      await admin.page('/console/tokens');
      const res = await admin.submit('/console/tokens', fields as Record<string, string | string[]>);
      expect(res.status, JSON.stringify(fields)).toBe(status);
      expect(res.html).toContain(text);
      expect(res.html).toContain('role="alert"');
    }
    expect(await auditCount()).toBe(before);
  });
});

describe('licence types, keys and the audit trail', () => {
  const schema = {
    type: 'object',
    properties: {
      creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Credit code', format: 'uscc', minLength: 18, maxLength: 18 },
      shopName: { type: 'string', title: '店名', 'x-title-en': 'Shop name', minLength: 1, maxLength: 100 },
      permitNo: { type: 'string', title: '许可证编号', 'x-title-en': 'Permit number', minLength: 1, maxLength: 40 },
    },
    required: ['creditCode', 'shopName', 'permitNo'],
    additionalProperties: false,
  };

  it('registers a type with its number and holder-name fields and uniquePerHolder, stored as the API stores them', async () => {
    await admin.page('/console/admin');
    const res = await admin.submit('/console/admin/types', {
      code: 'TobaccoRetailLicence',
      nameZh: '烟草专卖零售许可证',
      nameEn: 'Tobacco retail licence',
      schemaVersion: '1.0',
      schema: JSON.stringify(schema),
      catalogueCode: 'YCLS',
      numberField: 'permitNo',
      holderNameField: 'shopName',
      uniquePerHolder: '1',
    });
    expect(res.status).toBe(200);
    expect(res.html).toContain('TobaccoRetailLicence');
    const viaApi = (await (await w.t.call('GET', '/v1/licence-types/TobaccoRetailLicence')).json()) as Record<string, unknown>;
    expect(viaApi).toMatchObject({ catalogueCode: 'YCLS', numberField: 'permitNo', holderNameField: 'shopName', uniquePerHolder: true, schema });
    expect(await lastAudit('licenceType.registered')).toMatchObject({ subjectId: 'TobaccoRetailLicence', staffId: accountRow('admin')['id'] });
  });

  it('a bad schema stores nothing and shows the text again with its preview', async () => {
    const before = await auditCount();
    await admin.page('/console/admin');
    const notJson = await admin.submit('/console/admin/types', { code: 'BadLicence', nameZh: '坏', nameEn: 'Bad', schemaVersion: '1.0', schema: '{"type": "object",' });
    expect(notJson.status).toBe(400);
    expect(notJson.html).toContain('href="#t-schema"');
    const noNumber = await admin.submit('/console/admin/types', {
      code: 'BadLicence',
      nameZh: '坏',
      nameEn: 'Bad',
      schemaVersion: '1.0',
      schema: JSON.stringify(schema),
      catalogueCode: 'BADL',
      numberField: 'nope',
      holderNameField: 'shopName',
    });
    expect(noNumber.status).toBe(400);
    // The form keeps what was typed, and the preview shows the fields that schema makes.
    expect(noNumber.html).toContain('id="f-shopName"');
    expect(noNumber.html).toContain('店名');
    expect(await auditCount()).toBe(before);
    expect((await w.t.call('GET', '/v1/licence-types/BadLicence')).status).toBe(404);
  });

  it('rotates a key, shows what each key signed and still valid, retires the old one; audit names the admin', async () => {
    const issuer = await w.signedIn('clerk', 'issuer');
    await issueThroughConsole(issuer, businessFields(freshCreditCode()));
    const [old] = await db().select().from(signingKeys).where(eq(signingKeys.ownerId, 'dev-city'));
    await admin.page('/console/admin');
    const rotated = await admin.submit('/console/admin/keys/rotate', {});
    expect(rotated.location).toBe('/console/admin?done=rotated#keys');
    const keys = await db().select().from(signingKeys).where(eq(signingKeys.ownerId, 'dev-city'));
    expect(keys.map((k) => k.status).sort()).toEqual(['active', 'published']);
    expect(await lastAudit('key.activated')).toMatchObject({ staffId: accountRow('admin')['id'] });
    // The old key's row: one signed, one still valid, and the warning says retiring breaks it.
    const row = new RegExp(`<td class="code">${old!.kid}</td><td>EdDSA</td><td>[^<]+</td><td>[^<]+</td><td>(\\d+)</td><td>(\\d+)</td>`).exec(rotated.html);
    expect(row?.slice(1)).toEqual(['1', '1']);
    expect(rotated.html).toMatch(/1 张仍有效的证照将无法通过核验/);

    const retired = await admin.submit(`/console/admin/keys/${old!.kid}/retire`, {});
    expect(retired.status).toBe(200);
    expect(retired.html).toContain(old!.kid);
    expect((await db().select().from(signingKeys).where(eq(signingKeys.kid, old!.kid)))[0]!.status).toBe('retired');
    expect(await lastAudit('key.retired')).toMatchObject({ subjectId: old!.kid, staffId: accountRow('admin')['id'] });
    // The active key cannot be retired (no button, and a forged post is refused).
    const active = keys.find((k) => k.status === 'active')!;
    await admin.page('/console/admin');
    expect((await admin.post(`/console/admin/keys/${active.kid}/retire`, {})).status).toBe(409);
  });

  it('runs the chain check, shows the head and pages through entries', async () => {
    await admin.page('/console/admin');
    const checked = await admin.submit('/console/admin/audit/verify', {});
    expect(checked.html).toMatch(/审计日志完整：共 \d+ 条/);
    const head = /(\d+):([0-9a-f]{64})/.exec(checked.html);
    const [last] = await db().select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
    expect(head?.slice(1)).toEqual([String(last!.seq), last!.hash]);
    // Enough entries for a second page (each rotation writes one).
    for (let i = 0; i < 25; i++) {
      await admin.page('/console/admin');
      await admin.post('/console/admin/keys/rotate', {});
    }
    const first = await admin.page('/console/admin');
    const older = /href="\/console\/admin\?before=(\d+)#audit"/.exec(first.html);
    expect(older).not.toBeNull();
    const second = await admin.page(`/console/admin?before=${older![1]}`);
    expect(second.status).toBe(200);
    expect(second.html).toContain('staff.roleChanged');
  });
});

describe('the anchor operator', () => {
  it('publishes a list, adds an authority, suspends, reinstates, withdraws a key and the authority; audit names the operator', async () => {
    const operatorId = accountRow('anchor-op')['id'];
    await anchor.page('/console/trust');
    const published = await anchor.submit('/console/trust/lists', {});
    expect(published.location).toMatch(/^\/console\/trust\?done=published&seq=\d+$/);
    expect(await lastAudit('trust.list.published')).toMatchObject({ staffId: operatorId });

    const jwks = (await (await js.call('GET', '/.well-known/jwks.json', { token: null })).json()) as { keys: unknown[] };
    const id = 'did:web:elicence.test:authorities:wenzhou';
    await anchor.page('/console/trust');
    const bad = await anchor.submit('/console/trust/authorities', {
      id,
      nameZh: '温州',
      nameEn: 'Wenzhou',
      jurisdiction: '99',
      licenceTypes: 'BusinessLicence',
      keySource: 'jwks',
      jwks: JSON.stringify(jwks),
    });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('href="#r-jurisdiction"');
    const added = await anchor.submit('/console/trust/authorities', {
      id,
      nameZh: '温州市市场监督管理局',
      nameEn: 'Wenzhou AMR',
      jurisdiction: '330300',
      licenceTypes: 'BusinessLicence\nFoodBusinessLicence',
      keySource: 'jwks',
      jwks: JSON.stringify(jwks),
    });
    expect(added.status).toBe(200);
    expect(added.html).toContain('温州市市场监督管理局');
    expect(await lastAudit('trust.authority.added')).toMatchObject({ subjectId: id, staffId: operatorId });

    await anchor.page('/console/trust');
    await anchor.submit('/console/trust/authorities/types', { id, licenceTypes: 'BusinessLicence' });
    expect(await lastAudit('trust.authority.updated')).toMatchObject({ subjectId: id, staffId: operatorId });
    const unknownType = await anchor.submit('/console/trust/authorities/types', { id, licenceTypes: '' });
    expect(unknownType.status).toBe(400);

    for (const action of ['suspend', 'reinstate']) {
      await anchor.page('/console/trust');
      expect((await anchor.submit(`/console/trust/authorities/${action}`, { id })).location).toBe('/console/trust?done=changed');
    }
    expect(await lastAudit('trust.authority.active')).toMatchObject({ subjectId: id, staffId: operatorId });
    const kid = (jwks.keys[0] as { kid: string }).kid;
    await anchor.page('/console/trust');
    await anchor.submit('/console/trust/authorities/withdraw-key', { id, kid });
    expect(await lastAudit('trust.key.withdrawn')).toMatchObject({ subjectId: id, staffId: operatorId });
    await anchor.page('/console/trust');
    await anchor.submit('/console/trust/authorities/withdraw', { id });
    const entry = (await (await w.t.call('GET', `/v1/trust/authorities/${encodeURIComponent(id)}`)).json()) as { status: string };
    expect(entry.status).toBe('withdrawn');
    expect((await w.t.call('GET', '/v1/trust/authorities')).status).toBe(200);
  });

  it('registers a federated province, refreshes it and sees its freshness; changes its scope', async () => {
    const operatorId = accountRow('anchor-op')['id'];
    await anchor.page('/console/trust/provinces');
    const fields = {
      id: JS_ANCHOR,
      nameZh: '江苏省市场监督管理局',
      nameEn: 'Jiangsu AMR',
      jwksUrl: `${JS}/.well-known/trust-anchor.json`,
      bundleUrl: `${JS}/verifier-bundle`,
      issuerPrefixes: 'did:web:js.test:',
      jurisdictions: '32',
      licenceTypes: 'BusinessLicence',
    };
    const overlapping = await anchor.submit('/console/trust/provinces', { ...fields, issuerPrefixes: 'did:web:elicence.test:' });
    expect(overlapping.status).toBe(409);
    const registered = await anchor.submit('/console/trust/provinces', fields);
    expect(registered.status).toBe(200);
    expect(registered.html).toContain('尚未获取');
    expect(await lastAudit('trust.anchor.added')).toMatchObject({ subjectId: JS_ANCHOR, staffId: operatorId });

    const refreshed = await anchor.submit('/console/trust/provinces/refresh', { id: JS_ANCHOR });
    expect(refreshed.status).toBe(200);
    expect(refreshed.html).toContain('data-state="fresh"');
    expect(refreshed.html).toMatch(/#1 · /);
    // Hours later with no refresh, the same page says the data is stale.
    w.t.clock.advance(3 * 3600_000);
    const operator = w.client();
    await operator.signIn('anchor-op', OWN_PASSWORD);
    const later = await operator.page('/console/trust/provinces');
    expect(later.html).toContain('data-state="stale"');

    // The province goes down: the refresh says why, the page says failing, the last good copies stay.
    hosts.delete('js.test');
    const failed = await operator.submit('/console/trust/provinces/refresh', { id: JS_ANCHOR });
    expect(failed.status).toBe(502);
    expect(failed.html).toContain('role="alert"');
    expect(failed.html).toContain('data-state="failing"');
    expect(failed.html).toMatch(/#1 · /);
    hosts.set('js.test', js);

    const scoped = await operator.submit('/console/trust/provinces/scope', { id: JS_ANCHOR, issuerPrefixes: 'did:web:js.test:', jurisdictions: '32\n3201', licenceTypes: '' });
    expect(scoped.location).toBe('/console/trust/provinces?done=scope');
    const peer = (await (await w.t.call('GET', `/v1/trust/anchors/${encodeURIComponent(JS_ANCHOR)}`)).json()) as { scope: unknown };
    expect(peer.scope).toEqual({ issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['32', '3201'] });
    expect(await lastAudit('trust.anchor.updated')).toMatchObject({ subjectId: JS_ANCHOR, staffId: operatorId });
  });
});
