/**
 * GET /v1/licences/{id}/qr.svg and qr.png, and `qrText` in licence responses: the images are read
 * back by independent readers (jsQR on the PNG always, zbarimg when installed) and must give exactly
 * the licence's qrText, which decodes to the exact signed JWS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { qrMatrix, qrPng } from '../src/app/qr-image.js';
import { decodeLicenceQr, encodeLicenceQr } from '../src/core/qr/index.js';
import { createAuthority } from '../src/services/authorities.js';
import { createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext } from './helpers/app.js';
import { readSvgWithJsQr, ZBARIMG_QR_ARGS } from './helpers/qr-read.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  credential: string;
  qrText: string;
}

const zbarAvailable = spawnSync('zbarimg', ['--version'], { stdio: 'ignore' }).status === 0;
if (!zbarAvailable) console.warn('qr-routes: zbarimg not found, skipping the zbar cases (Debian package zbar-tools)');

let t: TestContext;
let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'qr-routes-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(body: unknown = { type: 'BusinessLicence', subject: businessSubject() }): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body });
  expect(res.status).toBe(201);
  return (await res.json()) as Licence;
}

function readPng(bytes: Uint8Array): { width: number; height: number; text: string | undefined } {
  const image = PNG.sync.read(Buffer.from(bytes));
  const read = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height);
  return { width: image.width, height: image.height, text: read?.data };
}

function readWithZbar(bytes: Uint8Array, name: string): string {
  const file = join(workDir, `${name}.png`);
  writeFileSync(file, bytes);
  return execFileSync('zbarimg', [...ZBARIMG_QR_ARGS, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; field?: string } };
  expect(body.error.code).toBe(code);
  if (field !== undefined) expect(body.error.field).toBe(field);
}

describe('qrText in licence responses', () => {
  it('issue, batch and get carry a qrText that decodes to the exact credential; list pages leave it out', async () => {
    const single = await issue();
    expect(single.qrText.startsWith('EL1:')).toBe(true);
    expect(decodeLicenceQr(single.qrText)).toBe(single.credential);

    const batch = await t.call('POST', '/v1/licences/batch', {
      body: {
        items: [
          { type: 'BusinessLicence', subject: businessSubject() },
          { type: 'FoodBusinessLicence', subject: foodSubject() },
        ],
      },
    });
    expect(batch.status).toBe(201);
    for (const item of ((await batch.json()) as { items: Licence[] }).items) expect(decodeLicenceQr(item.qrText)).toBe(item.credential);

    const got = (await (await t.call('GET', `/v1/licences/${single.id}`)).json()) as Licence;
    expect(got.qrText).toBe(single.qrText);
    const list = (await (await t.call('GET', '/v1/licences')).json()) as { items: Licence[] };
    expect(list.items).toHaveLength(3);
    // A page of 200 would cost 200 QR encodings; a client wanting one asks for the licence or its qr.png.
    for (const item of list.items) expect(item).not.toHaveProperty('qrText');
  });
});

describe('GET /v1/licences/{id}/qr.png', () => {
  it('is a PNG that jsQR (and zbarimg) read as exactly the qrText, which decodes to the JWS', async () => {
    const licence = await issue();
    const res = await t.call('GET', `/v1/licences/${licence.id}/qr.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+/);
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="licence-${licence.id}-qr.png"`);
    expect(res.headers.get('x-qr-version')).toBe(String(qrMatrix(licence.qrText, 'M').version));
    const bytes = new Uint8Array(await res.arrayBuffer());
    const read = readPng(bytes);
    const modules = qrMatrix(licence.qrText, 'M').size + 8;
    expect(read.width).toBe(modules * 8); // default: 8 pixels per module, 4-module quiet zone
    expect(read.text).toBe(licence.qrText);
    expect(decodeLicenceQr(read.text!)).toBe(licence.credential);
    if (zbarAvailable) expect(readWithZbar(bytes, 'default')).toBe(licence.qrText);
  });

  it.each([
    ['L', 128, 2],
    ['M', 300, 4],
    ['Q', 777, 6],
    ['H', 2048, 16],
  ] as const)('ecc=%s size=%i margin=%i gives that exact size and still reads back', async (ecc, size, margin) => {
    const licence = await issue({ type: 'FoodBusinessLicence', subject: foodSubject() });
    const res = await t.call('GET', `/v1/licences/${licence.id}/qr.png?ecc=${ecc}&size=${size}&margin=${margin}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-qr-version')).toBe(String(qrMatrix(licence.qrText, ecc).version));
    const bytes = new Uint8Array(await res.arrayBuffer());
    const read = readPng(bytes);
    expect([read.width, read.height]).toEqual([size, size]);
    // jsQR needs about 2 pixels per module; zbar reads the 1-pixel-per-module 128 px image too.
    if (size >= 2 * (qrMatrix(licence.qrText, ecc).size + 2 * margin)) expect(read.text).toBe(licence.qrText);
    if (zbarAvailable) expect(readWithZbar(bytes, `${ecc}-${size}`)).toBe(licence.qrText);
  });

  it('a higher error-correction level never takes a lower version', async () => {
    const licence = await issue();
    const versions: number[] = [];
    for (const ecc of ['L', 'M', 'Q', 'H']) {
      const res = await t.call('GET', `/v1/licences/${licence.id}/qr.png?ecc=${ecc}`);
      versions.push(Number(res.headers.get('x-qr-version')));
    }
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(versions[0]).toBeLessThan(versions[3]!);
  });

  it('is immutable: a strong ETag derived from the JWS and the options; If-None-Match gives 304', async () => {
    const licence = await issue();
    const path = `/v1/licences/${licence.id}/qr.png?size=256`;
    const first = await t.call('GET', path);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}\.png\.M\.256\.4\.r\d+"$/);
    expect((await t.call('GET', path)).headers.get('etag')).toBe(etag);
    expect((await t.call('GET', `/v1/licences/${licence.id}/qr.png?size=512`)).headers.get('etag')).not.toBe(etag);
    const cached = await t.call('GET', path, { headers: { 'If-None-Match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    expect(await cached.text()).toBe('');
    expect((await t.call('GET', path, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });
});

describe('GET /v1/licences/{id}/qr.svg', () => {
  it('is an SVG of the same symbol, sized by `size`, that reads back through our PNG writer', async () => {
    const licence = await issue();
    const res = await t.call('GET', `/v1/licences/${licence.id}/qr.svg?size=400&margin=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="licence-${licence.id}-qr.svg"`);
    expect(res.headers.get('etag')).toMatch(/\.svg\.M\.400\.2\./);
    const svg = await res.text();
    const matrix = qrMatrix(licence.qrText, 'M');
    expect(svg).toMatch(new RegExp(`^<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${matrix.size + 4} ${matrix.size + 4}" width="400" height="400"`));
    expect(svg).not.toMatch(/<script|on\w+=/i);
    // Rasterise the path independently and read it with jsQR.
    const text = readSvgWithJsQr(svg);
    expect(text).toBe(licence.qrText);
    expect(decodeLicenceQr(text!)).toBe(licence.credential);
  });

  it('defaults to 8 units per module at level M with a 4-module quiet zone', async () => {
    const licence = await issue();
    const svg = await (await t.call('GET', `/v1/licences/${licence.id}/qr.svg`)).text();
    const total = qrMatrix(licence.qrText, 'M').size + 8;
    expect(svg).toContain(`viewBox="0 0 ${total} ${total}" width="${total * 8}" height="${total * 8}"`);
  });
});

describe('QR route options and access', () => {
  it.each([
    ['ecc=X', 'ecc'],
    ['ecc=m', 'ecc'],
    ['size=127', 'size'],
    ['size=2049', 'size'],
    ['size=abc', 'size'],
    ['size=300.5', 'size'],
    ['margin=1', 'margin'],
    ['margin=17', 'margin'],
    ['margin=-4', 'margin'],
  ])('%s is 400 naming the field', async (query, field) => {
    const licence = await issue();
    for (const ext of ['png', 'svg']) await expectError(await t.call('GET', `/v1/licences/${licence.id}/qr.${ext}?${query}`), 400, 'ERR_VALIDATION', field);
  });

  it('an unknown query option is 400 ERR_UNKNOWN_FIELD', async () => {
    const licence = await issue();
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/qr.png?scale=3`), 400, 'ERR_UNKNOWN_FIELD', 'scale');
  });

  it('a size too small for the symbol at that level and margin is 400 on size', async () => {
    const licence = await issue();
    const matrix = qrMatrix(licence.qrText, 'H');
    expect(matrix.size + 32).toBeGreaterThan(128); // the premise of this case
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/qr.png?ecc=H&size=128&margin=16`), 400, 'ERR_VALIDATION', 'size');
  });

  it('401 without a token, 403 without the read scope or outside the token types, 404 for unknown or foreign licences', async () => {
    const licence = await issue();
    for (const ext of ['png', 'svg']) {
      const path = `/v1/licences/${licence.id}/qr.${ext}`;
      await expectError(await t.call('GET', path, { token: null }), 401, 'ERR_UNAUTHENTICATED');
      const issueOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'issue-only', actions: ['issue'] }, 'test')).token;
      await expectError(await t.call('GET', path, { token: issueOnly }), 403, 'ERR_FORBIDDEN');
      const foodOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: ['read'], licenceTypes: ['FoodBusinessLicence'] }, 'test')).token;
      await expectError(await t.call('GET', path, { token: foodOnly }), 403, 'ERR_FORBIDDEN');
      await expectError(await t.call('GET', `/v1/licences/0190aaaa-0000-7000-8000-000000000000/qr.${ext}`), 404, 'ERR_NOT_FOUND');
    }
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const other = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo', actions: ['read'] }, 'test')).token;
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/qr.png`, { token: other }), 404, 'ERR_NOT_FOUND');
    await expectError(await t.call('GET', `/v1/licences/${licence.id}/qr.svg`, { token: other }), 404, 'ERR_NOT_FOUND');
  });
});

describe('the runtime-neutral renderer (src/app/qr-image.ts)', () => {
  it('writes a valid PNG for any text, readable by pngjs (CRCs, zlib) and jsQR', () => {
    for (const text of ['HELLO', 'https://elicence.test/v1/licences/x', encodeLicenceQr(qrVectorJws())]) {
      const read = readPng(qrPng(qrMatrix(text, 'Q')));
      expect(read.text).toBe(text);
    }
  });

  it('a text that fits no QR code at the level is ERR_QR_TOO_LARGE on ecc (5000 digits: 34-L, but 40-H holds 3057)', () => {
    const text = `EL1:${'1'.repeat(5000)}`;
    expect(qrMatrix(text, 'L').version).toBe(34); // fits at L
    expect(() => qrMatrix(text, 'H')).toThrow(expect.objectContaining({ code: 'ERR_QR_TOO_LARGE', field: 'ecc' }));
  });
});

function qrVectorJws(): string {
  // A syntactically valid compact JWS (the codec only needs canonical base64url parts).
  return `eyJhbGciOiJFZERTQSJ9.eyJpZCI6InVybjp1dWlkOngifQ.${'A'.repeat(85)}w`;
}
