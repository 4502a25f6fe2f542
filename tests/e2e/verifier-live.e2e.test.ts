/**
 * Live presentation in the inspectors' web app (headless Chromium): a crafted deployment serves the
 * built app, Zhejiang's trust-anchor.json and the test world's bundle; the page's clock reads the
 * world's day. Pasted EL2 texts: a bound copy shown live (LIVE, the time difference), the same QR as a
 * screenshot three minutes later (STATIC, the licence still VALID), another device's proof (INVALID),
 * an agent authorisation shown live (VALID, the company, agent, matters and period) and statically
 * (INVALID, ERR_PRESENTATION_NOT_LIVE). The live result page passes axe.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVerifierApp, DEFAULT_VERIFIER_OUT_DIR } from '../../scripts/build-verifier.js';
import { signCompact } from '../../src/core/jws-sign.js';
import { encodeLicenceQr } from '../../src/core/qr/index.js';
import { MESSAGES } from '../../verifier/index.js';
import { pinnedZhejiang } from '../fixtures/federation-holes.js';
import { agentAuthorisation, boundCopyOf, type DeviceKey, liveQrAt, makeDeviceKey, statusEntry } from '../fixtures/live.js';
import { BUSINESS_SUBJECT, DAY, licenceCredential, makeWorld, NOW, statusUrl, type World } from '../fixtures/world.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

let w: World;
let server: Server;
let browser: Browser;
let page: Page;
let phone: DeviceKey;
let agentPhone: DeviceKey;
let bound: string;
let authorisation: string;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

async function verifyText(text: string): Promise<{ verdict: string; presentation: string; codes: Record<string, string> }> {
  if (!(await page.locator('.paste[open]').count())) await page.click('.paste summary');
  await page.fill('#paste-text', text);
  await page.click('#paste-form button[type="submit"]');
  const result = page.locator('#result:not([hidden])');
  await result.waitFor();
  const verdict = (await result.getAttribute('data-verdict'))!;
  const presentation = (await page.locator('#presentation').getAttribute('data-presentation'))!;
  const codes = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll<HTMLElement>('[data-check]')].map((li) => [li.dataset.check, li.querySelector('.check-code')?.textContent ?? ''])),
  );
  return { verdict, presentation, codes };
}

async function again(): Promise<void> {
  await page.click('#again');
  await page.locator('#home:not([hidden])').waitFor();
}

describe.skipIf(!existsSync(CHROMIUM))('web app: live presentation (EL2)', () => {
  beforeAll(async () => {
    if (!existsSync(join(DEFAULT_VERIFIER_OUT_DIR, 'index.html'))) await buildVerifierApp({ quiet: true });
    w = await makeWorld();
    phone = await makeDeviceKey();
    agentPhone = await makeDeviceKey();
    const iat = Math.floor((NOW - DAY) / 1000);
    const signer = w.hangzhou.keys[1]!.signer;
    const licence = licenceCredential(w.hangzhou) as unknown as Record<string, unknown>;
    bound = await signCompact(
      signer,
      boundCopyOf(licence, phone.publicJwk, { iat, ownRevocation: statusEntry('revocation', 50_001, statusUrl(w.hangzhou, 'revocation')) }),
      'vc+jwt',
      'vc',
    );
    authorisation = await signCompact(
      signer,
      agentAuthorisation({
        issuer: { id: w.hangzhou.id, name: w.hangzhou.name.zh },
        validFrom: iso(NOW - DAY),
        validUntil: iso(NOW + 100 * DAY),
        licence: {
          id: 'urn:uuid:0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
          identifier: 'YYZZ11330100DC00000024000001234501P',
          type: 'BusinessLicence',
          validUntil: '2031-01-01T00:00:00Z',
        },
        company: { name: BUSINESS_SUBJECT.name, creditCode: BUSINESS_SUBJECT.creditCode },
        agent: { name: '李四', idNumberMasked: '3301**********1234' },
        matters: ['tax-filing', 'permit-renewal'],
        status: [
          statusEntry('revocation', 60_001, statusUrl(w.hangzhou, 'revocation')),
          statusEntry('revocation', 94_567, statusUrl(w.hangzhou, 'revocation')),
          statusEntry('suspension', 1_234, statusUrl(w.hangzhou, 'suspension')),
        ],
        device: agentPhone.publicJwk,
        iat,
      }),
      'vc+jwt',
      'vc',
    );
    const anchorDocument = JSON.stringify(pinnedZhejiang(w));
    const bundle = JSON.stringify(w.bundle);
    server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://x').pathname;
      if (path === '/.well-known/trust-anchor.json') return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(anchorDocument);
      if (path === '/verifier-bundle') return void response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(bundle);
      if (path.startsWith('/verify/')) {
        const file = normalize(path.slice('/verify/'.length) || 'index.html');
        const full = join(DEFAULT_VERIFIER_OUT_DIR, file);
        if (!file.startsWith('..') && existsSync(full))
          return void response.writeHead(200, { 'Content-Type': TYPES[extname(full)] ?? 'application/octet-stream' }).end(readFileSync(full));
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    const context = await browser.newContext({ locale: 'zh-CN', serviceWorkers: 'block', viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    // The world's lists are signed for 2026-06-01: the inspector's clock reads that day.
    await page.clock.setFixedTime(new Date(NOW));
    page.on('pageerror', (error) => console.error('page error:', error));
    await page.goto(`${base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.click('#sync');
    await page.locator('#anchors-dialog[open]').waitFor();
    await page.click('#anchors-confirm');
    await page.locator('body[data-synced]').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('a bound copy shown live from its phone: VALID and LIVE with the time difference; the page passes axe', async () => {
    const result = await verifyText(await liveQrAt(bound, phone, NOW));
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    await expect(page.locator('#presentation').textContent()).resolves.toContain(MESSAGES.zh.presentation.live.title);
    await expect(page.locator('#live-time').textContent()).resolves.toContain('±90 秒');
    await expect(page.locator('.details').textContent()).resolves.toContain(MESSAGES.zh.boundCopy);
    expect(await page.locator('#clock-warning').count()).toBe(0);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((v) => `${v.id}: ${v.help} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await again();
  });

  it('a screenshot of it verified 3 minutes later: static; another phone’s proof: INVALID', async () => {
    const screenshot = await verifyText(await liveQrAt(bound, phone, NOW - 180_000));
    expect(screenshot).toMatchObject({ verdict: 'VALID', presentation: 'static' });
    await again();
    const stolen = await verifyText(await liveQrAt(bound, agentPhone, NOW));
    expect(stolen).toMatchObject({ verdict: 'INVALID', presentation: 'proofFailed' });
    expect(stolen.codes.presentation).toContain('ERR_PROOF_INVALID');
    await again();
  });

  it('an agent authorisation shown live: VALID with the company, agent, matters and period; shown statically: INVALID', async () => {
    const live = await verifyText(await liveQrAt(authorisation, agentPhone, NOW));
    expect(live).toMatchObject({ verdict: 'VALID', presentation: 'live' });
    const shown = (await page.locator('#authorisation').textContent()) ?? '';
    for (const text of [MESSAGES.zh.authorisation.heading, '杭州云栖智算科技有限公司', '李四', '3301**********1234', 'tax-filing、permit-renewal', '2026-05-31', '2026-09-09']) {
      expect(shown).toContain(text);
    }
    await again();
    const staticQr = await verifyText(encodeLicenceQr(authorisation));
    expect(staticQr).toMatchObject({ verdict: 'INVALID', presentation: 'static' });
    expect(staticQr.codes.presentation).toContain('ERR_PRESENTATION_NOT_LIVE');
    await expect(page.locator('#reason').textContent()).resolves.toBe(MESSAGES.zh.code.ERR_PRESENTATION_NOT_LIVE);
    await again();
  });
});
