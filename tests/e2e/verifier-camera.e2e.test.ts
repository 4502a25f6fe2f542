/**
 * The inspectors' camera path end to end: headless Chromium with a fake camera whose video is a
 * licence QR code (a Y4M file drawn from the code's modules, slightly off-centre and grey on grey, as a
 * phone would see it), the app's Scan button, getUserMedia, frame reading, then the verdict.
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessSubject, createTestContext, type ManualClock, type TestContext } from '../helpers/app.js';
import { buildOwnVerifierApp } from '../helpers/own-builds.js';
import { qrSegmentsFor } from '../helpers/qr-render.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

const WIDTH = 640;
const HEIGHT = 480;

/**
 * A YUV4MPEG2 video (what Chromium's fake capture device plays in a loop) showing `text` as a QR
 * code at level M: 5 px per module, dark grey on light grey, shifted off the centre.
 */
function qrVideo(text: string, frames = 4): Buffer {
  const { modules } = QRCode.create(qrSegmentsFor(text), { errorCorrectionLevel: 'M' });
  const scale = 5;
  const side = (modules.size + 8) * scale;
  const left = Math.floor((WIDTH - side) / 2) + 37;
  const top = Math.floor((HEIGHT - side) / 2) - 11;
  if (left < 0 || top < 0 || left + side > WIDTH || top + side > HEIGHT) throw new Error('QR code does not fit the frame');
  const luma = Buffer.alloc(WIDTH * HEIGHT, 90);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - 4;
      const my = Math.floor(y / scale) - 4;
      const dark = mx >= 0 && my >= 0 && mx < modules.size && my < modules.size && modules.get(my, mx) === 1;
      luma[(top + y) * WIDTH + left + x] = dark ? 40 : 215;
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`), ...Array.from({ length: frames }, () => frame)]);
}

/** The service runs on real time: the browser verifies against its own clock. */
const realClock: ManualClock = { now: () => Date.now(), set: () => undefined, advance: () => undefined };

let t: TestContext;
let server: ServerType;
let base: string;
let context: BrowserContext;
let page: Page;
let dir: string;

describe.skipIf(!haveChromium)('verifier web app: scanning with the camera', () => {
  beforeAll(async () => {
    await buildOwnVerifierApp();
    t = await createTestContext({ clock: realClock });
    const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
    expect(res.status).toBe(201);
    const { qrText } = (await res.json()) as { qrText: string };

    dir = mkdtempSync(join(tmpdir(), 'verifier-camera-'));
    const video = join(dir, 'licence-qr.y4m');
    writeFileSync(video, qrVideo(qrText));

    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${video}`,
      ],
      permissions: ['camera'],
      locale: 'zh-CN',
      viewport: { width: 390, height: 844 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => console.error('page error:', error));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (server?.listening) {
      (server as Server).closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the licence from the camera and shows VALID, then stops the camera', async () => {
    await page.goto(`${base}/verify/`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.click('#sync');
    await page.locator('#anchors-dialog[open]').waitFor();
    await page.click('#anchors-confirm');
    await page.locator('body[data-synced]').waitFor();

    await page.click('#scan');
    const result = page.locator('#result:not([hidden])');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-verdict')).toBe('VALID');
    await expect(page.locator('.details').textContent()).resolves.toContain('杭州示例科技有限公司');
    // The stream is released once a code is read: no track left live, the camera panel closed.
    expect(await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).srcObject)).toBeNull();
    expect(await page.locator('#camera').isHidden()).toBe(true);
  }, 60_000);
});
