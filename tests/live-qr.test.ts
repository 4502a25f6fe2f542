/**
 * QR format EL2 (live presentation, docs/qr-format.md section 11): the known-answer vector byte for
 * byte, the frozen dictionary, round trips, the lifted cnf key, every cut and every junk suffix.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, fromBase64url, fromUtf8 } from '../src/core/encoding.js';
import { ElicenceError } from '../src/core/errors.js';
import { QR_DICTIONARY_ENTRIES } from '../src/core/qr/dictionary.js';
import { decodeLicenceQr, encodeLicenceQr } from '../src/core/qr/index.js';
import { createLiveQr, decodeLiveQr, encodeLiveQr, isLiveQrText, LIVE_QR_PREFIX, liveProofMessage, liveSlotMidpointMs, liveSlotOf, verifyLiveProof } from '../src/core/qr/live.js';
import { LIVE_QR_DICTIONARY_ADDITIONS, LIVE_QR_DICTIONARY_ENTRIES, liveQrDictionaryBytes } from '../src/core/qr/live-dictionary.js';
import { signLicence } from './fixtures/licences.js';
import { deviceKeyFromJwk, makeDeviceKey } from './fixtures/live.js';

interface LiveVector {
  devicePrivateJwk: { kty: string; crv: string; x: string; y: string; d: string };
  credential: Record<string, unknown> & { credentialStatus: Array<{ statusPurpose: string }> };
  jws: string;
  slot: number;
  slotTime: string;
  proofMessageHex: string;
  proofHex: string;
  text: string;
  qrVersionM: number;
}
const vector: LiveVector = JSON.parse(readFileSync(new URL('./vectors/qr-live-bound-copy.json', import.meta.url), 'utf8'));
const issuerKey = JSON.parse(readFileSync(new URL('./vectors/qr-test-key.json', import.meta.url), 'utf8'));

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const publicOf = ({ kty, crv, x, y }: typeof vector.devicePrivateJwk) => ({ kty, crv, x, y });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ElicenceError);
    return (error as ElicenceError).code;
  }
}

describe('EL2 known-answer vector (tests/vectors/qr-live-bound-copy.json)', () => {
  it('the issuer signs the bound copy to the vector JWS (Ed25519 is deterministic)', async () => {
    expect(await signLicence(vector.credential, issuerKey.privateJwk)).toBe(vector.jws);
    // The contract's shape: three entries (the copy's own revocation last), cnf right before iat.
    expect(Object.keys(vector.credential).slice(-2)).toEqual(['cnf', 'iat']);
    expect(vector.credential.credentialStatus.map((e) => e.statusPurpose)).toEqual(['revocation', 'suspension', 'revocation']);
  });

  it('the proof message, the deterministic proof and its check', async () => {
    const message = await liveProofMessage(vector.jws, vector.slot);
    expect(hex(message)).toBe(vector.proofMessageHex);
    expect(message.length).toBe(44);
    expect(fromUtf8(message.subarray(0, 8))).toBe('EL-LIVE1');
    expect(new DataView(message.buffer).getUint32(8)).toBe(vector.slot);
    expect(hex(message.subarray(12))).toBe(createHash('sha256').update(vector.jws, 'ascii').digest('hex'));
    const d = fromBase64url(vector.devicePrivateJwk.d)!;
    expect(hex(p256.sign(message, d))).toBe(vector.proofHex);
    expect(await verifyLiveProof(vector.jws, vector.slot, fromHex(vector.proofHex), publicOf(vector.devicePrivateJwk))).toBe(true);
    expect(vector.slot).toBe(liveSlotOf(Date.parse(vector.slotTime)));
  });

  it('encodes to the vector text byte for byte and decodes back (canonical and lenient)', () => {
    const text = encodeLiveQr({ jws: vector.jws, slot: vector.slot, signature: fromHex(vector.proofHex) });
    expect(text).toBe(vector.text);
    for (const canonical of [true, false]) {
      const decoded = decodeLiveQr(vector.text, { canonical });
      expect(decoded.jws).toBe(vector.jws);
      expect(decoded.slot).toBe(vector.slot);
      expect(hex(decoded.signature)).toBe(vector.proofHex);
    }
    expect(isLiveQrText(vector.text)).toBe(true);
    expect(vector.qrVersionM).toBeLessThanOrEqual(25);
  });

  it('docs/qr-format.md section 11 states the same dictionary additions, vector text and slot', () => {
    const doc = readFileSync(new URL('../docs/qr-format.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### 11.3'));
    const json = section.slice(section.indexOf('```json') + 7, section.indexOf('```', section.indexOf('```json') + 7));
    expect(JSON.parse(json)).toEqual(LIVE_QR_DICTIONARY_ADDITIONS);
    expect(doc).toContain(vector.text);
    expect(doc).toContain(vector.proofHex);
    expect(doc).toContain(String(vector.slot));
  });

  it('the EL2 dictionary is EL1 unchanged, then the additions, pinned by length and SHA-256', () => {
    expect(LIVE_QR_DICTIONARY_ENTRIES.slice(0, QR_DICTIONARY_ENTRIES.length)).toEqual(QR_DICTIONARY_ENTRIES);
    const bytes = liveQrDictionaryBytes();
    expect(bytes.length).toBe(4563);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('f62c0f346149c78611633daad59f73072782fe53797e22407ed4e5eb814b5384');
  });
});

describe('EL2 codec', () => {
  it('round-trips with a WebCrypto device key (non-extractable), and the proof verifies only with that key', async () => {
    const device = await makeDeviceKey();
    const other = await makeDeviceKey();
    const now = Date.parse('2026-06-01T10:00:07Z');
    const text = await createLiveQr(vector.jws, device.sign, { now });
    const decoded = decodeLiveQr(text);
    expect(decoded.jws).toBe(vector.jws);
    expect(decoded.slot).toBe(Math.floor(now / 30_000));
    expect(liveSlotMidpointMs(decoded.slot)).toBe(Date.parse('2026-06-01T10:00:15Z'));
    expect(await verifyLiveProof(decoded.jws, decoded.slot, decoded.signature, device.publicJwk)).toBe(true);
    expect(await verifyLiveProof(decoded.jws, decoded.slot, decoded.signature, other.publicJwk)).toBe(false);
    expect(await verifyLiveProof(decoded.jws, decoded.slot + 1, decoded.signature, device.publicJwk)).toBe(false);
    expect(await verifyLiveProof(encodeLicenceQr(vector.jws), decoded.slot, decoded.signature, device.publicJwk)).toBe(false);
  });

  it('pins the proof key to P-256 public keys: private members, other curves and junk are refused', async () => {
    const signature = fromHex(vector.proofHex);
    const good = publicOf(vector.devicePrivateJwk);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature, vector.devicePrivateJwk)).toBe(false);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature, { ...good, crv: 'SM2' })).toBe(false);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature, { kty: 'OKP', crv: 'Ed25519', x: good.x })).toBe(false);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature, { ...good, alg: 'EdDSA' })).toBe(false);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature.subarray(0, 63), good)).toBe(false);
    expect(await verifyLiveProof(vector.jws, vector.slot, signature, null)).toBe(false);
  });

  it('keeps the cnf key in the payload when lifting it could not be undone exactly (two keys)', async () => {
    const device = await makeDeviceKey();
    const credential = { ...vector.credential, extra: { cnf: { jwk: publicOf(vector.devicePrivateJwk) } } };
    const jws = await signLicence(credential, issuerKey.privateJwk);
    const text = await createLiveQr(jws, device.sign, { slot: 5 });
    expect(decodeLiveQr(text).jws).toBe(jws);
    // A JWS that is not a bound credential at all still travels (the verifier refuses it later).
    const plain = await createLiveQr(decodeLicenceQr(encodeLicenceQr(vector.jws)), device.sign, { slot: 2 ** 32 - 1 });
    expect(decodeLiveQr(plain).slot).toBe(2 ** 32 - 1);
  });

  it('refuses bad slots and proofs on encode', () => {
    const signature = fromHex(vector.proofHex);
    for (const slot of [-1, 2 ** 32, 1.5, Number.NaN]) expect(codeOf(() => encodeLiveQr({ jws: vector.jws, slot, signature }))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => encodeLiveQr({ jws: vector.jws, slot: 1, signature: signature.subarray(1) }))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => encodeLiveQr({ jws: 'a.b', slot: 1, signature }))).toBe('ERR_JWS_MALFORMED');
  });

  it('every proper prefix is ERR_QR_TRUNCATED; junk after it or another prefix is refused', () => {
    for (let cut = LIVE_QR_PREFIX.length; cut < vector.text.length; cut++) {
      expect(
        codeOf(() => decodeLiveQr(vector.text.slice(0, cut), { canonical: false })),
        `cut at ${cut}`,
      ).toBe('ERR_QR_TRUNCATED');
    }
    expect(codeOf(() => decodeLiveQr(`${vector.text}000`))).toBe('ERR_QR_CORRUPT');
    expect(codeOf(() => decodeLiveQr(`EL1:${vector.text.slice(4)}`))).toBe('ERR_QR_PREFIX');
    expect(codeOf(() => decodeLicenceQr(vector.text))).toBe('ERR_QR_PREFIX');
    expect(codeOf(() => decodeLiveQr(`${vector.text.slice(0, 10)}A${vector.text.slice(11)}`))).toBe('ERR_QR_CHARACTERS');
  });

  it('a changed digit gives a typed error or content whose proof no longer verifies', async () => {
    const key = publicOf(vector.devicePrivateJwk);
    for (let i = LIVE_QR_PREFIX.length; i < vector.text.length; i += 37) {
      const digit = vector.text[i] === '9' ? '0' : String(Number(vector.text[i]) + 1);
      const changed = vector.text.slice(0, i) + digit + vector.text.slice(i + 1);
      let decoded: ReturnType<typeof decodeLiveQr>;
      try {
        decoded = decodeLiveQr(changed, { canonical: false });
      } catch (error) {
        expect(error).toBeInstanceOf(ElicenceError);
        continue;
      }
      const same = decoded.jws === vector.jws && decoded.slot === vector.slot && base64url(decoded.signature) === base64url(fromHex(vector.proofHex));
      expect(same).toBe(false);
      // The issuer's signature or the proof catches it (here: the proof, which covers the JWS and slot).
      if (decoded.jws === vector.jws && decoded.slot === vector.slot) expect(await verifyLiveProof(decoded.jws, decoded.slot, decoded.signature, key)).toBe(false);
    }
  });

  it('a device key as the holder app makes it can sign many slots', async () => {
    const device = await deviceKeyFromJwk(vector.devicePrivateJwk);
    for (const slot of [0, 1, 127, 128, 59_346_000]) {
      const live = decodeLiveQr(await createLiveQr(vector.jws, device.sign, { slot }));
      expect(live.slot).toBe(slot);
      expect(await verifyLiveProof(live.jws, slot, live.signature, device.publicJwk)).toBe(true);
    }
  });
});

describe('EL2 properties', () => {
  const b64 = (bytes: Uint8Array) => base64url(bytes);
  const jwsOf = (header: unknown, payload: unknown, signature: Uint8Array) =>
    `${b64(new TextEncoder().encode(JSON.stringify(header)))}.${b64(new TextEncoder().encode(JSON.stringify(payload)))}.${b64(signature)}`;
  const coordinate = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64);
  const payload = fc.record({
    id: fc.string({ maxLength: 40 }),
    name: fc.string({ unit: 'grapheme', maxLength: 60 }),
    cnf: fc.option(fc.record({ jwk: fc.record({ kty: fc.constant('EC'), crv: fc.constant('P-256'), x: coordinate, y: coordinate }) }), { nil: undefined }),
    iat: fc.nat(),
  });

  it('encode -> decode gives back the JWS, slot and proof exactly (canonical), with or without a liftable key', () => {
    fc.assert(
      fc.property(
        payload,
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (body, sig, slot, proof) => {
          const jws = jwsOf({ alg: 'ES256', kid: 'k', typ: 'vc+jwt', cty: 'vc' }, body, sig);
          const text = encodeLiveQr({ jws, slot, signature: proof });
          const decoded = decodeLiveQr(text);
          expect(decoded.jws).toBe(jws);
          expect(decoded.slot).toBe(slot);
          expect(hex(decoded.signature)).toBe(hex(proof));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary digit strings after the prefix give a typed error or a result, never a crash', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{0,400}$/), (digits) => {
        try {
          decodeLiveQr(`EL2:${digits}`, { canonical: false });
        } catch (error) {
          expect(error).toBeInstanceOf(ElicenceError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
