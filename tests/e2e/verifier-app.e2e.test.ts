/**
 * The inspectors' web app end to end in real headless Chromium (Debian `chromium`, driven by
 * playwright-core, which never downloads a browser): start the service on loopback, open /verify,
 * sync (confirming the anchor key fingerprint), go offline (browser offline AND the server stopped),
 * then upload QR images of a valid, a revoked, a tampered and an untrusted-issuer licence and read
 * the verdicts, and an SM2-signed licence and the same with one flipped byte; reload the page offline
 * and verify again (the SM2 code, a chunk loaded on first use, then comes from the service worker). Screenshots go to test-artifacts/.
 * Decode-to-verdict times come from the page's performance marks.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, fromBase64url, fromUtf8, utf8 } from '../../src/core/encoding.js';
import { jwkThumbprint } from '../../src/core/jws-sign.js';
import { encodeLicenceQr } from '../../src/core/qr/index.js';
import { authorityDid, createAuthority } from '../../src/services/authorities.js';
import { ACTIONS, createToken } from '../../src/services/tokens.js';
import { MESSAGES } from '../../verifier/index.js';
import { jurisdictionText } from '../../verifier/web/i18n.js';
import { businessSubject, createTestContext, EXAMPLE_CREDIT_CODE, foodSubject, type ManualClock, type TestContext } from '../helpers/app.js';
import { buildOwnVerifierApp } from '../helpers/own-builds.js';
import { renderQrPng } from '../helpers/qr-render.js';
import { freshCreditCode } from '../shared/subjects.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`verifier-app e2e: SKIPPED, ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`);
}

const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The service runs on real time: the browser verifies against its own clock. */
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };

interface Issued {
  id: string;
  credential: string;
  qrText?: string;
  licenceIdentifier?: string;
}

let t: TestContext;
let server: ServerType;
let base: string;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const timings: Record<string, number> = {};
const qr: Record<'valid' | 'revoked' | 'tampered' | 'untrusted' | 'sm2' | 'sm2Flipped' | 'longTerm', Buffer> = {} as never;
let validText: string;
/** A licence without expiry (有效期：长期). */
let longTerm: Issued;

async function issue(body: Record<string, unknown>, token = t.token): Promise<Issued> {
  const res = await t.call('POST', '/v1/licences', { body, token });
  if (res.status !== 201) throw new Error(`issue: ${res.status} ${await res.text()}`);
  return (await res.json()) as Issued;
}

const qrTextOf = (licence: Issued) => licence.qrText ?? encodeLicenceQr(licence.credential);

/** The same JWS with one subject member changed and the original signature kept. */
function tamper(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const credential = JSON.parse(fromUtf8(fromBase64url(payload)!)) as { credentialSubject: Record<string, unknown> };
  credential.credentialSubject.name = '杭州冒名顶替科技有限公司';
  return `${header}.${base64url(utf8(JSON.stringify(credential)))}.${signature}`;
}

/** The same JWS with one byte of its signature flipped. */
function flipSignatureByte(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const bytes = fromBase64url(signature)!;
  bytes[20]! ^= 0x01;
  return `${header}.${payload}.${base64url(bytes)}`;
}

async function upload(name: keyof typeof qr): Promise<string> {
  await page.setInputFiles('#file', { name: `${name}.png`, mimeType: 'image/png', buffer: qr[name] });
  const result = page.locator('#result:not([hidden])');
  await result.waitFor({ timeout: 10_000 });
  const ms = Number(await result.getAttribute('data-ms'));
  const fromMarks = await page.evaluate(() => performance.getEntriesByName('elicence:decode-to-verdict').at(-1)?.duration ?? Number.NaN);
  expect(ms).toBeCloseTo(fromMarks, 0);
  timings[`${name}#${Object.keys(timings).length}`] = fromMarks;
  return (await result.getAttribute('data-verdict'))!;
}

/** Stops the service for real: keep-alive connections included, so nothing can answer the page. */
async function stopServer(): Promise<void> {
  const http = server as Server;
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `verifier-${name}.png`), fullPage: false });
}

async function again(): Promise<void> {
  await page.click('#again');
  await page.locator('#home:not([hidden])').waitFor();
}

describe.skipIf(!haveChromium)('verifier web app in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await buildOwnVerifierApp();
    t = await createTestContext({ clock: realClock });

    const valid = await issue({ type: 'BusinessLicence', subject: businessSubject({ creditCode: EXAMPLE_CREDIT_CODE }) });
    const revoked = await issue({ type: 'FoodBusinessLicence', subject: foodSubject() });
    const revoke = await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'cancelled' } });
    expect(revoke.status).toBe(200);
    // A second city on the same deployment that the anchor never listed.
    await createAuthority(
      t.deps,
      { id: 'elsewhere', name: { zh: '未列入市市场监督管理局', en: 'Unlisted City AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() },
      'e2e',
    );
    const elsewhereToken = (await createToken(t.deps, { authorityId: 'elsewhere', name: 'e2e', actions: [...ACTIONS] }, 'e2e')).token;
    const untrusted = await issue({ type: 'BusinessLicence', subject: businessSubject({ name: '宁波未列入贸易有限公司' }) }, elsewhereToken);
    // A third city signing with SM2, listed by the anchor (hosted keys).
    await createAuthority(
      t.deps,
      { id: 'sm2-city', name: { zh: '嘉兴市市场监督管理局', en: 'Jiaxing AMR' }, jurisdiction: '330400', creditCode: freshCreditCode(), alg: 'SM2SM3' },
      'e2e',
    );
    const sm2Token = (await createToken(t.deps, { authorityId: 'sm2-city', name: 'e2e', actions: [...ACTIONS] }, 'e2e')).token;
    const listed = await t.call('POST', '/v1/trust/authorities', {
      body: {
        id: authorityDid(t.deps.config.publicUrl, 'sm2-city'),
        name: { zh: '嘉兴市市场监督管理局', en: 'Jiaxing AMR' },
        jurisdiction: '330400',
        licenceTypes: ['BusinessLicence'],
      },
    });
    expect(listed.status).toBe(201);
    const sm2 = await issue({ type: 'BusinessLicence', subject: businessSubject({ name: '嘉兴国密示例科技有限公司' }) }, sm2Token);
    expect(JSON.parse(fromUtf8(fromBase64url(sm2.credential.split('.')[0]!)!)).alg).toBe('SM2SM3');

    longTerm = await issue({ type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: freshCreditCode(), operatorName: '杭州长期餐饮有限公司' }), validUntil: null });
    qr.longTerm = await renderQrPng(qrTextOf(longTerm), { scale: 4 });

    validText = qrTextOf(valid);
    qr.valid = await renderQrPng(validText, { scale: 4 });
    qr.revoked = await renderQrPng(qrTextOf(revoked), { scale: 4 });
    qr.tampered = await renderQrPng(encodeLicenceQr(tamper(valid.credential)), { scale: 4 });
    qr.untrusted = await renderQrPng(qrTextOf(untrusted), { scale: 4 });
    qr.sm2 = await renderQrPng(qrTextOf(sm2), { scale: 4 });
    qr.sm2Flipped = await renderQrPng(encodeLicenceQr(flipSignatureByte(sm2.credential)), { scale: 4 });

    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    userDataDir = mkdtempSync(join(tmpdir(), 'verifier-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      serviceWorkers: 'allow',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error('page error:', error));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (server?.listening) await stopServer();
    t?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (Object.keys(timings).length) {
      const values = Object.values(timings).sort((a, b) => a - b);
      console.log(
        `decode-to-verdict (ms): ${Object.entries(timings)
          .map(([k, v]) => `${k}=${v.toFixed(1)}`)
          .join(' ')}; median ${values[Math.floor(values.length / 2)]!.toFixed(1)}`,
      );
    }
  });

  it('opens /verify, asks to confirm the anchor fingerprint on first sync, and syncs', async () => {
    await page.goto(`${base}/verify`);
    expect(page.url()).toBe(`${base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await expect(page.locator('#freshness').getAttribute('data-state')).resolves.toBe('missing');

    const anchors = (await (await fetch(`${base}/.well-known/trust-anchor.json`)).json()) as { keys: Array<Record<string, string>> };
    const thumbprint = await jwkThumbprint(anchors.keys[0]!);
    await page.click('#sync');
    const dialog = page.locator('#anchors-dialog[open]');
    await dialog.waitFor();
    // The fingerprint shown is computed by the app, grouped in fours for reading aloud.
    await expect(dialog.locator('.fingerprint').first().textContent()).resolves.toBe(thumbprint.match(/.{1,4}/g)!.join(' '));
    await shot('anchor-confirm');
    await page.click('#anchors-confirm');
    await page.locator('body[data-synced]').waitFor();
    await expect(page.locator('#freshness').getAttribute('data-state')).resolves.toBe('fresh');
    const { freshness } = MESSAGES.zh; // "信任列表 … 12 秒前"
    await expect(page.locator('#freshness').textContent()).resolves.toMatch(new RegExp(`${freshness.trustList}.*${freshness.ago(freshness.units.s)}`));
    await shot('home-synced');
    // The app shell is precached once the service worker is active.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  });

  it('verifies uploaded QR images offline: valid, revoked, tampered, untrusted issuer', async () => {
    await context.setOffline(true);
    await stopServer();
    expect(
      await page.evaluate(
        (url) =>
          fetch(url).then(
            () => 'online',
            () => 'offline',
          ),
        `${base}/verifier-bundle`,
      ),
    ).toBe('offline');

    expect(await upload('valid')).toBe('VALID');
    await expect(page.locator('#verdict').textContent()).resolves.toBe(MESSAGES.zh.verdict.VALID.title);
    await expect(page.locator('.details').textContent()).resolves.toContain('杭州示例科技有限公司');
    await expect(page.locator('.details').textContent()).resolves.toContain('91330106MA2CFX7K5Y');
    await expect(page.locator('.details').textContent()).resolves.toContain(jurisdictionText('330100', 'zh'));
    await shot('valid');
    await page.click('#toggle-checks');
    expect(await page.locator('#checks li.check-ok').count()).toBe(11);
    await shot('valid-checks');
    await again();

    expect(await upload('revoked')).toBe('REVOKED');
    // Revoked as 'cancelled' (an alias of rescinded): the reasons document in the bundle says 撤销, offline.
    await expect(page.locator('#legal-act').textContent()).resolves.toBe(MESSAGES.zh.reason.rescinded.title);
    await expect(page.locator('#reason').textContent()).resolves.toBe(MESSAGES.zh.reason.rescinded.detail);
    await shot('revoked');
    await again();

    expect(await upload('tampered')).toBe('INVALID');
    await expect(page.locator('#reason').textContent()).resolves.toBe(MESSAGES.zh.code.ERR_JWS_SIGNATURE);
    expect(await page.locator('.details').count()).toBe(0); // forged content is never displayed
    await shot('tampered');
    await again();

    expect(await upload('untrusted')).toBe('UNTRUSTED_ISSUER');
    await page.click('#toggle-checks');
    await expect(page.locator('[data-check="issuerListed"] .check-code').textContent()).resolves.toContain('ERR_ISSUER_NOT_LISTED');
    await shot('untrusted');
    await again();

    // SM2: its code is a chunk loaded on first use (by the warm-up, which checks the SM2 city's status lists);
    // after the offline reload below, it can only come from the service worker's cache.
    expect(await upload('sm2')).toBe('VALID');
    await expect(page.locator('.details').textContent()).resolves.toContain('嘉兴国密示例科技有限公司');
    await page.click('#toggle-checks');
    expect(await page.locator('#checks li.check-ok').count()).toBe(11);
    await shot('sm2-valid');
    await again();
    expect(await upload('sm2Flipped')).toBe('INVALID');
    await expect(page.locator('#reason').textContent()).resolves.toBe(MESSAGES.zh.code.ERR_JWS_SIGNATURE);
    expect(await page.locator('.details').count()).toBe(0);
    await again();

    // Without expiry: VALID, the validity ends 长期, the licence identifier is shown and checks out.
    expect(await upload('longTerm')).toBe('VALID');
    await expect(page.locator('.details').textContent()).resolves.toContain('杭州长期餐饮有限公司');
    await expect(page.locator('.details').textContent()).resolves.toMatch(/\d{4}-\d{2}-\d{2} 至 长期/);
    await expect(page.locator('#licence-identifier .identifier').textContent()).resolves.toBe(longTerm.licenceIdentifier);
    await expect(page.locator('#licence-identifier').getAttribute('data-flag')).resolves.toBe('');
    expect(await page.locator('.identifier-flag').count()).toBe(0);
    await shot('long-term');
    await again();
  });

  it('switches to English', async () => {
    await page.click('#lang');
    expect(await upload('revoked')).toBe('REVOKED');
    await expect(page.locator('#verdict').textContent()).resolves.toBe(MESSAGES.en.verdict.REVOKED.title);
    await expect(page.locator('#reason').textContent()).resolves.toBe(MESSAGES.en.reason.rescinded.detail);
    await shot('revoked-en');
    await again();
    await page.click('#lang');
  });

  it('reloads offline from the service worker cache and still verifies (image and pasted text)', async () => {
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await expect(page.locator('#freshness').getAttribute('data-state')).resolves.toBe('fresh');
    expect(await upload('valid')).toBe('VALID');
    await again();
    expect(await upload('untrusted')).toBe('UNTRUSTED_ISSUER');
    await again();
    expect(await upload('sm2')).toBe('VALID');
    await again();
    await page.click('.paste summary');
    await page.fill('#paste-text', validText);
    await page.click('#paste-form button[type="submit"]');
    await page.locator('#result[data-verdict="VALID"]:not([hidden])').waitFor();
    await shot('offline-reload-valid');
  });

  it('measures decoded QR to verdict with performance marks (target 50 ms: reported, not asserted)', () => {
    // Speed targets are measured and reported, never asserted (a timed test fails on a busy host for
    // the wrong reason); the median is printed above and written to test-artifacts/ for docs/results.md.
    const values = Object.values(timings).sort((a, b) => a - b);
    expect(values.length).toBeGreaterThanOrEqual(7);
    expect(values.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'verifier-timings.json'), JSON.stringify({ medianMs: values[Math.floor(values.length / 2)], timings }, null, 2));
  });
});
