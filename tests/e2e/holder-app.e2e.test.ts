/**
 * The holder app end to end in real headless Chromium (Debian `chromium` driven by playwright-core):
 * the agency API creates holder access; a second browser context (the business's phone) opens the
 * link, which leaves the address bar at once; the app lists the business's licences with status and
 * its age, downloads the QR PNG (read back by zbarimg, an independent decoder, to the licence's QR
 * text) and the A4 card (printed to PDF); shows the licence full screen with its text alternative;
 * goes offline and still shows them with their age; rotating the code ends the old session. Every
 * request the server saw (an access log) and everything it printed are searched for the code. axe
 * finds no serious or critical violation. Screenshots go to test-artifacts/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type ServerType, serve } from '@hono/node-server';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { groupedCheckCode, qrCheckCode } from '../../src/core/check-code.js';
import { TEXTS } from '../../src/holder/web/i18n.js';
import { createAccount } from '../../src/services/accounts.js';
import { FIRST_PASSWORD, OWN_PASSWORD, TEST_HASHING } from '../console/harness.js';
import { businessSubject, createTestContext, foodSubject, type ManualClock, type TestContext } from '../helpers/app.js';
import { ConsoleClient } from '../helpers/console-client.js';
import { buildOwnHolderApp } from '../helpers/own-builds.js';
import { ZBARIMG_QR_ARGS } from '../helpers/qr-read.js';
import { freshCreditCode } from '../shared/subjects.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM) && existsSync('/usr/bin/zbarimg');
if (!haveChromium) console.warn(`holder-app e2e: SKIPPED, ${CHROMIUM} or zbarimg is missing`);

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };
const zh = TEXTS.zh;

let t: TestContext;
let server: ServerType;
let base: string;
let browser: Browser;
let phone: BrowserContext;
let page: Page;
let workDir: string;
const accessLog: string[] = [];
const printed: string[] = [];
const A = freshCreditCode();
const licences: { business: { id: string; qrText: string; licenceIdentifier: string; validFrom: string }; food: { id: string } } = {} as never;

const visible = (locator: Locator) => locator.first().waitFor({ state: 'visible', timeout: 15_000 });
const textOf = async (locator: Locator) => (await locator.first().textContent()) ?? '';
const containsText = (locator: Locator, text: string) => expect.poll(() => textOf(locator), { timeout: 15_000 }).toContain(text);

async function axe(name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  expect(
    result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    name,
  ).toEqual([]);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `holder-${name}.png`), fullPage: true });
}

async function holderAccess(licenceId: string): Promise<{ code: string; link: string }> {
  const res = await t.call('POST', `/v1/licences/${licenceId}/holder-access`);
  expect(res.status).toBe(201);
  return (await res.json()) as { code: string; link: string };
}

const linkOn = (link: string) => link.replace('https://elicence.test', base);
const article = (id: string) => page.locator(`article[data-id="${id}"]`);

describe.skipIf(!haveChromium)('holder app in headless Chromium', () => {
  let first: { code: string; link: string };
  const codes: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    workDir = mkdtempSync(join(tmpdir(), 'holder-e2e-'));
    await buildOwnHolderApp();
    t = await createTestContext({ clock: realClock, config: { passwordHashing: TEST_HASHING } });
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      const original = console[method].bind(console);
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
        original(...args);
      });
    }
    const business = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: A, name: '杭州持证示例科技有限公司' }) } });
    licences.business = (await business.json()) as typeof licences.business;
    const food = await t.call('POST', '/v1/licences', { body: { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: A, operatorName: '杭州持证示例科技有限公司' }) } });
    licences.food = (await food.json()) as typeof licences.food;
    // Another business at the same authority: never shown to A.
    await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ name: '乙公司' }) } });

    // An access log as a reverse proxy would keep it: method and full URL of every request.
    server = serve({
      fetch: (request, env) => {
        accessLog.push(`${request.method} ${request.url} ${request.headers.get('referer') ?? ''}`);
        return t.app.fetch(request, env);
      },
      port: 0,
      hostname: '127.0.0.1',
    });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, serviceWorkers: 'allow', acceptDownloads: true });
    page = await phone.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
  }, 60_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await browser?.close();
    if (server?.listening) {
      (server as Server).closeAllConnections();
      await new Promise((resolve) => (server as Server).close(resolve));
    }
    t?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('the API creates holder access; the phone opens the link, the code leaves the address bar, the licences are listed with their age', async () => {
    first = await holderAccess(licences.business.id);
    await page.goto(linkOn(first.link));
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    expect(page.url()).toBe(`${base}/holder/`);
    expect(await page.evaluate(() => location.hash)).toBe('');
    await visible(article(licences.business.id));
    await expect.poll(() => page.locator('article[data-id]').count()).toBe(2);
    const card = article(licences.business.id);
    await containsText(card.locator('.status'), zh.status.active);
    // Online, the status still says when it was checked.
    await containsText(card.locator('.status'), zh.checkedAgo(zh.justNow));
    await containsText(card, licences.business.licenceIdentifier);
    await containsText(card, groupedCheckCode(qrCheckCode(licences.business.qrText)));
    // The validity starts on the day of issue (real clock here), in China time.
    await containsText(card, String(new Date(Date.parse(licences.business.validFrom) + 8 * 3_600_000).getUTCFullYear()));
    await card.locator('summary').click();
    await containsText(card.locator('.history'), zh.actions['licence.issued']!);
    await containsText(page.locator('#holder-name'), A);
    await shot('list');
    await axe('list (zh)');
    // English, then back to Chinese (the default).
    await page.locator('#lang').click();
    await containsText(article(licences.business.id).locator('.status'), TEXTS.en.status.active);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await shot('list-en');
    await axe('list (en)');
    await page.locator('#lang').click();
    await containsText(article(licences.business.id).locator('.status'), zh.status.active);

    // Installable: a manifest with a name, a start URL, standalone display and an icon; a service worker controls the page.
    const manifest = await page.evaluate(async () => (await fetch(document.querySelector<HTMLLinkElement>('link[rel="manifest"]')!.href)).json());
    expect(manifest).toMatchObject({ start_url: './', display: 'standalone' });
    expect(manifest.icons.length).toBeGreaterThan(0);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  }, 60_000);

  it('downloads the QR PNG (zbarimg reads back the licence QR text) and the card (printed to an A4 PDF)', async () => {
    const card = article(licences.business.id);
    const [png] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: zh.downloadPng }).click()]);
    const pngPath = join(workDir, png.suggestedFilename());
    await png.saveAs(pngPath);
    expect(png.suggestedFilename()).toBe(`licence-${licences.business.licenceIdentifier}-qr.png`);
    const decoded = execFileSync('zbarimg', [...ZBARIMG_QR_ARGS, pngPath], { encoding: 'utf8' }).trim();
    expect(decoded).toBe(licences.business.qrText);

    const [html] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: `${zh.card} ${zh.cardA4}` }).click()]);
    const htmlPath = join(workDir, html.suggestedFilename());
    await html.saveAs(htmlPath);
    const text = readFileSync(htmlPath, 'utf8');
    expect(text).toContain('@page{size:A4 portrait');
    expect(text).toContain(licences.business.licenceIdentifier);
    const printPage = await phone.newPage();
    await printPage.goto(`file://${htmlPath}`);
    const pdf = await printPage.pdf({ preferCSSPageSize: true });
    await printPage.close();
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const box = /\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(pdf.toString('latin1'));
    expect([Math.round(Number(box?.[1])), Math.round(Number(box?.[2]))]).toEqual([595, 842]);
  }, 60_000);

  it('shows the licence full screen with the static QR, its text alternative (identifier + check code) and the brightness hint', async () => {
    await article(licences.business.id).getByRole('button', { name: zh.show }).click();
    const show = page.locator('#show');
    await visible(show);
    const check = groupedCheckCode(qrCheckCode(licences.business.qrText));
    expect(await page.locator('#show-qr').getAttribute('alt')).toBe(zh.qrAlt(licences.business.licenceIdentifier, check));
    await containsText(page.locator('#show-text'), zh.qrText(licences.business.licenceIdentifier, check));
    await containsText(page.locator('#show-status'), zh.checkedAgo(''));
    await containsText(show, zh.brightness);
    await expect.poll(() => page.evaluate(() => (document.getElementById('show-qr') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await shot('show');
    await axe('show licence (zh)');
    await page.keyboard.press('Escape');
    await expect.poll(() => show.isHidden()).toBe(true);
  }, 30_000);

  it('offline, it still shows the licences with the age of what it knows, and can show the QR', async () => {
    await phone.setOffline(true);
    await page.reload();
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('article[data-id]').count()).toBe(2);
    const freshness = page.locator('#freshness');
    await containsText(freshness, '离线');
    expect(await freshness.getAttribute('data-state')).toBe('offline');
    const status = await textOf(article(licences.business.id).locator('.status'));
    // Never "valid" alone: the same line says how old that is.
    expect(status).toContain(zh.status.active);
    expect(status).toMatch(/离线.*(刚刚|分钟前)/);
    await article(licences.business.id).getByRole('button', { name: zh.show }).click();
    await expect.poll(() => page.evaluate(() => (document.getElementById('show-qr') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await containsText(page.locator('#show-status'), '离线');
    await shot('offline-show');
    await page.keyboard.press('Escape');
    await shot('offline');
    await axe('offline list (zh)');
    await phone.setOffline(false);
    // Back online, the app checks again by itself (the 'online' event) and says so.
    await expect.poll(() => page.locator('#freshness').getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
  }, 60_000);

  it('rotating the code ends the old session; the old link is refused; the new one works', async () => {
    const second = await holderAccess(licences.food.id);
    codes.push(first.code, second.code);
    await page.getByRole('button', { name: zh.refresh }).click();
    await containsText(page.locator('#message'), zh.sessionEnded);
    await expect.poll(() => page.locator('article[data-id]').count()).toBe(0);
    await visible(page.locator('#sign-in'));
    await shot('session-ended');

    await page.goto(linkOn(first.link));
    await containsText(page.locator('#message'), zh.codeRefused);
    expect(page.url()).toBe(`${base}/holder/`);

    await page.goto(linkOn(second.link));
    await expect.poll(() => page.locator('article[data-id]').count(), { timeout: 15_000 }).toBe(2);
  }, 60_000);

  it('a clerk presses the console button: the printable notice (axe-checked) carries the link as a QR that opens the app', async () => {
    await createAccount(t.deps, { authorityId: 'dev-city', login: 'clerk-e2e', name: '窗口人员', role: 'clerk', password: FIRST_PASSWORD }, 'system');
    const clerk = new ConsoleClient((url, init) => fetch(url, init), base);
    await clerk.signIn('clerk-e2e', FIRST_PASSWORD);
    await clerk.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD });
    const desk = await browser.newContext({ locale: 'zh-CN' });
    await desk.addCookies(
      clerk
        .cookieHeader()
        .split('; ')
        .map((pair) => ({ name: pair.split('=')[0]!, value: pair.slice(pair.indexOf('=') + 1), url: base })),
    );
    const console_ = await desk.newPage();
    await console_.goto(`${base}/console/licences/${licences.business.id}`);
    await console_.getByRole('button', { name: '生成持证码并打印领证通知书' }).click();
    await visible(console_.getByRole('heading', { name: '电子证照领证通知书' }));
    await console_.screenshot({ path: join(ARTIFACTS, 'holder-notice.png'), fullPage: true });
    const notice = await new AxeBuilder({ page: console_ }).analyze();
    expect(notice.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    const link = (await textOf(console_.locator('.holder-link'))).trim();
    codes.push(decodeURIComponent(link.split('#c=')[1]!));
    // The QR as printed: screenshot of the image, read by zbarimg.
    const qrPath = join(workDir, 'notice-qr.png');
    await console_.locator('figure img').screenshot({ path: qrPath });
    expect(execFileSync('zbarimg', [...ZBARIMG_QR_ARGS, qrPath], { encoding: 'utf8' }).trim()).toBe(link);
    await desk.close();
    // The phone opens it: the previous session (rotated again) ends, the new link works.
    await page.goto(linkOn(link));
    await expect.poll(() => page.locator('article[data-id]').count(), { timeout: 15_000 }).toBe(2);
  }, 60_000);

  it('no code ever reached the server log: not in a URL, a referrer, or anything the server printed', () => {
    expect(accessLog.some((line) => line.includes('/holder/v1/session'))).toBe(true);
    expect(codes.length).toBe(3);
    for (const code of codes) {
      const secret = code.split('.')[1]!;
      expect(accessLog.join('\n')).not.toContain(secret);
      expect(printed.join('\n')).not.toContain(secret);
    }
  });
});
