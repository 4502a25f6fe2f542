/**
 * The console through its HTTP pages (app.request, no browser): sign-in, sessions, CSRF, roles, the
 * lock, issuing, finding, changing, amending, printing, the audit trail, and hostile input in every field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGN_IN_FAILURES_PER_CLIENT } from '../../src/console/routes.js';
import { auditLog, staffAccounts } from '../../src/db/schema.js';
import { createAccount, LOCK_AFTER } from '../../src/services/accounts.js';
import { verifyAuditChain } from '../../src/services/audit.js';
import { createAuthority } from '../../src/services/authorities.js';
import { storedHashing } from '../../src/services/passwords.js';
import { ACTIONS, createToken } from '../../src/services/tokens.js';
import { totp } from '../../src/services/totp.js';
import { authoriseType, businessSubject } from '../helpers/app.js';
import { ConsoleClient } from '../helpers/console-client.js';
import { freshCreditCode } from './codes.js';
import { businessFields, type ConsoleWorld, consoleWorld, FIRST_PASSWORD, idempotencyKeyOf, issueThroughConsole, OWN_PASSWORD } from './harness.js';

let w: ConsoleWorld;
beforeEach(async () => {
  w = await consoleWorld();
});
afterEach(() => w.t.close());

const licenceRow = (id: string) => w.t.store.sqlite.prepare('SELECT status, status_reason FROM licences WHERE id = ?').get(id) as { status: string; status_reason: string | null };
const accountRow = (login: string) => w.t.store.sqlite.prepare('SELECT * FROM staff_accounts WHERE login = ?').get(login) as Record<string, unknown>;

describe('signing in', () => {
  it('forces a password change at first sign-in, then lets the person in; the cookie is HttpOnly, SameSite=Strict, Secure except on loopback', async () => {
    const user = w.client('https://elicence.test');
    const signInPage = await user.page('/console/sign-in');
    expect(signInPage.html).toContain('<label for="login">登录名</label>');
    const res = await user.post('/console/sign-in', { login: 'admin', password: FIRST_PASSWORD });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/password');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('elc_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/Path=\/console/);
    // Every page but the password page sends the person back there.
    expect((await user.get('/console/licences')).headers.get('location')).toBe('/console/password');
    const changed = await (async () => {
      await user.page('/console/password');
      return user.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD });
    })();
    expect(changed.status).toBe(200);
    expect((await user.page('/console/licences')).status).toBe(200);

    const local = w.client('http://127.0.0.1:8787');
    await local.page('/console/sign-in');
    const loopback = await local.post('/console/sign-in', { login: 'admin', password: OWN_PASSWORD });
    expect(loopback.headers.getSetCookie().find((c) => c.startsWith('elc_session='))).not.toMatch(/Secure/);
  });

  it('refuses a wrong password with the same answer as an unknown login', async () => {
    const user = w.client();
    const wrong = await user.signIn('admin', 'not-the-password');
    const unknown = await user.signIn('nobody', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.html).toContain('登录名或密码不正确');
    expect(unknown.html).toContain('登录名或密码不正确');
  });

  it('backs off after three failures and locks after ten; a locked account stays locked, even with the right password, until an admin unlocks it', async () => {
    const admin = await w.signedIn('admin', 'admin');
    await w.signedIn('clerk', 'victim');
    const attacker = w.client();
    let statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attacker.signIn('victim', `guess-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401]);
    // Inside the back-off even the right password is not looked at.
    expect((await attacker.signIn('victim', OWN_PASSWORD)).status).toBe(429);
    statuses = [];
    for (let i = 3; i < LOCK_AFTER; i++) {
      w.t.clock.advance(10 * 60_000);
      statuses.push((await attacker.signIn('victim', `guess-${i}`)).status);
    }
    expect(statuses.at(-1)).toBe(403);
    expect(accountRow('victim')['locked_at']).not.toBeNull();
    w.t.clock.advance(30 * 86_400_000);
    const locked = await w.client().signIn('victim', OWN_PASSWORD);
    expect(locked.status).toBe(403);
    expect(locked.html).toContain('已被锁定');
    // The lock is in the audit log.
    expect(w.t.store.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'staff.locked'").get()).toEqual({ n: 1 });

    await admin.signIn('admin', OWN_PASSWORD);
    await admin.page('/console/accounts');
    const id = accountRow('victim')['id'] as string;
    expect((await admin.submit(`/console/accounts/${id}/unlock`, {})).status).toBe(200);
    expect((await w.client().signIn('victim', OWN_PASSWORD)).location).toBe('/console');
  });

  it('one client address spraying passwords over many logins is slowed after 30 failures; other clients are not', async () => {
    await w.signedIn('clerk', 'sprayed');
    const from = (address: string) => new ConsoleClient((url, init) => Promise.resolve(w.t.app.request(url, init, { incoming: { socket: { remoteAddress: address } } })));
    const sprayer = from('192.0.2.7');
    for (let i = 0; i < SIGN_IN_FAILURES_PER_CLIENT; i++) expect((await sprayer.signIn(`user${i}`, 'Password123!')).status).toBe(401);
    expect((await sprayer.signIn('sprayed', OWN_PASSWORD)).status).toBe(429);
    expect((await from('192.0.2.8').signIn('sprayed', OWN_PASSWORD)).location).toBe('/console');
  });

  it('rehashes a password below the current policy at sign-in', async () => {
    await w.signedIn('clerk', 'old-hash');
    expect(storedHashing(accountRow('old-hash')['password_hash'] as string)).toEqual({ scheme: 'pbkdf2-sha256', iterations: 1000 });
    w.t.deps.config.passwordHashing = { scheme: 'pbkdf2-sha256', iterations: 2000 };
    expect((await w.client().signIn('old-hash', OWN_PASSWORD)).location).toBe('/console');
    expect(storedHashing(accountRow('old-hash')['password_hash'] as string)).toEqual({ scheme: 'pbkdf2-sha256', iterations: 2000 });
    // And the new hash verifies.
    expect((await w.client().signIn('old-hash', OWN_PASSWORD)).location).toBe('/console');
  });

  it('ends a session after 30 idle minutes, and at sign-out (the old cookie no longer works)', async () => {
    const user = await w.signedIn('clerk', 'idle');
    w.t.clock.advance(29 * 60_000);
    expect((await user.get('/console/licences')).status).toBe(200);
    w.t.clock.advance(31 * 60_000);
    const idle = await user.get('/console/licences');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toMatch(/^\/console\/sign-in\?next=.*&expired=1$/);

    const again = w.client();
    await again.signIn('idle', OWN_PASSWORD);
    const cookie = again.cookies.get('elc_session')!;
    await again.page('/console/licences');
    await again.submit('/console/sign-out', {});
    const stolen = w.client();
    stolen.cookies.set('elc_session', cookie);
    expect((await stolen.get('/console/licences')).status).toBe(303);
  });

  it('a second factor (RFC 6238): turned on with a code, then asked at sign-in; a code is accepted once', async () => {
    const user = await w.signedIn('clerk', 'two-factor');
    const page = await user.page('/console/account');
    const secret = /name="secret" value="([A-Z2-7]+)"/.exec(page.html)![1]!;
    expect((await user.submit('/console/account/second-factor', { secret, code: totp(secret, w.t.clock.now()) })).html).toContain('已启用二次验证');
    w.t.clock.advance(60_000);

    const again = w.client();
    const first = await again.signIn('two-factor', OWN_PASSWORD);
    expect(first.location).toMatch(/^\/console\/sign-in\/second-factor/);
    // The half-way session opens no page.
    expect((await again.get('/console/licences')).status).toBe(303);
    const code = totp(secret, w.t.clock.now());
    // One step either side is accepted (clock drift): the wrong code must be none of the three.
    const window = [-30_000, 0, 30_000].map((d) => totp(secret, w.t.clock.now() + d));
    const wrong = ['000000', '111111', '222222', '333333'].find((c) => !window.includes(c))!;
    expect((await again.submit('/console/sign-in/second-factor', { code: wrong, next: '/console/licences' })).status).toBe(401);
    expect((await again.submit('/console/sign-in/second-factor', { code, next: '/console/licences' })).location).toBe('/console/licences');
    // The same code again (another sign-in within the step) is refused; only the next step's code is
    // still open, and once in a million secrets it is the same six digits.
    const replay = w.client();
    await replay.signIn('two-factor', OWN_PASSWORD);
    if (window[2] !== code) expect((await replay.submit('/console/sign-in/second-factor', { code, next: '/console/licences' })).status).toBe(401);
  });

  it('accepts a code of the step before, the step or the step after (clock drift), never two steps away, and never a step already used', async () => {
    const { base32Encode, matchTotp, totpStep } = await import('../../src/services/totp.js');
    const secret = base32Encode(new TextEncoder().encode('12345678901234567890'));
    const now = 1_780_272_000_000;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) expect(matchTotp(secret, totp(secret, now + offset * 30_000), now, null)).toBe(step + offset);
    for (const offset of [-2, 2]) expect(matchTotp(secret, totp(secret, now + offset * 30_000), now, null)).toBeUndefined();
    expect(matchTotp(secret, totp(secret, now), now, step)).toBeUndefined();
    expect(matchTotp(secret, totp(secret, now + 30_000), now, step)).toBe(step + 1);
  });

  it('RFC 6238 appendix B vectors (SHA-1, 8 digits) and the 6-digit codes of the same secret', async () => {
    const { base32Encode, hotp, totpStep } = await import('../../src/services/totp.js');
    const secret = new TextEncoder().encode('12345678901234567890');
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ];
    for (const [seconds, code] of vectors) expect(hotp(secret, totpStep(seconds * 1000), 8)).toBe(code);
    expect(totp(base32Encode(secret), 59_000)).toBe('287082');
  });
});

describe('CSRF and roles', () => {
  it('refuses a state change without the CSRF token, with a wrong one, or from another origin; nothing changes', async () => {
    const supervisor = await w.signedIn('supervisor');
    const id = await issueThroughConsole(supervisor, businessFields(freshCreditCode()));
    await supervisor.page(`/console/licences/${id}`);
    for (const options of [{ csrf: null }, { csrf: 'x'.repeat(43) }]) {
      const res = await supervisor.post(`/console/licences/${id}/revoke`, { reason: 'penalty', confirm: '1' }, options);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('表单已过期或来源不明');
    }
    const crossOrigin = await supervisor.post(`/console/licences/${id}/revoke`, { reason: 'penalty', confirm: '1' }, { origin: 'https://evil.example' });
    expect(crossOrigin.status).toBe(403);
    // The sign-in form has its own token.
    const fresh = w.client();
    expect((await fresh.post('/console/sign-in', { login: 'admin', password: FIRST_PASSWORD }, { csrf: null })).status).toBe(403);
    expect(licenceRow(id).status).toBe('active');
  });

  it('a clerk gets 403 on supervisor and admin actions, and 404 for another authority’s licences', async () => {
    const clerk = await w.signedIn('clerk');
    const id = await issueThroughConsole(clerk, businessFields(freshCreditCode()));
    const page = await clerk.page(`/console/licences/${id}`);
    expect(page.html).not.toContain(`/console/licences/${id}/revoke`);
    for (const action of ['suspend', 'revoke', 'reinstate']) {
      const res = await clerk.post(`/console/licences/${id}/${action}`, { reason: 'other', confirm: '1' });
      expect(res.status, action).toBe(403);
    }
    expect(licenceRow(id).status).toBe('active');
    expect((await clerk.page('/console/accounts')).status).toBe(403);
    await clerk.page('/console/licences');
    expect((await clerk.post('/console/accounts', { name: 'x', login: 'sneaky', role: 'admin' })).status).toBe(403);
    expect(accountRow('sneaky')).toBeUndefined();

    await createAuthority(w.t.deps, { id: 'ningbo', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningboToken = (await createToken(w.t.deps, { authorityId: 'ningbo', name: 't', actions: [...ACTIONS] }, 'test')).token;
    const res = await w.t.call('POST', '/v1/licences', {
      token: ningboToken,
      body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode(), name: '宁波他市有限公司' }) },
    });
    const other = ((await res.json()) as { id: string }).id;
    for (const path of [`/console/licences/${other}`, `/console/licences/${other}/qr.svg`, `/console/licences/${other}/card`, `/console/licences/${other}/amend`]) {
      expect((await clerk.get(path)).status, path).toBe(404);
    }
    const supervisor = await w.signedIn('supervisor');
    await supervisor.page('/console/licences');
    expect((await supervisor.post(`/console/licences/${other}/revoke`, { reason: 'penalty', confirm: '1' })).status).toBe(404);
    expect((await supervisor.page(`/console/licences?q=${encodeURIComponent('他市')}`)).html).toContain('没有找到');
  });

  it('an admin cannot make an anchor operator nor an account of another authority', async () => {
    const admin = await w.signedIn('admin', 'admin');
    await admin.page('/console/accounts');
    const res = await admin.submit('/console/accounts', { name: '信任锚', login: 'anchor-op', role: 'anchor' });
    expect(res.status).toBe(403);
    expect(accountRow('anchor-op')).toBeUndefined();
  });
});

describe('issuing, finding, changing', () => {
  it('issues once for a double submit (one idempotency key per form) and shows the licence', async () => {
    const clerk = await w.signedIn('clerk');
    const form = await clerk.page('/console/issue/BusinessLicence');
    const key = idempotencyKeyOf(form.html);
    const fields = { ...businessFields(freshCreditCode()), idempotencyKey: key };
    const [a, b] = await Promise.all([clerk.post('/console/issue/BusinessLicence', fields), clerk.post('/console/issue/BusinessLicence', fields)]);
    expect(a.headers.get('location')!.split('?')[0]).toBe(b.headers.get('location')!.split('?')[0]);
    expect(w.t.store.sqlite.prepare('SELECT count(*) AS n FROM licences').get()).toEqual({ n: 1 });
    const page = await clerk.page(a.headers.get('location')!);
    expect(page.html).toContain('杭州云栖智算科技有限公司');
    expect(page.html).toContain('qr.svg');
    expect(page.html).toContain('card?format=a5');
  });

  it('names each bad field with the API’s own message (credit code check character, dates, lengths) and issues nothing', async () => {
    const clerk = await w.signedIn('clerk');
    const form = await clerk.page('/console/issue/BusinessLicence');
    const res = await clerk.submit('/console/issue/BusinessLicence', {
      ...businessFields('91330106MA2CFX7K5X', { 'f.establishedOn': '2020-02-30', 'f.name': '' }),
      idempotencyKey: idempotencyKeyOf(form.html),
    });
    expect(res.status).toBe(400);
    const api = await w.t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: '91330106MA2CFX7K5X' }) } });
    const apiMessage = ((await api.json()) as { error: { message: string } }).error.message;
    expect(res.html).toContain(apiMessage);
    expect(res.html).toContain('统一社会信用代码校验位不正确');
    expect(res.html).toContain('应为有效日期');
    expect(res.html).toContain('href="#f-name"');
    expect(w.t.store.sqlite.prepare('SELECT count(*) AS n FROM licences').get()).toEqual({ n: 0 });
  });

  it('finds by two characters, by credit code, by licence id and by identifier, with filters and paging', async () => {
    const clerk = await w.signedIn('clerk');
    const code = freshCreditCode();
    const id = await issueThroughConsole(clerk, businessFields(code, { 'f.name': '温州瓯江鞋业有限公司' }));
    for (let i = 0; i < 21; i++) await issueThroughConsole(clerk, businessFields(freshCreditCode(), { 'f.name': `温州测试${i}有限公司` }));
    expect((await clerk.page(`/console/licences?q=${encodeURIComponent('瓯江')}`)).html).toContain(`/console/licences/${id}`);
    expect((await clerk.page(`/console/licences?q=${code}`)).html).toContain(`/console/licences/${id}`);
    expect((await clerk.get(`/console/licences?q=${id}`)).headers.get('location')).toBe(`/console/licences/${id}`);
    expect((await clerk.get(`/console/licences?q=urn:uuid:${id}`)).headers.get('location')).toBe(`/console/licences/${id}`);
    const first = await clerk.page(`/console/licences?q=${encodeURIComponent('温州')}&type=BusinessLicence&status=active`);
    expect(first.html.match(/<tr><td><a href/g)).toHaveLength(20);
    const next = /href="(\/console\/licences\?[^"]*cursor=[^"]+)"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    expect((await clerk.page(next)).html.match(/<tr><td><a href/g)).toHaveLength(2);
    expect((await clerk.page(`/console/licences?q=${encodeURIComponent('温州')}&status=revoked`)).html).toContain('没有找到');
    const one = await clerk.page(`/console/licences?q=${encodeURIComponent('温')}`);
    expect(one.status).toBe(400);
    expect(one.html).toContain('至少需要两个字');
  });

  it('issues a licence without expiry (长期) from the form; its page says 长期', async () => {
    const clerk = await w.signedIn('clerk', 'long');
    const id = await issueThroughConsole(clerk, { ...businessFields(freshCreditCode()), longTerm: '1' });
    expect(w.t.store.sqlite.prepare('SELECT valid_until FROM licences WHERE id = ?').get(id)).toEqual({ valid_until: null });
    expect((await clerk.page(`/console/licences/${id}`)).html).toContain('长期');
    // Found by its licence identifier (证照标识); one mistyped character is named, not searched.
    const { licence_identifier: identifier } = w.t.store.sqlite.prepare('SELECT licence_identifier FROM licences WHERE id = ?').get(id) as { licence_identifier: string };
    expect((await clerk.page(`/console/licences?q=${identifier}`)).html).toContain(`/console/licences/${id}`);
    const typo = `${identifier.slice(0, 20)}${identifier[20] === '7' ? '8' : '7'}${identifier.slice(21)}`;
    expect((await clerk.page(`/console/licences?q=${typo}`)).html).toContain('check character does not match');
  });

  it('suspends, reinstates and revokes with a legal reason after a confirmation that says what will happen; the history names the staff member', async () => {
    const supervisor = await w.signedIn('supervisor', 'sup');
    const id = await issueThroughConsole(supervisor, businessFields(freshCreditCode()));
    await supervisor.page(`/console/licences/${id}`);
    const confirm = await supervisor.submit(`/console/licences/${id}/suspend`, { reason: 'investigation', note: '现场检查' });
    expect(confirm.html).toContain('请确认');
    expect(confirm.html).toContain('已暂停');
    expect(licenceRow(id).status).toBe('active');
    const done = await supervisor.submit(`/console/licences/${id}/suspend`, { reason: 'investigation', note: '现场检查', confirm: '1' });
    expect(done.html).toContain('证照已暂停');
    expect(licenceRow(id)).toEqual({ status: 'suspended', status_reason: 'investigation' });
    await supervisor.submit(`/console/licences/${id}/reinstate`, { reason: 'remedied', confirm: '1' });
    expect(licenceRow(id).status).toBe('active');
    const bad = await supervisor.post(`/console/licences/${id}/revoke`, { reason: 'superseded', confirm: '1' });
    expect(bad.status).toBe(400);
    const revoked = await supervisor.submit(`/console/licences/${id}/revoke`, { reason: 'penalty', note: '吊销', confirm: '1' });
    expect(revoked.html).toContain('证照已终止');
    expect(licenceRow(id)).toEqual({ status: 'revoked', status_reason: 'penalty' });
    expect(revoked.html).toMatch(/supervisor \d+ \(sup\)/);
    const staffId = accountRow('sup')['id'];
    const entries = w.t.store.sqlite.prepare('SELECT action, staff_id, actor FROM audit_log WHERE subject_id = ? ORDER BY seq').all(id) as { staff_id: string; actor: string }[];
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry.staff_id).toBe(staffId);
      expect(entry.actor).toMatch(/^session:/);
    }
    expect(await verifyAuditChain(w.t.store.db)).toMatchObject({ ok: true });
    // An altered staff member breaks the chain.
    w.t.store.sqlite.prepare("UPDATE audit_log SET staff_id = 'someone-else' WHERE subject_id = ? AND action = 'licence.revoked'").run(id);
    expect(await verifyAuditChain(w.t.store.db)).toMatchObject({ ok: false });
  });

  it('amends one field: prefilled form, only the change goes into the merge patch, a confirmation, then the successor', async () => {
    const clerk = await w.signedIn('clerk');
    const id = await issueThroughConsole(clerk, businessFields(freshCreditCode()));
    const form = await clerk.page(`/console/licences/${id}/amend`);
    expect(form.html).toContain('value="杭州云栖智算科技有限公司"');
    // Only the changed field is sent (as the browser script does).
    const confirm = await clerk.submit(`/console/licences/${id}/amend`, { 'f.address': '浙江省杭州市西湖区云栖小镇99号', note: '住所变更' });
    expect(confirm.html).toContain('请确认');
    const patch = JSON.parse(/name="patch" value="([^"]+)"/.exec(confirm.html)![1]!.replace(/&quot;/g, '"'));
    expect(patch).toEqual({ address: '浙江省杭州市西湖区云栖小镇99号' });
    const done = await clerk.submit(`/console/licences/${id}/amend`, { patch: JSON.stringify(patch), note: '住所变更', confirm: '1' });
    expect(done.html).toContain('已换发变更后的新证照');
    expect(done.html).toContain('云栖小镇99号');
    expect(done.html).toContain(`/console/licences/${id}`);
    expect(licenceRow(id)).toEqual({ status: 'revoked', status_reason: 'superseded' });
    // Nothing changed: said so, nothing issued.
    const newId = /\/console\/licences\/([0-9a-f-]{36})\?done=amend/.exec(done.location ?? '')![1]!;
    const nothing = await clerk.submit(`/console/licences/${newId}/amend`, {});
    expect(nothing.status).toBe(400);
    expect(nothing.html).toContain('没有修改任何内容');
  });

  it('prints the A4, A5 and wall-card layouts from the licence page', async () => {
    const clerk = await w.signedIn('clerk');
    const id = await issueThroughConsole(clerk, businessFields(freshCreditCode()));
    for (const [format, size] of [
      ['a4', 'A4 portrait'],
      ['a5', 'A5 portrait'],
      ['card', '148mm 105mm'],
    ]) {
      const card = await clerk.page(`/console/licences/${id}/card?format=${format}`);
      expect(card.status).toBe(200);
      expect(card.html).toContain(`@page{size:${size}`);
      expect(card.html).toContain('杭州云栖智算科技有限公司');
    }
  });
});

describe('hostile input', () => {
  const MARKUP = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"];

  it('no page reflects markup unescaped: issue form fields, the search box, notes, account names', async () => {
    const admin = await w.signedIn('admin', 'admin');
    for (const markup of MARKUP) {
      // Unescaped, the markup (or its tags) would appear as is; escaped, only as &lt;…
      const raw = (html: string) => html.includes(markup) || html.includes('<script>alert') || html.includes('<img src=x') || html.includes('<svg onload');
      // Every text field of the form, with a bad credit code so the form comes back filled in.
      const form = await admin.page('/console/issue/BusinessLicence');
      const fields = Object.fromEntries(Object.entries(businessFields(`X${markup}`)).map(([k, v]) => [k, k.startsWith('f.') && k !== 'f.establishedOn' ? `${v}${markup}` : v]));
      const back = await admin.submit('/console/issue/BusinessLicence', { ...fields, validFrom: markup, validUntil: markup, idempotencyKey: idempotencyKeyOf(form.html) });
      expect(back.status).toBe(400);
      expect(raw(back.html)).toBe(false);
      // A licence whose every text field carries the markup: its page, its card, a search and its history.
      const id = await issueThroughConsole(
        admin,
        Object.fromEntries(
          Object.entries(businessFields(freshCreditCode())).map(([k, v]) => [k, k.startsWith('f.') && !['f.creditCode', 'f.establishedOn'].includes(k) ? `${v}${markup}` : v]),
        ),
      );
      for (const path of [
        `/console/licences/${id}`,
        `/console/licences/${id}/card?format=a4`,
        `/console/licences/${id}/amend`,
        `/console/licences?q=${encodeURIComponent(markup)}`,
        `/console/licences?q=${encodeURIComponent(`云栖${markup}`)}&type=${encodeURIComponent(markup)}&from=${encodeURIComponent(markup)}`,
      ]) {
        expect(raw((await admin.page(path)).html), path).toBe(false);
      }
      await admin.page(`/console/licences/${id}`);
      const confirm = await admin.submit(`/console/licences/${id}/suspend`, { reason: 'investigation', note: markup });
      expect(raw(confirm.html)).toBe(false);
      const history = await admin.submit(`/console/licences/${id}/suspend`, { reason: 'investigation', note: markup, confirm: '1' });
      expect(raw(history.html)).toBe(false);
      await admin.page('/console/accounts');
      const created = await admin.submit('/console/accounts', { name: markup, login: `u${MARKUP.indexOf(markup)}x`, role: 'clerk' });
      expect(raw(created.html)).toBe(false);
      await admin.page('/console/accounts');
      const refused = await admin.submit('/console/accounts', { name: 'ok', login: markup, role: 'clerk' });
      expect(raw(refused.html)).toBe(false);
      const signIn = await w.client().signIn(markup, markup);
      expect(raw(signIn.html)).toBe(false);
      expect(raw((await admin.page(`/console/sign-in?next=${encodeURIComponent(markup)}`)).html)).toBe(false);
    }
  });

  it('a registered type with markup in its names and labels: picker, generated form (and its schema for the script), licence page', async () => {
    const register = await w.t.call('POST', '/v1/licence-types', {
      body: {
        code: 'HostileLicence',
        name: { zh: '恶意<img src=x onerror=alert(1)>', en: 'Evil</title><script>alert(1)</script>' },
        schemaVersion: '1',
        schema: {
          type: 'object',
          properties: {
            creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Credit code' },
            name: { type: 'string', title: '名称</script><script>alert(1)</script>', 'x-title-en': '<b onmouseover=alert(1)>Name', pattern: '^[^<]*$' },
          },
          required: ['creditCode', 'name'],
          additionalProperties: false,
        },
        catalogueCode: 'EYXK',
        numberField: 'creditCode',
        holderNameField: 'name',
      },
    });
    expect(register.status).toBe(201);
    await authoriseType(w.t, 'HostileLicence');
    const raw = (html: string) => html.includes('<script>alert') || html.includes('<img src=x') || html.includes('<b onmouseover') || html.includes('</script><script>');
    for (const lang of ['zh', 'en']) {
      const clerk = await w.signedIn('clerk');
      await clerk.page(`/console/licences?lang=${lang}`);
      expect(raw((await clerk.page('/console/issue')).html)).toBe(false);
      const form = await clerk.page('/console/issue/HostileLicence');
      expect(raw(form.html)).toBe(false);
      // The schema handed to the script cannot close its element.
      expect(form.html).toContain('\\u003c/script>');
      const issued = await clerk.submit('/console/issue/HostileLicence', { 'f.creditCode': freshCreditCode(), 'f.name': 'plain', idempotencyKey: idempotencyKeyOf(form.html) });
      expect(raw(issued.html)).toBe(false);
      expect(issued.location).toMatch(/\/console\/licences\//);
    }
  });

  it('an open redirect through ?next= is refused', async () => {
    const user = w.client();
    await user.page(`/console/sign-in?next=${encodeURIComponent('//evil.example/x')}`);
    const res = await user.post('/console/sign-in', { login: 'admin', password: FIRST_PASSWORD, next: 'https://evil.example/' });
    expect(res.headers.get('location')).toBe('/console/password');
    await user.page('/console/password');
    await user.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD });
    const again = w.client();
    await again.page('/console/sign-in');
    const res2 = await again.post('/console/sign-in', { login: 'admin', password: OWN_PASSWORD, next: '//evil.example/x' });
    expect(res2.status, await res2.clone().text()).toBe(303);
    expect(res2.headers.get('location')).toBe('/console');
  });
});

describe('administration and the trust register', () => {
  it('an admin registers a licence type from the console (the API’s own checks), rotates the key and verifies the audit log', async () => {
    const admin = await w.signedIn('admin', 'admin');
    await admin.page('/console/admin');
    const schema = {
      type: 'object',
      properties: {
        creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Credit code' },
        shopName: { type: 'string', title: '店名', 'x-title-en': 'Shop name', minLength: 1 },
      },
      required: ['creditCode', 'shopName'],
      additionalProperties: false,
    };
    const bad = await admin.submit('/console/admin/types', {
      code: 'ShopLicence',
      nameZh: '店铺许可',
      nameEn: 'Shop licence',
      schemaVersion: '1',
      schema: JSON.stringify({ ...schema, additionalProperties: true }),
    });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('additionalProperties');
    await admin.page('/console/admin');
    const ok = await admin.submit('/console/admin/types', {
      code: 'ShopLicence',
      nameZh: '店铺许可',
      nameEn: 'Shop licence',
      schemaVersion: '1',
      schema: JSON.stringify(schema),
      catalogueCode: 'DPXK',
      numberField: 'creditCode',
      holderNameField: 'shopName',
    });
    expect(ok.html).toContain('已登记证照类型 ShopLicence');
    expect((await admin.page('/console/issue/ShopLicence')).html).toContain('<label for="f-shopName">店名</label>');
    await admin.page('/console/admin');
    const keysBefore = w.t.store.sqlite.prepare("SELECT count(*) AS n FROM signing_keys WHERE owner_kind = 'authority'").get() as { n: number };
    expect((await admin.submit('/console/admin/keys/rotate', {})).html).toContain('已启用新的签名密钥');
    expect(w.t.store.sqlite.prepare("SELECT count(*) AS n FROM signing_keys WHERE owner_kind = 'authority'").get()).toEqual({ n: keysBefore.n + 1 });
    await admin.page('/console/admin');
    expect((await admin.submit('/console/admin/audit/verify', {})).html).toMatch(/审计日志完整：共 \d+ 条/);
    // Both changes name the admin in the audit log.
    const adminId = accountRow('admin')['id'];
    const named = w.t.store.sqlite.prepare("SELECT action FROM audit_log WHERE staff_id = ? AND action IN ('licenceType.registered', 'key.activated') ORDER BY seq").all(adminId);
    expect(named).toEqual([{ action: 'licenceType.registered' }, { action: 'key.activated' }]);
    // A clerk may not.
    const clerk = await w.signedIn('clerk');
    expect((await clerk.page('/console/admin')).status).toBe(403);
    await clerk.page('/console/licences');
    expect((await clerk.post('/console/admin/keys/rotate', {})).status).toBe(403);
  });

  it('an anchor operator sees the trust register and nothing of a city’s licences; others do not see the register', async () => {
    await createAccount(w.t.deps, { authorityId: 'dev-city', login: 'anchor-op', name: '信任锚操作员', role: 'anchor', password: FIRST_PASSWORD }, 'system');
    const anchor = w.client();
    await anchor.signIn('anchor-op', FIRST_PASSWORD);
    await anchor.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD });
    const home = await anchor.get('/console');
    expect(home.headers.get('location')).toBe('/console/trust');
    const register = await anchor.page('/console/trust');
    expect(register.status).toBe(200);
    expect(register.html).toContain('开发市市场监督管理局');
    expect((await anchor.page('/console/licences')).status).toBe(403);
    expect((await anchor.page('/console/issue')).status).toBe(403);
    const admin = await w.signedIn('admin', 'admin');
    expect((await admin.page('/console/trust')).status).toBe(403);
  });
});

describe('staff in the audit log', () => {
  it('entries written by the console carry staff_id; token entries do not, and hash as before', async () => {
    const clerk = await w.signedIn('clerk', 'aud');
    await issueThroughConsole(clerk, businessFields(freshCreditCode()));
    await w.t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode() }) } });
    const rows = await w.t.store.db.select().from(auditLog);
    const issued = rows.filter((r) => r.action === 'licence.issued');
    const staffId = (await w.t.store.db.select().from(staffAccounts)).find((a) => a.login === 'aud')!.id;
    expect(issued.map((r) => r.staffId)).toEqual([staffId, null]);
    expect(await verifyAuditChain(w.t.store.db)).toMatchObject({ ok: true });
  });
});
