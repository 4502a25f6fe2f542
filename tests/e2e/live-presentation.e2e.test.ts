/**
 * Live presentation end to end (issue 24) in headless Chromium, with separate browser contexts for the
 * business's phone and the agent's phone; the inspector is the offline verifier library with a bundle
 * fetched from the server. The business opens its holder link, sets its phone up for live QR (a
 * non-extractable WebCrypto key registered through the holder API), shows the licence: a live EL2 QR,
 * read back from a screenshot by zbarimg, is VALID and `live`; the same text 3 minutes later is
 * `static`; removing the device makes its bound copy REVOKED after a fresh sync while the licence stays
 * valid. An agent authorised from the business's phone accepts the link on their own phone and shows a
 * live QR: VALID with the matters; revoking it is REVOKED after sync; revoking the licence ends a
 * second authorisation too. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifierApp, DEFAULT_VERIFIER_OUT_DIR } from '../../scripts/build-verifier.js';
import { parseBundle } from '../../src/core/bundle.js';
import { TEXTS } from '../../src/holder/web/i18n.js';
import { verify } from '../../verifier/index.js';
import { businessSubject, createTestContext, type ManualClock, type TestContext } from '../helpers/app.js';
import { buildOwnHolderApp } from '../helpers/own-builds.js';
import { ZBARIMG_QR_ARGS } from '../helpers/qr-read.js';
import { freshCreditCode } from '../shared/subjects.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM) && existsSync('/usr/bin/zbarimg');
if (!haveChromium) console.warn(`live-presentation e2e: SKIPPED, ${CHROMIUM} or zbarimg is missing`);

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };
const zh = TEXTS.zh;

let t: TestContext;
let server: ServerType;
let base: string;
let browser: Browser;
let business: BrowserContext;
let agentPhone: BrowserContext;
let inspector: BrowserContext;
let page: Page;
let workDir: string;
const A = freshCreditCode();
let licence: { id: string; licenceIdentifier: string };

const linkOn = (link: string) => link.replace('https://elicence.test', base);

async function anchors() {
  return (await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).json()) as { anchorId: string; keys: object[] };
}

/** What the inspector's phone holds after a sync: a fresh bundle from the server. */
async function freshBundle() {
  const response = await t.call('GET', '/verifier-bundle', { token: null });
  expect(response.status).toBe(200);
  return parseBundle(await response.text());
}

async function inspect(text: string, now = Date.now()) {
  return verify(text, await freshBundle(), { anchors: await anchors(), now });
}

/** Reads the QR on screen as a camera would: a screenshot of the image, decoded by zbarimg. */
async function scan(on: Page, name: string): Promise<string> {
  const file = join(workDir, `${name}.png`);
  await on.locator('#show-qr').screenshot({ path: file });
  await on.screenshot({ path: join(ARTIFACTS, `live-${name}.png`), fullPage: true });
  return execFileSync('zbarimg', [...ZBARIMG_QR_ARGS, file], { encoding: 'utf8' }).trim();
}

/** The page redraws the live QR just after each 30-second boundary: a scan and a read of the page that straddle one disagree. */
async function awayFromSlotBoundary(on: Page): Promise<void> {
  const into = Date.now() % 30_000;
  if (into < 1_000 || into > 24_000) await on.waitForTimeout((31_000 - into) % 30_000);
}

async function axe(on: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page: on }).analyze();
  expect(
    result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    name,
  ).toEqual([]);
}

/** The agent's phone opens an invitation link created on the business's phone; returns its page. */
async function authoriseAgent(name: string, matters: string): Promise<Page> {
  await page.locator('#agent-name').fill(name);
  await page.locator('#agent-id').fill('3301**********1234');
  await page.locator('#agent-matters').fill(matters);
  const until = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
  await page.locator('#agent-until').fill(until);
  await page.locator('#agent-form button[type="submit"]').click();
  await page.locator('#agent-link-box:not([hidden])').waitFor({ timeout: 15_000 });
  const link = await page.locator('#agent-link').inputValue();
  expect(link).toMatch(/\/holder\/agent#i=/);
  const agentPage = await agentPhone.newPage();
  agentPage.on('pageerror', (error) => console.error('agent page error:', error));
  await agentPage.goto(linkOn(link));
  await agentPage.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
  // The one-time code leaves the address bar at once.
  expect(await agentPage.evaluate(() => location.hash)).toBe('');
  return agentPage;
}

describe.skipIf(!haveChromium)('live presentation and agents in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    workDir = mkdtempSync(join(tmpdir(), 'live-e2e-'));
    await buildOwnHolderApp();
    if (!existsSync(join(DEFAULT_VERIFIER_OUT_DIR, 'index.html'))) await buildVerifierApp({ quiet: true });
    t = await createTestContext({ clock: realClock });
    const res = await t.call('POST', '/v1/licences', {
      body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: A, name: '杭州动态码示例科技有限公司' }), validUntil: '2031-05-31' },
    });
    expect(res.status).toBe(201);
    licence = (await res.json()) as typeof licence;
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    business = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, serviceWorkers: 'block' });
    agentPhone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, serviceWorkers: 'block' });
    inspector = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, serviceWorkers: 'block' });
    page = await business.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server?.listening) {
      (server as Server).closeAllConnections();
      await new Promise((resolve) => (server as Server).close(resolve));
    }
    t?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  let liveText = '';

  it('without a device the app shows the static QR with a clear note; after "use this phone" it shows a live EL2 QR the offline verifier finds VALID and live', async () => {
    const access = (await (await t.call('POST', `/v1/licences/${licence.id}/holder-access`)).json()) as { link: string };
    await page.goto(linkOn(access.link));
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    const card = page.locator(`article[data-id="${licence.id}"]`);
    await card.waitFor({ timeout: 15_000 });

    await card.getByRole('button', { name: zh.show }).click();
    await page.locator('#show:not([hidden])').waitFor();
    expect(await page.locator('#show-live').getAttribute('data-mode')).toBe('static');
    expect(await page.locator('#show-live').textContent()).toBe(zh.staticNote);
    expect(await scan(page, 'static')).toMatch(/^EL1:/);
    await page.locator('#show-close').click();

    await page.locator('#register-device').click();
    await expect.poll(() => page.locator('#device-state').textContent(), { timeout: 15_000 }).toBe(zh.deviceReady);
    await expect.poll(() => page.locator('#device-list li').count()).toBe(1);
    // The private key is a non-extractable CryptoKey in IndexedDB.
    const keyInfo = await page.evaluate(
      () =>
        new Promise<{ extractable: boolean; type: string; algorithm: string }>((resolve, reject) => {
          const open = indexedDB.open('elicence-holder');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('kv').objectStore('kv').get('device');
            get.onsuccess = () => {
              const key = get.result.keys.privateKey as CryptoKey;
              resolve({ extractable: key.extractable, type: key.type, algorithm: (key.algorithm as EcKeyAlgorithm).namedCurve });
            };
          };
        }),
    );
    expect(keyInfo).toEqual({ extractable: false, type: 'private', algorithm: 'P-256' });
    await axe(page, 'list with devices and agents');

    await card.getByRole('button', { name: zh.show }).click();
    await page.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.evaluate(() => (document.getElementById('show-qr') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await awayFromSlotBoundary(page);
    liveText = await scan(page, 'live');
    expect(liveText).toMatch(/^EL2:\d+$/);
    expect(liveText).toBe(await page.locator('#show-qr').getAttribute('data-qr-text'));
    await expect.poll(() => page.locator('#show-text').textContent()).toContain(licence.licenceIdentifier);
    await axe(page, 'live QR shown');

    const now = Date.now();
    const result = await inspect(liveText, now);
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    // A screenshot of it checked 3 minutes later: the licence is still valid, nothing proves who shows it.
    const later = await inspect(liveText, now + 3 * 60_000);
    expect(later.verdict).toBe('VALID');
    expect(later.presentation).toBe('static');
  }, 90_000);

  it("the inspectors' web app in a third context, synced from the server, finds the phone's live QR VALID and live", async () => {
    const app = await inspector.newPage();
    app.on('pageerror', (error) => console.error('inspector page error:', error));
    await app.goto(`${base}/verify/`);
    await app.locator('body[data-ready="true"]').waitFor({ timeout: 15_000 });
    await app.click('#sync');
    await app.locator('#anchors-dialog[open]').waitFor({ timeout: 15_000 });
    await app.click('#anchors-confirm');
    await app.locator('body[data-synced]').waitFor({ timeout: 15_000 });
    const text = (await page.locator('#show-qr').getAttribute('data-qr-text'))!;
    if (!(await app.locator('.paste[open]').count())) await app.click('.paste summary');
    await app.fill('#paste-text', text);
    await app.click('#paste-form button[type="submit"]');
    const result = app.locator('#result:not([hidden])');
    await result.waitFor({ timeout: 15_000 });
    await app.screenshot({ path: join(ARTIFACTS, 'live-inspector.png'), fullPage: true });
    expect(await result.getAttribute('data-verdict')).toBe('VALID');
    expect(await app.locator('#presentation').getAttribute('data-presentation')).toBe('live');
    await app.close();
  }, 60_000);

  it('the live QR changes at the next 30-second slot, signed again by the same key; offline it is still live (the key signs on the phone)', async () => {
    const first = await page.locator('#show-qr').getAttribute('data-qr-text');
    await expect.poll(() => page.locator('#show-qr').getAttribute('data-qr-text'), { timeout: 40_000, interval: 1000 }).not.toBe(first);
    const next = (await page.locator('#show-qr').getAttribute('data-qr-text'))!;
    const result = await inspect(next);
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    await page.locator('#show-close').click();

    await business.setOffline(true);
    await page.locator(`article[data-id="${licence.id}"]`).getByRole('button', { name: zh.show }).click();
    await page.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    const offline = (await page.locator('#show-qr').getAttribute('data-qr-text'))!;
    await page.locator('#show-close').click();
    await business.setOffline(false);
    expect((await inspect(offline)).presentation).toBe('live');
  }, 60_000);

  it('an agent authorised from the business phone shows a live QR on their own phone: VALID with the matters; revoked: REVOKED after sync', async () => {
    const agentPage = await authoriseAgent('李代办', 'tax-filing, bank-account');
    await agentPage.locator('#agent-auths li[data-authorisation]').waitFor({ timeout: 15_000 });
    await agentPage.locator('#agent-auths').getByRole('button', { name: zh.agentShow }).click();
    await agentPage.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    const text = await scan(agentPage, 'agent');
    expect(text).toMatch(/^EL2:/);
    await axe(agentPage, 'agent live QR');
    const result = await inspect(text);
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    expect(result.authorisation).toMatchObject({ matters: ['tax-filing', 'bank-account'] });
    expect(JSON.stringify(result.authorisation)).toContain('李代办');

    // The business revokes it from its phone.
    await page.reload();
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    const item = page.locator('#agent-list li[data-authorisation]').first();
    await item.waitFor({ timeout: 15_000 });
    await item.getByRole('button', { name: zh.revoke }).click();
    await expect.poll(() => page.locator('#agent-list').getByRole('button', { name: zh.revoke }).count(), { timeout: 15_000 }).toBe(0);
    expect((await inspect(text)).verdict).toBe('REVOKED');
    await agentPage.close();
  }, 90_000);

  it("amending the licence re-issues the phone's bound copy and the agent's authorisation: both apps pick them up online and show them live", async () => {
    const agentPage = await authoriseAgent('钱代办', 'permit-renewal');
    await agentPage.locator('#agent-auths li[data-authorisation]').first().waitFor({ timeout: 15_000 });
    const before = (await agentPage.locator('#agent-auths li[data-authorisation]').first().getAttribute('data-authorisation'))!;

    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subjectPatch: { address: '杭州市西湖区新地址 8 号' } } });
    expect(res.status, await res.clone().text()).toBe(201);
    const amended = (await res.json()) as typeof licence;
    expect(amended.id).not.toBe(licence.id);
    // The old bound copy is refused now (superseded).
    expect((await inspect(liveText)).verdict).toBe('REVOKED');

    await page.reload();
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    const card = page.locator(`article[data-id="${amended.id}"]`);
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.evaluate(() => document.getElementById('device-state')?.textContent), { timeout: 15_000 }).toBe(zh.deviceReady);
    await card.getByRole('button', { name: zh.show }).click();
    await page.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    liveText = (await page.locator('#show-qr').getAttribute('data-qr-text'))!;
    await page.locator('#show-close').click();
    const shown = await inspect(liveText);
    expect(shown.verdict).toBe('VALID');
    expect(shown.presentation).toBe('live');
    expect(shown.licence?.id).toContain(amended.id);

    // The agent's phone, online again, asks for the current form with a live proof of the old one.
    await agentPage.reload();
    await agentPage.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => agentPage.locator('#agent-auths li[data-authorisation]').first().getAttribute('data-authorisation'), { timeout: 15_000 }).not.toBe(before);
    await agentPage.locator('#agent-auths').getByRole('button', { name: zh.agentShow }).first().click();
    await agentPage.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    const agentText = (await agentPage.locator('#show-qr').getAttribute('data-qr-text'))!;
    const agentResult = await inspect(agentText);
    expect(agentResult.verdict).toBe('VALID');
    expect(agentResult.authorisation?.licence.id).toContain(amended.id);
    expect(agentResult.authorisation?.matters).toEqual(['permit-renewal']);
    await agentPage.close();
    licence = amended;
  }, 90_000);

  it('removing the device revokes its bound copy after sync; the licence stays valid', async () => {
    const before = await inspect(liveText);
    expect(before.presentation).not.toBe('proofFailed');
    await page.locator('#device-list').getByRole('button', { name: zh.remove }).click();
    await expect.poll(() => page.locator('#device-state').textContent(), { timeout: 15_000 }).toBe(zh.deviceNone);
    expect((await inspect(liveText)).verdict).toBe('REVOKED');
    const plain = (await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as { credential: string; status: string };
    expect(plain.status).toBe('active');
    expect((await inspect(plain.credential)).verdict).toBe('VALID');
    // Back to the static QR with its note.
    await page.locator(`article[data-id="${licence.id}"]`).getByRole('button', { name: zh.show }).click();
    await page.locator('#show-live[data-mode="static"]').waitFor({ timeout: 15_000 });
    await page.locator('#show-close').click();
  }, 60_000);

  it("revoking the licence ends an agent's authorisation too (its status entries are the licence's)", async () => {
    const agentPage = await authoriseAgent('王代办', '');
    await agentPage.locator('#agent-auths').getByRole('button', { name: zh.agentShow }).first().click();
    await agentPage.locator('#show-live[data-mode="live"]').waitFor({ timeout: 15_000 });
    const text = (await agentPage.locator('#show-qr').getAttribute('data-qr-text'))!;
    const valid = await inspect(text);
    expect(valid.verdict).toBe('VALID');
    expect(valid.authorisation).toMatchObject({ matters: 'all' });
    const revoked = await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } });
    expect(revoked.status, await revoked.clone().text()).toBe(200);
    expect((await inspect(text)).verdict).toBe('REVOKED');
  }, 60_000);
});
