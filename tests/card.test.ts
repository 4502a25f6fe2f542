/**
 * GET /v1/licences/{id}/card: the printable licence page. Bilingual labels and values, UTF-8 bytes
 * without mojibake, every field escaped, a status that cannot pass for valid once the licence is not
 * in force, the QR inline as SVG; and, when Chromium is installed, the page as a browser draws it
 * (screenshot kept in test-artifacts/) with its QR read back by jsQR.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chinaDate, printedQrMillimetres } from '../src/app/card.js';
import { qrMatrix } from '../src/app/qr-image.js';
import { BUSINESS_LICENCE, FOOD_BUSINESS_LICENCE } from '../src/core/licence-types.js';
import { decodeLicenceQr } from '../src/core/qr/index.js';
import { createAuthority } from '../src/services/authorities.js';
import { createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext, typeDeclarations } from './helpers/app.js';
import { readSvgWithJsQr } from './helpers/qr-read.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  credential: string;
  qrText: string;
}

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(body: unknown): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body });
  expect(res.status).toBe(201);
  return (await res.json()) as Licence;
}

const escaped = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

async function card(id: string, query = ''): Promise<{ res: Response; html: string }> {
  const res = await t.call('GET', `/v1/licences/${id}/card${query}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // Strict UTF-8: a single bad byte throws, so mojibake from a wrong encoding cannot slip through.
  return { res, html: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
}

describe('the licence card', () => {
  it('is UTF-8 HTML in zh-CN with every bilingual label and value of a business licence', async () => {
    const subject = businessSubject();
    const licence = await issue({ type: 'BusinessLicence', subject, validFrom: '2026-03-15T00:00:00Z', validUntil: '2036-03-15T00:00:00Z' });
    const { res, html } = await card(licence.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(html).toMatch(/^<!doctype html>\s*<html lang="zh-CN"><head><meta charset="utf-8">/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\uFFFD|Ã|â€|è¥/); // replacement characters and typical UTF-8-as-Latin-1 debris
    for (const [field, property] of Object.entries(BUSINESS_LICENCE.schema.properties)) {
      expect(html, field).toContain(escaped(property.title!));
      expect(html, field).toContain(escaped(property['x-title-en']!));
    }
    for (const [field, value] of Object.entries(subject)) {
      if (field !== 'establishedOn') expect(html, field).toContain(escaped(String(value)));
    }
    expect(html).toContain('2020年5月18日');
    expect(html).toContain('<h1>营业执照</h1>');
    expect(html).toContain('Business licence');
    expect(html).toContain('2026年3月15日</time> <span class="iso">2026-03-15</span>');
    expect(html).toContain('2036年3月15日</time> <span class="iso">2036-03-15</span>');
    expect(html).toContain('开发市市场监督管理局');
    expect(html).toContain('did:web:elicence.test:authorities:dev-city');
    expect(html).toContain(licence.id);
    expect(html).toContain('class="status ok"');
    expect(html).not.toContain('class="void-mark"');
    expect(html).toContain('@page{size:A4 portrait');
  });

  it('inlines the QR as SVG at a printable size, and the symbol is that of the qrText', async () => {
    const licence = await issue({ type: 'BusinessLicence', subject: businessSubject() });
    const { html } = await card(licence.id);
    const matrix = qrMatrix(licence.qrText, 'M');
    const mm = printedQrMillimetres(matrix, 4, 'a4');
    expect(mm).toBeGreaterThanOrEqual(45);
    expect(html).toContain(`figure.qr svg{width:${mm}mm;height:${mm}mm}`);
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)![0];
    expect(svg).toContain(`viewBox="0 0 ${matrix.size + 8} ${matrix.size + 8}" width="${mm}mm"`);
    expect(html).toContain(`QR ${matrix.version}-M · ${mm} mm`);
    expect(readSvgWithJsQr(svg)).toBe(licence.qrText);
  });

  it('lists a food licence in its schema order, business items joined with 、', async () => {
    const licence = await issue({ type: 'FoodBusinessLicence', subject: foodSubject() });
    const { html } = await card(licence.id, '?format=card');
    expect(html).toContain('<h1>食品经营许可证</h1>');
    expect(html).toContain('热食类食品制售、冷食类食品制售');
    const labels = Object.values(FOOD_BUSINESS_LICENCE.schema.properties).map((p) => html.indexOf(escaped(p.title!)));
    expect(labels.every((at) => at > 0)).toBe(true);
    expect([...labels].sort((a, b) => a - b)).toEqual(labels);
    expect(html).toContain('@page{size:148mm 105mm');
  });

  it('escapes hostile labels, names and values of an agency-registered type', async () => {
    const hostile = '<script>alert("x")</script>&\'';
    const register = await t.call('POST', '/v1/licence-types', {
      body: {
        code: 'HostileLicence',
        name: { zh: `恶意<img src=x onerror=alert(1)>`, en: `Evil</title><script>1</script>` },
        schemaVersion: '1',
        ...typeDeclarations('HostileLicence', 'note'),
        schema: {
          type: 'object',
          properties: {
            creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Credit code' },
            note: { type: 'string', title: '备注<script>', 'x-title-en': '<b onmouseover=alert(1)>Note' },
          },
          required: ['creditCode', 'note'],
          additionalProperties: false,
        },
      },
    });
    expect(register.status).toBe(201);
    // The trust register authorises the new type for the authority before it issues it.
    const did = encodeURIComponent('did:web:elicence.test:authorities:dev-city');
    expect((await t.call('PATCH', `/v1/trust/authorities/${did}`, { body: { licenceTypes: ['BusinessLicence', 'FoodBusinessLicence', 'HostileLicence'] } })).status).toBe(200);
    const licence = await issue({ type: 'HostileLicence', subject: { creditCode: '91330106MA2CFX7K5Y', note: hostile } });
    const { html } = await card(licence.id);
    expect(html).not.toMatch(/<script|<img|<b /i); // attribute text survives only inside escaped, inert text
    expect(html).toContain(escaped(hostile));
    expect(html).toContain('备注&lt;script&gt;');
    expect(html).toContain('&lt;b onmouseover=alert(1)&gt;Note');
    expect(html).toContain('<h1>恶意&lt;img src=x onerror=alert(1)&gt;</h1>');
    expect(html).toContain('Evil&lt;/title&gt;&lt;script&gt;1&lt;/script&gt;');
  });

  it.each([
    ['revoke', { reason: 'fraud' }, '已撤销', 'REVOKED', '以不正当手段取得'],
    ['suspend', { reason: 'investigation' }, '已暂停', 'SUSPENDED', '立案调查'],
  ] as const)('after %s the card says so in a banner and a watermark', async (action, body, zh, en, reason) => {
    const licence = await issue({ type: 'BusinessLicence', subject: businessSubject() });
    expect((await t.call('POST', `/v1/licences/${licence.id}/${action}`, { body })).status).toBe(200);
    for (const format of ['a4', 'card']) {
      const { html } = await card(licence.id, `?format=${format}`);
      expect(html).toContain(`<div class="status void" role="alert"><span class="zh">${zh}</span> ${en}`);
      expect(html).toContain(`<div class="void-mark" aria-hidden="true">${zh} ${en}</div>`);
      expect(html).toContain(reason);
      expect(html).toContain(`<title>营业执照 Business licence (${zh} ${en})`);
      expect(html).not.toContain('class="status ok"');
    }
  });

  it('an expired or not yet valid licence does not look valid either', async () => {
    const future = await issue({ type: 'BusinessLicence', subject: businessSubject(), validFrom: '2027-01-01T00:00:00Z', validUntil: '2030-01-01T00:00:00Z' });
    expect((await card(future.id)).html).toContain('<span class="zh">尚未生效</span> NOT YET VALID');
    const soon = await issue({ type: 'BusinessLicence', subject: businessSubject(), validUntil: '2026-07-01T00:00:00Z' });
    t.clock.set('2026-07-02T00:00:00Z');
    const { html } = await card(soon.id);
    expect(html).toContain('<span class="zh">已过期</span> EXPIRED');
    expect(html).toContain('状态截至 2026年7月2日');
  });

  it('formats dates on the China calendar (UTC+8)', () => {
    expect(chinaDate(Date.parse('2026-03-14T16:00:00Z'))).toEqual({ zh: '2026年3月15日', iso: '2026-03-15' });
    expect(chinaDate(Date.parse('2026-03-14T15:59:59Z'))).toEqual({ zh: '2026年3月14日', iso: '2026-03-14' });
  });

  it('checks options and access like the other licence reads', async () => {
    const licence = await issue({ type: 'BusinessLicence', subject: businessSubject() });
    const bad = await t.call('GET', `/v1/licences/${licence.id}/card?format=a5`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('format');
    expect((await t.call('GET', `/v1/licences/${licence.id}/card`, { token: null })).status).toBe(401);
    const issueOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'issue-only', actions: ['issue'] }, 'test')).token;
    expect((await t.call('GET', `/v1/licences/${licence.id}/card`, { token: issueOnly })).status).toBe(403);
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const other = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo', actions: ['read'] }, 'test')).token;
    expect((await t.call('GET', `/v1/licences/${licence.id}/card`, { token: other })).status).toBe(404);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('the card in headless Chromium', () => {
  it('renders, and the QR in the screenshot reads back as the qrText (test-artifacts/card-*.png)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const licence = await issue({ type: 'BusinessLicence', subject: businessSubject() });
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'cancelled' } })).status).toBe(200);
    const { html } = await card(licence.id);
    const page = join(ARTIFACTS, 'card-revoked.html');
    const shot = join(ARTIFACTS, 'card-revoked.png');
    writeFileSync(page, html);
    const run = spawnSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=2', '--window-size=900,1300', `--screenshot=${shot}`, `file://${page}`],
      { stdio: 'ignore', timeout: 60_000 },
    );
    expect(run.status).toBe(0);
    const image = PNG.sync.read(readFileSync(shot));
    const read = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
    expect(read?.data).toBe(licence.qrText);
    expect(decodeLicenceQr(read!.data)).toBe(licence.credential);
  }, 90_000);
});
