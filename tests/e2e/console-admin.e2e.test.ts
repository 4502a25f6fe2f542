/**
 * The console's administration end to end in headless Chromium, by label (the pages' own words from
 * MESSAGES): an admin registers a licence type with the schema editor (its form shows live as the
 * schema is typed), the anchor operator authorises it for the authority on the trust register page, and
 * the admin issues one through the generated form; creates an API token for a program (it
 * works on /v1 and gets 401 once revoked), rotates the signing key, runs the audit chain check, and
 * changes a clerk's role. An anchor operator registers a federated province (a second deployment,
 * reached through the app's fetch), refreshes it and sees how fresh its data is, and publishes a list.
 * axe finds no serious or critical violation on any of these pages; the token form and the schema
 * editor work from the keyboard alone.
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/console/i18n.js';
import { createAccount, ensureFirstAdmin } from '../../src/services/accounts.js';
import { freshCreditCode } from '../console/codes.js';
import { FIRST_PASSWORD, TEST_HASHING } from '../console/harness.js';
import { createTestContext, type ManualClock, type TestContext } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console admin e2e: SKIPPED, ${CHROMIUM} is missing`);
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };
const m = MESSAGES.zh;
const OWN = 'correct-horse-9281';

const TYPE = {
  code: 'TobaccoRetailLicence',
  name: { zh: '烟草专卖零售许可证', en: 'Tobacco retail licence' },
  schema: {
    type: 'object',
    properties: {
      creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Unified social credit code', format: 'uscc', minLength: 18, maxLength: 18 },
      shopName: { type: 'string', title: '店铺名称', 'x-title-en': 'Shop name', minLength: 1, maxLength: 100 },
      permitNo: { type: 'string', title: '许可证号', 'x-title-en': 'Permit number', minLength: 1, maxLength: 40 },
      scope: { type: 'array', title: '经营范围', 'x-title-en': 'Scope', items: { type: 'string', minLength: 1, maxLength: 100 }, minItems: 1 },
    },
    required: ['creditCode', 'shopName', 'permitNo', 'scope'],
    additionalProperties: false,
  },
};

/** Other deployments the app fetches from (the federated province), reached without a network. */
const hosts = new Map<string, TestContext>();
const router: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const target = hosts.get(new URL(request.url).host);
  if (!target) throw new TypeError(`fetch failed: no host ${new URL(request.url).host}`);
  return target.app.request(request.url, { method: request.method, headers: request.headers });
};

let t: TestContext;
let js: TestContext;
let server: ServerType;
let base: string;
let browser: Browser;
const axeChecked = new Set<string>();

async function axe(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  axeChecked.add(name);
  expect(
    result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    name,
  ).toEqual([]);
}

const visible = (locator: Locator) => locator.first().waitFor({ state: 'visible', timeout: 10_000 });
const containsText = (locator: Locator, text: string) => expect.poll(async () => (await locator.first().textContent()) ?? '', { timeout: 10_000 }).toContain(text);

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error));
  return { context, page };
}

async function signInFirstTime(page: Page, login: string): Promise<void> {
  await page.goto(`${base}/console/sign-in?lang=zh`);
  await page.getByLabel(m.signIn.login).fill(login);
  await page.getByLabel(m.signIn.password, { exact: true }).fill(FIRST_PASSWORD);
  await page.getByRole('button', { name: m.signIn.submit }).click();
  await visible(page.getByRole('heading', { name: m.password.title }));
  await page.getByLabel(m.password.current).fill(FIRST_PASSWORD);
  await page.getByLabel(m.password.next).fill(OWN);
  await page.getByLabel(m.password.repeat).fill(OWN);
  await page.getByRole('button', { name: m.password.submit }).click();
  await containsText(page.getByRole('status'), m.password.done);
}

async function signIn(page: Page, login: string): Promise<void> {
  await page.goto(`${base}/console/sign-in?lang=zh`);
  await page.getByLabel(m.signIn.login).fill(login);
  await page.getByLabel(m.signIn.password, { exact: true }).fill(OWN);
  await page.getByRole('button', { name: m.signIn.submit }).click();
  await page.waitForLoadState('load');
}

/** Tabs from the current focus until `target` has it (at most `max` presses); fails if it never does. */
async function tabTo(page: Page, target: Locator, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('not reached by Tab');
}

describe.skipIf(!haveChromium)('console administration in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await createTestContext({ clock: realClock, fetch: router, config: { passwordHashing: TEST_HASHING } });
    js = await createTestContext({
      clock: realClock,
      fetch: router,
      authority: { id: 'nanjing', name: { zh: '南京市市场监督管理局', en: 'Nanjing AMR' }, jurisdiction: '320100', creditCode: freshCreditCode() },
      config: {
        publicUrl: 'https://js.test',
        anchor: { name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' }, jurisdiction: '320000', ownerId: 'jiangsu', firstAuthority: 'nanjing' },
      },
    });
    hosts.set('js.test', js);
    await ensureFirstAdmin(t.deps, 'dev-city', FIRST_PASSWORD);
    await createAccount(t.deps, { authorityId: 'dev-city', login: 'anchor-op', name: '信任锚操作员', role: 'anchor', password: FIRST_PASSWORD }, 'system');
    await createAccount(t.deps, { authorityId: 'dev-city', login: 'clerk-a', name: '窗口人员甲', role: 'clerk', password: FIRST_PASSWORD }, 'system');
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    const http = server as Server | undefined;
    if (http?.listening) {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
    t?.close();
    js?.close();
    if (axeChecked.size) console.log(`axe: ${axeChecked.size} administration pages checked`);
  });

  it('an admin registers a type with the live form preview and issues one through its generated form', async () => {
    const { context, page } = await newPage();
    await signInFirstTime(page, 'admin');
    await page.getByRole('link', { name: m.nav.admin }).click();
    await page.getByLabel(m.admin.typeCode).fill(TYPE.code);
    await page.getByLabel(m.admin.typeNameZh).fill(TYPE.name.zh);
    await page.getByLabel(m.admin.typeNameEn).fill(TYPE.name.en);
    const preview = page.locator('#type-preview');
    await containsText(preview, m.admin.previewEmpty);
    // Typed from the keyboard: the preview follows, a half-written schema says so.
    await page.getByLabel(m.admin.schema).focus();
    await page.keyboard.type('{"type": "object", "properties": {');
    await containsText(preview, m.admin.previewBad);
    await page.getByLabel(m.admin.schema).fill(JSON.stringify(TYPE.schema, null, 2));
    // The form the schema makes, by the labels it gives, before anything is sent.
    for (const label of ['统一社会信用代码', '店铺名称', '许可证号', '经营范围']) await visible(preview.getByLabel(label, { exact: true }));
    await expect
      .poll(() => page.locator('#schema-fields option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)))
      .toEqual(['creditCode', 'shopName', 'permitNo', 'scope']);
    await page.getByLabel(m.admin.catalogueCode).fill('YCLS');
    await page.getByLabel(m.admin.numberField).fill('permitNo');
    await page.getByLabel(m.admin.holderNameField).fill('shopName');
    await page.getByLabel(m.admin.uniquePerHolder).check();
    await axe(page, 'administration with a schema preview');
    await page.screenshot({ path: join(ARTIFACTS, 'console-admin-type-preview.png'), fullPage: true });
    await page.getByRole('button', { name: m.admin.register }).click();
    await containsText(page.getByRole('status'), m.admin.registered(TYPE.code));
    const stored = (await (await t.call('GET', `/v1/licence-types/${TYPE.code}`)).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({ numberField: 'permitNo', holderNameField: 'shopName', uniquePerHolder: true, catalogueCode: 'YCLS' });
    // The registration says the trust register does not authorise the type yet: the anchor's operator
    // adds it to this authority's entry on the trust register page.
    const operator = await newPage();
    await signInFirstTime(operator.page, 'anchor-op');
    await operator.page.getByRole('link', { name: m.nav.trust }).click();
    const types = operator.page.locator('table').getByRole('textbox', { name: m.trust.types }).first();
    await types.fill(`${await types.inputValue()}\n${TYPE.code}`);
    await operator.page.getByRole('button', { name: m.trust.saveTypes }).first().click();
    await containsText(operator.page.getByRole('status'), m.trust.changed);
    await axe(operator.page, 'trust register');
    await operator.context.close();

    await page.getByRole('link', { name: m.nav.issue }).click();
    await page.getByRole('link', { name: TYPE.name.zh, exact: true }).click();
    await visible(page.getByRole('heading', { name: m.issue.formTitle(TYPE.name.zh) }));
    await page.getByLabel('统一社会信用代码', { exact: true }).fill(freshCreditCode());
    await page.getByLabel('店铺名称', { exact: true }).fill('杭州西湖便利店');
    await page.getByLabel('许可证号', { exact: true }).fill('330106100123');
    await page.getByLabel('经营范围', { exact: true }).fill('卷烟零售\n雪茄烟零售');
    await page.getByRole('button', { name: m.issue.submit }).click();
    await containsText(page.getByRole('status'), m.issue.issued.slice(0, 4));
    await containsText(page.getByRole('heading', { level: 1 }), '杭州西湖便利店');
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM licences WHERE type = ?').get(TYPE.code)).toEqual({ n: 1 });
    await context.close();
  }, 120_000);

  it('an admin creates an API token from the keyboard (shown once), it works on /v1, then is revoked: 401', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin');
    await page.getByRole('link', { name: m.nav.tokens }).click();
    await visible(page.getByRole('heading', { name: m.tokens.title }));
    await axe(page, 'API tokens');
    // Keyboard alone: the name, a scope ticked with Space, the button reached by Tab and pressed with Enter.
    await page.getByLabel(m.tokens.name).focus();
    await page.keyboard.type('审批系统');
    const read = page.getByRole('checkbox', { name: new RegExp(`^${m.tokens.scopeNames['read']} read`) });
    await tabTo(page, read);
    await page.keyboard.press('Space');
    expect(await read.isChecked()).toBe(true);
    await tabTo(page, page.getByRole('button', { name: m.tokens.submit }));
    await page.keyboard.press('Enter');
    await containsText(page.getByRole('status'), m.tokens.created('审批系统'));
    const token = (await page.locator('#new-token').textContent())!;
    expect(token).toMatch(/^elk_/);
    await axe(page, 'API tokens (created)');
    const v1 = (bearer: string) => fetch(`${base}/v1/keys`, { headers: { Authorization: `Bearer ${bearer}` } });
    expect((await v1(token)).status).toBe(200);
    // Shown once: the list no longer holds it.
    await page.goto(`${base}/console/tokens`);
    expect(await page.content()).not.toContain(token);

    await page.getByRole('button', { name: `${m.tokens.revoke} 审批系统` }).click();
    await containsText(page.getByRole('status'), m.tokens.revokedNotice);
    expect((await v1(token)).status).toBe(401);
    await context.close();
  }, 120_000);

  it('an admin rotates the signing key, runs the audit chain check and changes a clerk’s role', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin');
    await page.getByRole('link', { name: m.nav.admin }).click();
    const keys = page.locator('section[aria-labelledby="keys"] tbody tr');
    expect(await keys.count()).toBe(1);
    await page.getByRole('button', { name: m.admin.rotate }).click();
    await containsText(page.getByRole('status'), m.admin.rotated);
    expect(await keys.count()).toBe(2);
    // The rotated-out key still verifies; its row says what it signed and what retiring it would break.
    await containsText(keys.first(), m.admin.published);
    await containsText(keys.first(), m.admin.retireWarning(1));
    await visible(page.getByRole('button', { name: new RegExp(`^${m.admin.retire} `) }));

    await page.getByRole('button', { name: m.admin.verify }).click();
    await containsText(page.getByRole('status'), '审计日志完整');
    await axe(page, 'administration: keys and audit');
    await page.screenshot({ path: join(ARTIFACTS, 'console-admin-keys-audit.png'), fullPage: true });

    await page.getByRole('link', { name: m.nav.accounts }).click();
    await page.getByLabel(m.accounts.newRole('clerk-a')).selectOption('supervisor');
    await page.getByRole('button', { name: `${m.accounts.changeRole} clerk-a` }).click();
    await containsText(page.getByRole('status'), m.accounts.roleChanged('clerk-a'));
    expect(t.store.sqlite.prepare("SELECT role FROM staff_accounts WHERE login = 'clerk-a'").get()).toEqual({ role: 'supervisor' });
    await axe(page, 'staff accounts');
    await context.close();
  }, 120_000);

  it('an anchor operator registers a federated province, sees its freshness, refreshes it and publishes a list', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'anchor-op');
    await page.getByRole('link', { name: m.nav.trust }).click();
    await visible(page.getByRole('heading', { name: m.admin.register_ }));
    await page.getByRole('link', { name: m.nav.provinces }).click();
    await visible(page.getByRole('heading', { name: m.provinces.title, level: 1 }));
    await page.getByLabel(m.provinces.id).fill('did:web:js.test:anchors:jiangsu');
    await page.getByLabel(m.provinces.nameZh).fill('江苏省市场监督管理局');
    await page.getByLabel(m.provinces.nameEn).fill('Jiangsu AMR');
    await page.getByLabel(m.provinces.keysUrl).fill('https://js.test/.well-known/trust-anchor.json');
    await page.getByLabel(m.provinces.bundleUrl).fill('https://js.test/verifier-bundle');
    const add = page.locator('form[action="/console/trust/provinces"]');
    await add.getByLabel(m.provinces.prefixes).fill('did:web:js.test:');
    await add.getByLabel(m.provinces.jurisdictions).fill('32');
    await add.getByLabel(m.provinces.types).fill('BusinessLicence');
    await axe(page, 'federated provinces (empty)');
    await page.getByRole('button', { name: m.provinces.submit, exact: true }).click();
    await containsText(page.getByRole('status'), m.provinces.added('did:web:js.test:anchors:jiangsu'));
    const province = page.getByRole('region', { name: /江苏省市场监督管理局/ });
    await containsText(province, m.provinces.states['never']!);

    await page.getByRole('button', { name: `${m.provinces.refresh} 江苏省市场监督管理局` }).click();
    await containsText(page.getByRole('status'), m.provinces.refreshed(m.provinces.outcomes['updated']!));
    await containsText(province, m.provinces.states['fresh']!);
    await containsText(province, '#1 · ');
    await containsText(province, m.provinces.ago(0));
    await axe(page, 'federated provinces (fresh)');
    await page.screenshot({ path: join(ARTIFACTS, 'console-provinces.png'), fullPage: true });

    await page.getByRole('link', { name: m.nav.trust }).click();
    await page.getByRole('button', { name: m.trust.publish }).click();
    await containsText(page.getByRole('status'), m.trust.published(2).slice(0, 3));
    const list = (await (await fetch(`${base}/trust-list`, { headers: { Accept: 'application/json' } })).json()) as { federatedAnchors: { id: string }[] };
    expect(list.federatedAnchors.map((a) => a.id)).toEqual(['did:web:js.test:anchors:jiangsu']);
    await context.close();
  }, 120_000);
});
