/**
 * QR format EL1 (src/core/qr): known answers that pin the format, round trips that verify with jose,
 * and every malformed input mapped to its error code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { deflateSync } from 'fflate';
import { compactVerify, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { ElicenceError, type ErrorCode } from '../src/core/errors.js';
import { generateSigningJwk, publicJwk } from '../src/core/jws-sign.js';
import {
  DEFAULT_MAX_INFLATED_BYTES,
  decodeLicenceQr,
  encodeLicenceQr,
  isLicenceQrText,
  LICENCE_QR_MODE,
  LICENCE_QR_PREFIX,
  licenceQrSegments,
  MAX_LICENCE_QR_TEXT_LENGTH,
  QR_DICTIONARY_ENTRIES,
  qrDictionaryBytes,
} from '../src/core/qr/index.js';
import { bytesToDigits, digitsToBytes } from '../src/core/qr/numeric.js';
import { encodeVarint } from '../src/core/qr/varint.js';
import { buildCredential, creditCode, realisticLicences, signLicence } from './fixtures/licences.js';

const vectorKey = JSON.parse(readFileSync(new URL('./vectors/qr-test-key.json', import.meta.url), 'utf8')).privateJwk as JWK;
const vector = JSON.parse(readFileSync(new URL('./vectors/qr-business-licence.json', import.meta.url), 'utf8')) as {
  credential: Record<string, unknown>;
  jws: string;
  qrText: string;
};

function codeOf(action: () => unknown): ErrorCode | 'NO_ERROR' {
  try {
    action();
    return 'NO_ERROR';
  } catch (error) {
    if (error instanceof ElicenceError) return error.code;
    throw error;
  }
}

async function verifies(jws: string, jwk: JWK): Promise<boolean> {
  const alg = jwk.kty === 'OKP' ? 'EdDSA' : 'ES256';
  try {
    await compactVerify(jws, await importJWK(publicJwk(jwk), alg), { algorithms: [alg] });
    return true;
  } catch {
    return false;
  }
}

/** Builds an EL1 text around arbitrary DEFLATE bytes, with a valid length so only the stream is at fault. */
function textAroundDeflated(deflated: Uint8Array, signature = new Uint8Array(64).fill(7)): string {
  const body = new Uint8Array([signature.length, ...signature, ...deflated]);
  return LICENCE_QR_PREFIX + bytesToDigits(new Uint8Array([...encodeVarint(body.length), ...body]));
}

describe('EL1 dictionary', () => {
  it('is frozen: its length and SHA-256 never drift (a change needs a new prefix)', () => {
    const bytes = qrDictionaryBytes();
    expect(bytes.length).toBe(3897);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('0edf0b286419b13db53c03814e16935017aec4a191e095191d97b90c6aadd0e8');
    expect(Object.isFrozen(QR_DICTIONARY_ENTRIES)).toBe(true);
    expect(new TextDecoder().decode(bytes)).toBe(QR_DICTIONARY_ENTRIES.join(''));
  });

  it('hands out copies, so no caller can change the format', () => {
    qrDictionaryBytes().fill(0);
    expect(qrDictionaryBytes()[0]).not.toBe(0);
  });
});

describe('EL1 known-answer vector', () => {
  it('the fixed key and credential give the committed JWS and the committed QR text', async () => {
    expect(await signLicence(vector.credential, vectorKey)).toBe(vector.jws);
    expect(encodeLicenceQr(vector.jws)).toBe(vector.qrText);
    expect(decodeLicenceQr(vector.qrText)).toBe(vector.jws);
    expect(await verifies(decodeLicenceQr(vector.qrText), vectorKey)).toBe(true);
  });

  it('names its mode and segments', () => {
    expect(LICENCE_QR_MODE).toBe('numeric');
    expect(isLicenceQrText(vector.qrText)).toBe(true);
    expect(licenceQrSegments(vector.qrText)).toEqual([
      { data: 'EL1:', mode: 'alphanumeric' },
      { data: vector.qrText.slice(4), mode: 'numeric' },
    ]);
    expect(isLicenceQrText(vector.jws)).toBe(false);
    expect(codeOf(() => licenceQrSegments(vector.jws))).toBe('ERR_QR_PREFIX');
  });
});

describe('EL1 round trip', () => {
  it.each(['EdDSA', 'ES256'] as const)('gives back every built-in licence byte for byte, and it verifies (%s)', async (alg) => {
    const licences = await realisticLicences(alg);
    for (const licence of licences) {
      const text = encodeLicenceQr(licence.jws);
      expect(text.length).toBeLessThan(licence.jws.length * 0.75);
      const decoded = decodeLicenceQr(text);
      expect(decoded).toBe(licence.jws);
      expect(await verifies(decoded, licence.publicJwk)).toBe(true);
    }
  });

  it('holds for random subjects of both types (property)', async () => {
    const { privateJwk } = await generateSigningJwk();
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 });
    const chinese = fc.string({ unit: fc.integer({ min: 0x4e00, max: 0x9fa5 }).map((c) => String.fromCodePoint(c)), minLength: 1, maxLength: 80 });
    const words = fc.oneof(text, chinese);
    const business = fc.record({
      name: words,
      entityType: words,
      legalRepresentative: words,
      registeredCapital: words,
      establishedOn: fc.constant('2020-01-02'),
      address: words,
      businessScope: words,
    });
    const food = fc.record({
      licenceNumber: fc.stringMatching(/^JY\d{14}$/),
      operatorName: words,
      legalRepresentative: words,
      premisesAddress: words,
      mainBusinessFormat: words,
      businessItems: fc.array(words, { minLength: 1, maxLength: 6 }),
    });
    const licence = fc.record({
      kind: fc.oneof(
        business.map((subject) => ({ type: 'BusinessLicence', subject })),
        food.map((subject) => ({ type: 'FoodBusinessLicence', subject })),
      ),
      uuid: fc.uuid(),
      codePrefix: fc.stringMatching(/^91[0-9]{6}[0-9A-HJ-NPQRTUWXY]{9}$/),
      revocationIndex: fc.nat({ max: 131_071 }),
      suspensionIndex: fc.nat({ max: 131_071 }),
      iat: fc.integer({ min: 1_700_000_000, max: 2_000_000_000 }),
      supersedes: fc.option(fc.uuid(), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(licence, async (l) => {
        const credential = buildCredential({
          type: l.kind.type,
          subject: l.kind.subject,
          creditCode: creditCode(l.codePrefix),
          uuid: l.uuid,
          revocationIndex: l.revocationIndex,
          suspensionIndex: l.suspensionIndex,
          iat: l.iat,
          ...(l.supersedes === undefined ? {} : { supersedes: l.supersedes }),
        });
        const jws = await signLicence(credential, privateJwk);
        const decoded = decodeLicenceQr(encodeLicenceQr(jws));
        expect(decoded).toBe(jws);
        expect(await verifies(decoded, privateJwk)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('carries any compact JWS, not only licences (property)', () => {
    const part = fc.uint8Array({ minLength: 1, maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64url'));
    fc.assert(
      fc.property(
        part,
        part,
        part.filter((p) => p.length <= 340),
        (header, payload, signature) => {
          const jws = `${header}.${payload}.${signature}`;
          expect(decodeLicenceQr(encodeLicenceQr(jws))).toBe(jws);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('EL1 encoder input', () => {
  it.each([
    ['not three parts', 'abc.def'],
    ['empty signature', 'eyJ9.eyJ9.'],
    ['non-base64url characters', 'ey+J.e30.AAAA'],
    ['non-canonical base64url (stray low bits)', 'e31.e30.AAAA'],
    ['padding', 'e30=.e30.AAAA'],
  ])('refuses %s with ERR_JWS_MALFORMED', (_label, jws) => {
    expect(codeOf(() => encodeLicenceQr(jws))).toBe('ERR_JWS_MALFORMED');
  });

  it('refuses a payload past the inflated cap with ERR_QR_TOO_LARGE', () => {
    const payload = Buffer.from('x'.repeat(DEFAULT_MAX_INFLATED_BYTES)).toString('base64url');
    expect(codeOf(() => encodeLicenceQr(`e30.${payload}.AAAA`))).toBe('ERR_QR_TOO_LARGE');
  });
});

describe('EL1 malformed input', () => {
  it.each([
    ['', 'ERR_QR_PREFIX'],
    ['EL1', 'ERR_QR_PREFIX'],
    ['el1:12345678901234567', 'ERR_QR_PREFIX'],
    ['EL2:12345678901234567', 'ERR_QR_PREFIX'],
    ['HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH', 'ERR_QR_PREFIX'],
    [' EL1:123', 'ERR_QR_PREFIX'],
    ['EL1:1234a', 'ERR_QR_CHARACTERS'],
    ['EL1:123 456', 'ERR_QR_CHARACTERS'],
    ['EL1:１２３', 'ERR_QR_CHARACTERS'],
    ['EL1:123\n', 'ERR_QR_CHARACTERS'],
    ['EL1:', 'ERR_QR_TRUNCATED'],
    [`EL1:${'9'.repeat(17)}`, 'ERR_QR_CORRUPT'],
  ] as const)('%j gives %s', (text, code) => {
    expect(codeOf(() => decodeLicenceQr(text))).toBe(code);
  });

  it('rejects the JWS itself and non-strings with ERR_QR_PREFIX', () => {
    expect(codeOf(() => decodeLicenceQr(vector.jws))).toBe('ERR_QR_PREFIX');
    expect(codeOf(() => decodeLicenceQr(42 as unknown as string))).toBe('ERR_QR_PREFIX');
  });

  it('gives ERR_QR_TRUNCATED for every cut-short text', () => {
    for (let length = LICENCE_QR_PREFIX.length; length < vector.qrText.length; length++) {
      expect(
        codeOf(() => decodeLicenceQr(vector.qrText.slice(0, length))),
        `cut at ${length}`,
      ).toBe('ERR_QR_TRUNCATED');
    }
  });

  it('gives ERR_QR_CORRUPT for trailing digits', () => {
    expect(codeOf(() => decodeLicenceQr(`${vector.qrText}000`))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => decodeLicenceQr(`${vector.qrText}0`))).toBe('ERR_QR_CORRUPT');
  });

  it('gives ERR_QR_CORRUPT for a broken compressed stream', () => {
    expect(codeOf(() => decodeLicenceQr(textAroundDeflated(Uint8Array.of(0xff, 0xff, 0xff, 0xff))))).toBe('ERR_QR_CORRUPT');
    // Block type 3 (reserved).
    expect(codeOf(() => decodeLicenceQr(textAroundDeflated(Uint8Array.of(0x06))))).toBe('ERR_QR_CORRUPT');
    // A stored block whose length and complement disagree: fflate does not check NLEN, the canonical check does.
    expect(codeOf(() => decodeLicenceQr(textAroundDeflated(Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5))))).toBe('ERR_QR_CORRUPT');
  });

  it('gives ERR_QR_TRUNCATED for a stream that stops before its final block, even with a consistent length', () => {
    const plain = new Uint8Array([2, 0x7b, 0x7d, 0x7b, 0x7d]);
    const whole = deflateSync(plain, { level: 0 });
    expect(codeOf(() => decodeLicenceQr(textAroundDeflated(whole.subarray(0, whole.length - 2)), { canonical: false }))).toBe('ERR_QR_TRUNCATED');
  });

  it('gives ERR_QR_CORRUPT for a bad header length inside the stream', () => {
    const cases = [
      new Uint8Array([0, 0x7b, 0x7d]), // empty header
      new Uint8Array([9, 0x7b, 0x7d]), // header longer than the content
      new Uint8Array([0x82, 0x00, 0x7b, 0x7d, 0x7b]), // varint not in shortest form
      new Uint8Array([0xff, 0xff, 0xff, 0xff]), // varint too long
    ];
    for (const plain of cases) {
      expect(codeOf(() => decodeLicenceQr(textAroundDeflated(deflateSync(plain)), { canonical: false }))).toBe('ERR_QR_CORRUPT');
    }
  });

  it('accepts only the canonical text: another valid DEFLATE stream of the same content is ERR_QR_CORRUPT', () => {
    const [header, payload, signature] = vector.jws.split('.').map((part) => new Uint8Array(Buffer.from(part, 'base64url')));
    const plain = new Uint8Array([...encodeVarint(header!.length), ...header!, ...payload!]);
    const stored = textAroundDeflated(deflateSync(plain, { level: 0 }), signature);
    expect(codeOf(() => decodeLicenceQr(stored))).toBe('ERR_QR_CORRUPT');
    expect(decodeLicenceQr(stored, { canonical: false })).toBe(vector.jws);
  });

  it('gives ERR_QR_CORRUPT for a digit chunk too large for its bytes', () => {
    const digits = vector.qrText.slice(4);
    const bumped = `${digits.slice(0, 17)}99999999999999999${digits.slice(34)}`;
    expect(codeOf(() => decodeLicenceQr(LICENCE_QR_PREFIX + bumped))).toBe('ERR_QR_CORRUPT');
  });

  it('refuses a decompression bomb quickly with ERR_QR_TOO_LARGE', () => {
    // 2.5 MB of zeros compresses to about 2.4 KB: the largest bomb a QR code can carry.
    const bomb = textAroundDeflated(deflateSync(new Uint8Array(2_500_000), { level: 9 }));
    expect(bomb.length).toBeLessThanOrEqual(MAX_LICENCE_QR_TEXT_LENGTH);
    const started = performance.now();
    expect(codeOf(() => decodeLicenceQr(bomb))).toBe('ERR_QR_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('applies a caller cap below a real licence, and refuses over-long texts before decoding', () => {
    expect(codeOf(() => decodeLicenceQr(vector.qrText, { maxInflatedBytes: 1000 }))).toBe('ERR_QR_TOO_LARGE');
    expect(decodeLicenceQr(vector.qrText, { maxInflatedBytes: 1500 })).toBe(vector.jws);
    expect(() => decodeLicenceQr(vector.qrText, { maxInflatedBytes: Number.NaN })).toThrow(RangeError);
    expect(codeOf(() => decodeLicenceQr(`EL1:${'1'.repeat(MAX_LICENCE_QR_TEXT_LENGTH)}`))).toBe('ERR_QR_TOO_LARGE');
  });

  it('any changed digit gives a typed error or a different JWS that fails verification', async () => {
    const digits = vector.qrText.slice(4);
    for (let i = 0; i < digits.length; i++) {
      const changed = `${LICENCE_QR_PREFIX}${digits.slice(0, i)}${(Number(digits[i]) + 5) % 10}${digits.slice(i + 1)}`;
      let decoded: string;
      try {
        decoded = decodeLicenceQr(changed);
      } catch (error) {
        expect(error, `digit ${i}`).toBeInstanceOf(ElicenceError);
        continue;
      }
      expect(decoded, `digit ${i}`).not.toBe(vector.jws);
      expect(await verifies(decoded, vectorKey), `digit ${i}`).toBe(false);
    }
  });

  it('random garbage never throws anything but ElicenceError (property)', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 1200 });
    const garbage = fc.oneof(
      fc.string({ maxLength: 400 }),
      digits.map((d) => LICENCE_QR_PREFIX + d),
      fc.uint8Array({ maxLength: 900 }).map((bytes) => LICENCE_QR_PREFIX + bytesToDigits(bytes)),
      fc.uint8Array({ maxLength: 900 }).map((bytes) => textAroundDeflated(bytes)),
      fc.tuple(fc.nat(), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 })).map(([at, junk]) => {
        const i = LICENCE_QR_PREFIX.length + (at % (vector.qrText.length - LICENCE_QR_PREFIX.length));
        return vector.qrText.slice(0, i) + junk + vector.qrText.slice(i + junk.length);
      }),
    );
    fc.assert(
      fc.property(garbage, (text) => {
        try {
          decodeLicenceQr(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ElicenceError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('EL1 numeric layer', () => {
  it('round-trips any bytes, one digit string per byte string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const digits = bytesToDigits(bytes);
        expect(digitsToBytes(digits)).toEqual(bytes);
      }),
    );
  });

  it('writes each chunk as its big-endian number in decimal (property, against a BigInt reference)', () => {
    const reference = (bytes: Uint8Array) => {
      let digits = '';
      for (let start = 0; start < bytes.length; start += 7) {
        const chunk = bytes.subarray(start, start + 7);
        let value = 0n;
        for (const byte of chunk) value = (value << 8n) | BigInt(byte);
        digits += value.toString().padStart([0, 3, 5, 8, 10, 13, 15, 17][chunk.length]!, '0');
      }
      return digits;
    };
    // Chunks whose value sits next to a multiple of 10^9, where a rounding error in the split would show.
    const nearBillions = fc.tuple(fc.bigInt({ min: 1n, max: 72_057_594n }), fc.integer({ min: -3, max: 3 })).map(([k, d]) => {
      const value = k * 1_000_000_000n + BigInt(d);
      return Uint8Array.from({ length: 7 }, (_, i) => Number((value >> BigInt(8 * (6 - i))) & 0xffn));
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), nearBillions), (bytes) => {
        expect(bytesToDigits(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('uses 17 digits per 7 bytes and the fewest digits for the last chunk', () => {
    expect(bytesToDigits(new Uint8Array(7).fill(255))).toBe('72057594037927935');
    expect(bytesToDigits(Uint8Array.of(0, 1))).toBe('00001');
    expect(bytesToDigits(Uint8Array.of(255, 255, 255, 255, 255, 255, 255, 1))).toBe('72057594037927935001');
    expect(codeOf(() => digitsToBytes('72057594037927936'))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => digitsToBytes('256'))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => digitsToBytes('1234'))).toBe('ERR_QR_CORRUPT');
  });
});

describe('texts from another encoder', () => {
  it('a zlib-compressed EL1 text is refused by the canonical check but decoded by verifiers', async () => {
    const { deflateRawSync, constants } = await import('node:zlib');
    const { jwsFromInput } = await import('../verifier/input.js');
    const [h, p, s] = (vector.jws as string).split('.') as [string, string, string];
    const header = Buffer.from(h, 'base64url');
    const plain = Buffer.concat([Buffer.from(encodeVarint(header.length)), header, Buffer.from(p, 'base64url')]);
    const zlibStream = deflateRawSync(plain, { level: constants.Z_BEST_COMPRESSION, dictionary: Buffer.from(qrDictionaryBytes()) });
    const text = textAroundDeflated(new Uint8Array(zlibStream), new Uint8Array(Buffer.from(s, 'base64url')));
    expect(text).not.toBe(vector.qrText);
    expect(codeOf(() => decodeLicenceQr(text))).toBe('ERR_QR_CORRUPT');
    expect(jwsFromInput(text)).toBe(vector.jws);
  });
});
