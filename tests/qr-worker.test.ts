/** The worker-thread QR encoder gives the codec's exact texts, and falls back to this thread if its worker dies. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { inlineQrEncoder, startQrEncoder } from '../src/node/qr-worker.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/qr-business-licence.json', import.meta.url), 'utf8')) as { jws: string; qrText: string };

describe('QR worker', () => {
  test('encodes on a worker thread exactly as the codec does', async () => {
    const encoder = await startQrEncoder();
    try {
      expect(encoder).not.toBe(inlineQrEncoder);
      expect(await encoder.encode([vector.jws, vector.jws])).toEqual([vector.qrText, encodeLicenceQr(vector.jws)]);
    } finally {
      await encoder.close();
    }
  });

  test('after its worker is gone, work is done on this thread instead of waiting forever', async () => {
    const encoder = await startQrEncoder();
    await encoder.close();
    expect(await encoder.encode([vector.jws])).toEqual([vector.qrText]);
  });
});
