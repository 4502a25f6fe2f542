import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url } from '../src/core/encoding.js';
import { Bitstring, buildStatusListCredential, decodeStatusList, encodeStatusList, MIN_STATUS_LIST_ENTRIES, parseStatusListCredential } from '../src/core/status-list.js';

/** DESIGN.md's known answer: an all-zero 131,072-bit list. */
const ALL_ZERO_131072 = 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA';

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes as BufferSource]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
}

async function expectMalformed(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'ERR_STATUS_LIST_MALFORMED' });
}

describe('Bitstring', () => {
  it('numbers bits from the most significant bit of byte 0', () => {
    const bits = new Bitstring(MIN_STATUS_LIST_ENTRIES);
    bits.set(0);
    bits.set(7);
    bits.set(9);
    expect(bits.bytes[0]).toBe(0b1000_0001);
    expect(bits.bytes[1]).toBe(0b0100_0000);
    expect([bits.get(0), bits.get(1), bits.get(7), bits.get(8), bits.get(9)]).toEqual([true, false, true, false, true]);
    expect(bits.count()).toBe(3);
    bits.set(7, false);
    expect(bits.bytes[0]).toBe(0x80);
    expect(bits.count()).toBe(2);
  });

  it('refuses indices outside the list and lengths that are not whole bytes', () => {
    const bits = new Bitstring(16);
    expect(() => bits.get(16)).toThrow(RangeError);
    expect(() => bits.set(-1)).toThrow(RangeError);
    expect(() => bits.get(1.5)).toThrow(RangeError);
    expect(() => new Bitstring(12)).toThrow(RangeError);
  });
});

describe('encodedList', () => {
  it('reproduces the all-zero known answer with CompressionStream', async () => {
    expect(await encodeStatusList(new Bitstring(131_072))).toBe(ALL_ZERO_131072);
    const decoded = await decodeStatusList(ALL_ZERO_131072);
    expect(decoded.length).toBe(131_072);
    expect(decoded.count()).toBe(0);
  });

  it('round-trips set bits at random indices', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: MIN_STATUS_LIST_ENTRIES - 1 }), { maxLength: 40 }), async (indices) => {
        const bits = new Bitstring();
        for (const i of indices) bits.set(i);
        const decoded = await decodeStatusList(await encodeStatusList(bits));
        expect(decoded.count()).toBe(indices.length);
        for (const i of indices) expect(decoded.get(i)).toBe(true);
        expect(decoded.bytes).toEqual(bits.bytes);
      }),
      { numRuns: 40 },
    );
  });

  it('decodes a list written by another GZIP implementation with bit 0 first', async () => {
    const bytes = new Uint8Array(MIN_STATUS_LIST_ENTRIES / 8);
    bytes[0] = 0x80; // index 0
    bytes[12_345 >> 3] |= 0x80 >> (12_345 & 7);
    const decoded = await decodeStatusList(`u${base64url(await gzip(bytes))}`);
    expect(decoded.get(0)).toBe(true);
    expect(decoded.get(12_345)).toBe(true);
    expect(decoded.count()).toBe(2);
  });

  it('refuses malformed input with ERR_STATUS_LIST_MALFORMED', async () => {
    await expectMalformed(decodeStatusList(ALL_ZERO_131072.slice(1))); // no multibase prefix
    await expectMalformed(decodeStatusList(`z${ALL_ZERO_131072.slice(1)}`)); // base58 prefix
    await expectMalformed(decodeStatusList(`${ALL_ZERO_131072}=`)); // padding
    await expectMalformed(decodeStatusList(ALL_ZERO_131072.replace('-', '+'))); // base64, not base64url
    await expectMalformed(decodeStatusList(`u${base64url(new Uint8Array(40))}`)); // not GZIP
    await expectMalformed(decodeStatusList(ALL_ZERO_131072.slice(0, -6))); // truncated
    await expectMalformed(decodeStatusList(42));
  });

  it('refuses lists shorter than the minimum and caps the inflated size', async () => {
    await expectMalformed(decodeStatusList(await encodeStatusList(new Bitstring(131_064))));
    expect((await decodeStatusList(await encodeStatusList(new Bitstring(64)), { minEntries: 64 })).length).toBe(64);
    // A GZIP bomb: 8 MiB of zeros is a few KB compressed; it must stop at the cap, not inflate fully.
    const bomb = await encodeStatusList(new Uint8Array(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    await expectMalformed(decodeStatusList(bomb));
    await expectMalformed(decodeStatusList(ALL_ZERO_131072, { maxBytes: 16_383 }));
  });
});

describe('status list credential', () => {
  const url = 'http://localhost:8787/status/dev-city/revocation/1';

  async function credential() {
    return buildStatusListCredential(await credentialInput());
  }

  async function credentialInput() {
    const bits = new Bitstring();
    bits.set(94_567);
    return {
      url,
      issuer: { id: 'did:web:localhost%3A8787:authorities:dev-city', name: '开发市市场监督管理局' },
      purpose: 'revocation' as const,
      encodedList: await encodeStatusList(bits),
      issuedAt: new Date('2026-06-01T00:00:00.700Z'),
      validUntil: new Date('2026-06-03T00:00:00Z'),
      ttlMs: 300_000,
    };
  }

  it('builds the documented members in order', async () => {
    const c = await credential();
    expect(Object.keys(c)).toEqual(['@context', 'id', 'type', 'issuer', 'validFrom', 'validUntil', 'credentialSubject', 'iat']);
    expect(c.validFrom).toBe('2026-06-01T00:00:00Z');
    expect(c.iat).toBe(Date.parse('2026-06-01T00:00:00Z') / 1000);
    expect(c.credentialSubject).toMatchObject({ id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', ttl: 300_000 });
    expect(c.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
  });

  it('parses back what it built', async () => {
    const parsed = await parseStatusListCredential(await credential());
    expect(parsed).toMatchObject({ id: url, purpose: 'revocation', issuerId: 'did:web:localhost%3A8787:authorities:dev-city', ttlMs: 300_000 });
    expect(parsed.issuedAt).toBe(Date.parse('2026-06-01T00:00:00Z'));
    expect(parsed.validUntil).toBe(Date.parse('2026-06-03T00:00:00Z'));
    expect(parsed.bits.get(94_567)).toBe(true);
    expect(parsed.bits.count()).toBe(1);
    expect(parsed.version).toBeUndefined(); // a list signed before versions
    expect(parsed.encodedList).toBe((await credential()).credentialSubject.encodedList);
  });

  it('signs the list version last in credentialSubject, and reads it back', async () => {
    const c = buildStatusListCredential({ ...(await credentialInput()), version: 12 });
    expect(Object.keys(c.credentialSubject)).toEqual(['id', 'type', 'statusPurpose', 'encodedList', 'ttl', 'version']);
    expect((await parseStatusListCredential(JSON.parse(JSON.stringify(c)))).version).toBe(12);
  });

  it.each([
    ['a wrong purpose', (c: Record<string, any>) => (c.credentialSubject.statusPurpose = 'message')],
    ['statusSize 2', (c: Record<string, any>) => (c.credentialSubject.statusSize = 2)],
    ['a missing type', (c: Record<string, any>) => (c.type = ['VerifiableCredential'])],
    ['a bad validFrom', (c: Record<string, any>) => (c.validFrom = '2026-06-01')],
    ['an impossible validFrom (30 February)', (c: Record<string, any>) => (c.validFrom = '2027-02-30T00:00:00Z')],
    ['a validFrom at 24:00:00', (c: Record<string, any>) => (c.validFrom = '2026-06-01T24:00:00Z')],
    ['an impossible validUntil (month 13)', (c: Record<string, any>) => (c.validUntil = '2026-13-01T00:00:00Z')],
    ['a missing issuer', (c: Record<string, any>) => delete c.issuer],
    ['a negative ttl', (c: Record<string, any>) => (c.credentialSubject.ttl = -1)],
    ['a negative version', (c: Record<string, any>) => (c.credentialSubject.version = -1)],
    ['a fractional version', (c: Record<string, any>) => (c.credentialSubject.version = 1.5)],
    ['a version as text', (c: Record<string, any>) => (c.credentialSubject.version = '3')],
    ['the VC 1.1 context', (c: Record<string, any>) => (c['@context'] = ['https://www.w3.org/2018/credentials/v1'])],
  ])('refuses %s', async (_label, mutate) => {
    const c = (await credential()) as unknown as Record<string, any>;
    mutate(c);
    await expectMalformed(parseStatusListCredential(c));
  });
});
