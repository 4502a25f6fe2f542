/**
 * A crafted holder link (`/holder/#c=<code>`) in real headless Chromium. The insider holds a holder code
 * of its own business (any business's code its clerk hands out) and sends the link to another business
 * whose phone holds its licences and a registered device key. Opening the link (a fresh load, or while
 * the app is open: only the fragment changes) must not silently sign that phone into the sender's
 * business: that forgot the phone's list and its device key (its live QR, the server-side device still
 * counting) and showed the sender's licences in their place. The person is asked; declining keeps all.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { isNull } from 'drizzle-orm';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderSessions } from '../../src/db/schema.js';
import { TEXTS } from '../../src/holder/web/i18n.js';
import { businessSubject, createTestContext, type ManualClock, type TestContext } from '../helpers/app.js';
import { buildOwnHolderApp } from '../helpers/own-builds.js';
import { freshCreditCode } from '../shared/subjects.js';

const CHROMIUM = '/usr/bin/chromium';
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };
const zh = TEXTS.zh;
const A = freshCreditCode();
const B = freshCreditCode();

let t: TestContext;
let server: ServerType;
let base: string;
let browser: Browser;
let phone: BrowserContext;
let page: Page;
const dialogs: string[] = [];
let answer: 'accept' | 'dismiss' = 'dismiss';

async function linkFor(creditCode: string, name: string): Promise<string> {
  const issued = (await (await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode, name }) } })).json()) as { id: string };
  const access = (await (await t.call('POST', `/v1/licences/${issued.id}/holder-access`)).json()) as { link: string };
  return access.link.replace('https://elicence.test', base);
}

const openSessions = async (creditCode: string) =>
  (await t.store.db.select().from(holderSessions).where(isNull(holderSessions.revokedAt))).filter((s) => s.holderCreditCode === creditCode).length;

describe.skipIf(!existsSync(CHROMIUM))('a holder link for another business', () => {
  let linkA = '';
  let linkB = '';

  beforeAll(async () => {
    await buildOwnHolderApp();
    t = await createTestContext({ clock: realClock });
    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    linkA = await linkFor(A, '杭州甲科技有限公司');
    linkB = await linkFor(B, '杭州乙科技有限公司');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    phone = await browser.newContext({ locale: 'zh-CN', serviceWorkers: 'block' });
    page = await phone.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (answer === 'accept' ? dialog.accept() : dialog.dismiss());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server?.listening) {
      (server as Server).closeAllConnections();
      await new Promise((resolve) => (server as Server).close(resolve));
    }
    t?.close();
  });

  it('attack: opened while the app holds business A with a device key, it asks first; declined, A and its key stay and B’s session is ended', async () => {
    await page.goto(linkA);
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#holder-name').textContent(), { timeout: 15_000 }).toContain(A);
    await page.locator('#register-device').click();
    await expect.poll(() => page.locator('#device-state').textContent(), { timeout: 15_000 }).toBe(zh.deviceReady);

    // While the app is open: only the fragment changes (hashchange).
    await page.goto(linkB);
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 15_000 }).toBe(zh.switchDeclined);
    // A fresh load of the link.
    await page.goto('about:blank');
    await page.goto(linkB);
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 15_000 }).toBe(zh.switchDeclined);

    expect(dialogs).toHaveLength(2);
    for (const message of dialogs) expect(message).toContain(B);
    await expect.poll(() => page.locator('#holder-name').textContent(), { timeout: 15_000 }).toContain(A);
    expect(await page.locator('#device-state').textContent()).toBe(zh.deviceReady);
    expect(await openSessions(B)).toBe(0);
  });

  it('accepted, the phone switches to B and keeps nothing of A (the choice stays the person’s)', async () => {
    answer = 'accept';
    await page.goto('about:blank');
    await page.goto(linkB);
    await page.locator('body[data-ready="1"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('#holder-name').textContent(), { timeout: 15_000 }).toContain(B);
    expect(dialogs).toHaveLength(3);
    expect(await page.locator('#device-state').textContent()).toBe(zh.deviceNone);
  });
});
