/**
 * The check code (src/core/check-code.ts, docs/holder-app.md): known answers computed independently
 * (Python's hashlib + base64.b32encode) for the empty text and the QR vector of the reference licence.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupedCheckCode, qrCheckCode } from '../src/core/check-code.js';

const vector = JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'qr-business-licence.json'), 'utf8')) as { qrText: string };

describe('QR check code', () => {
  it('is the first 6 base32 characters of SHA-256 of the QR text', () => {
    expect(qrCheckCode('')).toBe('4OYMIQ');
    expect(qrCheckCode(vector.qrText)).toBe('SSKPSD');
    expect(groupedCheckCode(qrCheckCode(vector.qrText))).toBe('SSK PSD');
  });

  it('changes when one character of the QR text changes', () => {
    const flipped = `${vector.qrText.slice(0, -1)}${vector.qrText.endsWith('0') ? '1' : '0'}`;
    expect(qrCheckCode(flipped)).not.toBe(qrCheckCode(vector.qrText));
  });
});
