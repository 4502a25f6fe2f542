/**
 * Real QR readers, not our decoder: licence QR codes rendered by src/node/qr-render.ts are read back
 * by jsQR (always) and by zbarimg from Debian's zbar-tools (skipped, loudly, when it is not installed),
 * and must give the exact QR text, which then decodes to the signed JWS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeLicenceQr, encodeLicenceQr } from '../src/core/qr/index.js';
import { realisticLicences } from './fixtures/licences.js';
import { ZBARIMG_QR_ARGS } from './helpers/qr-read.js';
import { type QrErrorCorrectionLevel, qrVersionFor, renderQrPng, renderQrSvg } from './helpers/qr-render.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/qr-business-licence.json', import.meta.url), 'utf8')) as { jws: string; qrText: string };

const zbarAvailable = spawnSync('zbarimg', ['--version'], { stdio: 'ignore' }).status === 0;
if (!zbarAvailable) {
  console.warn('qr-scan: zbarimg not found, skipping the zbar cases (install Debian package zbar-tools to run them)');
}

function readWithJsQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'qr-scan-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function readWithZbar(png: Buffer, name: string): string {
  const file = join(workDir, `${name}.png`);
  writeFileSync(file, png);
  // --raw prints the text alone, followed by one newline.
  return execFileSync('zbarimg', [...ZBARIMG_QR_ARGS, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n$/, '');
}

const samples = async () => [
  { label: 'vector', text: vector.qrText, jws: vector.jws },
  ...(await realisticLicences()).map((licence) => ({ label: licence.label, text: encodeLicenceQr(licence.jws), jws: licence.jws })),
];

describe('licence QR codes read by independent decoders', () => {
  it('jsQR reads every licence at level M and gets the exact text, which decodes to the JWS', async () => {
    for (const sample of await samples()) {
      const png = await renderQrPng(sample.text);
      const read = readWithJsQr(png);
      expect(read, sample.label).toBe(sample.text);
      expect(decodeLicenceQr(read!)).toBe(sample.jws);
    }
  });

  it.each(['L', 'Q', 'H'] as QrErrorCorrectionLevel[])('jsQR reads the vector at level %s', async (level) => {
    expect(readWithJsQr(await renderQrPng(vector.qrText, { errorCorrectionLevel: level }))).toBe(vector.qrText);
  });

  it.skipIf(!zbarAvailable)('zbarimg reads every licence at level M and gets the exact text', async () => {
    for (const [index, sample] of (await samples()).entries()) {
      const read = readWithZbar(await renderQrPng(sample.text), `licence-${index}`);
      expect(read, sample.label).toBe(sample.text);
      expect(decodeLicenceQr(read)).toBe(sample.jws);
    }
  });

  it.skipIf(!zbarAvailable)('zbarimg reads the vector at levels L, Q and H', async () => {
    for (const level of ['L', 'Q', 'H'] as QrErrorCorrectionLevel[]) {
      expect(readWithZbar(await renderQrPng(vector.qrText, { errorCorrectionLevel: level }), `vector-${level}`)).toBe(vector.qrText);
    }
  });
});

describe('qr-render', () => {
  it('draws a licence text in numeric mode: a lower version than the same text left to qrcode as bytes', () => {
    expect(qrVersionFor(vector.qrText, 'M')).toBeLessThanOrEqual(20);
    expect(qrVersionFor(vector.jws, 'M')).toBeGreaterThan(qrVersionFor(vector.qrText, 'M'));
  });

  it('renders SVG at the version it measured, quiet zone included', async () => {
    const svg = await renderQrSvg(vector.qrText, { margin: 4 });
    const modules = 17 + 4 * qrVersionFor(vector.qrText, 'M') + 8;
    expect(svg).toContain('<svg');
    expect(svg).toContain(`viewBox="0 0 ${modules} ${modules}"`);
  });

  it('honours width for PNG output, and renders non-licence text too', async () => {
    const png = PNG.sync.read(await renderQrPng(vector.qrText, { width: 600 }));
    expect(png.width).toBe(600);
    expect(readWithJsQr(await renderQrPng('https://elicence.hangzhou.gov.cn/'))).toBe('https://elicence.hangzhou.gov.cn/');
  });
});

/** An EAN-13 barcode as a PNG (2 pixels per module, 10-module quiet zones): what zbarimg misreads QR images as. */
function ean13Png(digits: string): Buffer {
  const L = ['0001101', '0011001', '0010011', '0111101', '0100011', '0110001', '0101111', '0111011', '0110111', '0001011'];
  const G = L.map((code) =>
    [...code]
      .map((b) => (b === '0' ? '1' : '0'))
      .reverse()
      .join(''),
  );
  const R = L.map((code) => [...code].map((b) => (b === '0' ? '1' : '0')).join(''));
  const parity = ['LLLLLL', 'LLGLGG', 'LLGGLG', 'LLGGGL', 'LGLLGG', 'LGGLLG', 'LGGGLL', 'LGLGLG', 'LGLGGL', 'LGGLGL'][Number(digits[0])]!;
  let bits = '101';
  for (let i = 1; i <= 6; i++) bits += (parity[i - 1] === 'L' ? L : G)[Number(digits[i])]!;
  bits += '01010';
  for (let i = 7; i <= 12; i++) bits += R[Number(digits[i])]!;
  bits += '101';
  const modules = `${'0'.repeat(10)}${bits}${'0'.repeat(10)}`;
  const png = new PNG({ width: modules.length * 2, height: 80 });
  for (let y = 0; y < 80; y++) {
    for (let x = 0; x < modules.length * 2; x++) {
      const dark = modules[x >> 1] === '1';
      png.data.fill(dark ? 0 : 255, (y * png.width + x) * 4, (y * png.width + x) * 4 + 3);
      png.data[(y * png.width + x) * 4 + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

describe('zbarimg is restricted to QR codes', () => {
  it.skipIf(!zbarAvailable)('reads an EAN-13 with its defaults, and nothing with the QR-only arguments the tests use', () => {
    const file = join(workDir, 'ean13.png');
    writeFileSync(file, ean13Png('4006381333931'));
    expect(execFileSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' }).trim()).toBe('4006381333931');
    const restricted = spawnSync('zbarimg', [...ZBARIMG_QR_ARGS, file], { encoding: 'utf8' });
    expect(restricted.stdout).toBe('');
    expect(restricted.status).toBe(4); // zbarimg: no symbol found
  });
});
