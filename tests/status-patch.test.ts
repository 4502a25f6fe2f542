/**
 * Status patches (docs/trust-list.md): the Rice coding of changed indices against the information
 * floor, the known-answer patch, strict decoding, and applying a change only to the version it starts from.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, fromBase64url } from '../src/core/encoding.js';
import { signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { verifyJwsSignature } from '../src/core/jws-verify.js';
import { decodeIndices, encodeIndices } from '../src/core/rice.js';
import { Bitstring } from '../src/core/status-list.js';
import { applyStatusChange, bitstringDigest, buildStatusPatch, decodeStatusPatch, signStatusPatch } from '../src/core/status-patch.js';

const vector = JSON.parse(readFileSync('tests/vectors/status-patch.json', 'utf8')) as { payload: unknown; jws: string };
const key = JSON.parse(readFileSync('tests/vectors/qr-test-key.json', 'utf8')).privateJwk;

/** log2 of n choose m: the bits any coding of m indices among n needs. */
function floorBits(n: number, m: number): number {
  let bits = 0;
  for (let i = 0; i < m; i++) bits += Math.log2((n - i) / (i + 1));
  return bits;
}

describe('Rice coding of sorted indices', () => {
  it('round-trips any strictly increasing set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(1_048_575), { maxLength: 300 }), (raw) => {
        const indices = [...raw].sort((a, b) => a - b);
        expect(decodeIndices(encodeIndices(indices, 1_048_576), indices.length, 1_048_576)).toEqual(indices);
      }),
    );
  });

  it('stays within a few percent of the information floor for random changes', () => {
    for (const [n, m] of [
      [131_072, 1_000],
      [1_048_576, 300],
      [16_777_216, 20_000],
    ] as const) {
      const set = new Set<number>();
      while (set.size < m) set.add(Math.floor(Math.random() * n));
      const bytes = encodeIndices(
        [...set].sort((a, b) => a - b),
        n,
      );
      expect(bytes.length * 8).toBeLessThan(floorBits(n, m) * 1.08 + 64);
    }
  });

  it('refuses truncated, overlong, out-of-range and badly padded codings', () => {
    const good = encodeIndices([3, 70, 900], 1024);
    expect(decodeIndices(good, 3, 1024)).toEqual([3, 70, 900]);
    expect(decodeIndices(good.subarray(0, good.length - 1), 3, 1024)).toBeUndefined();
    expect(decodeIndices(good, 4, 1024)).toBeUndefined();
    expect(decodeIndices(good, 3, 900)).toBeUndefined();
    expect(decodeIndices(Uint8Array.from([...good, 0]), 3, 1024)).toBeUndefined();
    const padded = good.slice();
    padded[padded.length - 1]! |= 1;
    expect(decodeIndices(padded, 3, 1024)).toBeUndefined();
    expect(() => encodeIndices([5, 5], 10)).toThrow(RangeError);
  });
});

describe('status patch', () => {
  it('matches the known answer byte for byte, and decodes back', async () => {
    const before = new Bitstring(131_072);
    before.set(5);
    before.set(94_567);
    const after = new Bitstring(before.bytes.slice());
    for (const i of [17, 94_567, 131_071]) after.set(i, !after.get(i));
    const payload = buildStatusPatch({
      issuer: 'did:web:elicence.zj.example:authorities:330100-amr',
      base: 'https://elicence.zj.example/status/330100-amr/',
      issuedAt: new Date('2026-06-01T00:00:00Z'),
      changed: [{ url: 'https://elicence.zj.example/status/330100-amr/revocation/1', from: 41, to: 42, indices: [131_071, 17, 94_567], after }],
      unchanged: [{ url: 'https://elicence.zj.example/status/330100-amr/suspension/1', version: 7 }],
    });
    expect(payload).toEqual(vector.payload);
    const signer = await signerFromPrivateJwk(key);
    expect(await signStatusPatch(signer, payload)).toBe(vector.jws);

    const { decoded, patch } = decodeStatusPatch(vector.jws);
    await verifyJwsSignature(decoded, { kty: 'OKP', crv: 'Ed25519', x: key.x });
    expect(decoded.header.typ).toBe('status-patch+jwt');
    expect(patch.issuedAt).toBe(Date.parse('2026-06-01T00:00:00Z'));
    const change = patch.changes.get('https://elicence.zj.example/status/330100-amr/revocation/1')!;
    expect(change).toMatchObject({ from: 41, to: 42, indices: [17, 94_567, 131_071] });
    expect(patch.current.get('https://elicence.zj.example/status/330100-amr/suspension/1')).toBe(7);
    expect(bitstringDigest(applyStatusChange(before, change))).toBe(change.digest);
  });

  it('applies a change only to the version it starts from (the digest decides)', () => {
    const { patch } = decodeStatusPatch(vector.jws);
    const change = patch.changes.values().next().value!;
    const wrongBase = new Bitstring(131_072);
    wrongBase.set(5);
    expect(() => applyStatusChange(wrongBase, change)).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MISMATCH' }));
    expect(() => applyStatusChange(new Bitstring(64), { indices: [100], digest: change.digest })).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MISMATCH' }));
  });

  it('refuses malformed payloads with ERR_STATUS_PATCH_MALFORMED', async () => {
    const signer = await signerFromPrivateJwk(key);
    const good = vector.payload as Record<string, unknown> & { lists: Array<Record<string, unknown>> };
    const bad: Array<Record<string, unknown>> = [
      { ...good, version: 2 },
      { ...good, base: 'ftp://x/' },
      { ...good, lists: [{ ...good.lists[0], to: 41 }] },
      { ...good, lists: [{ ...good.lists[0], count: 4 }] },
      { ...good, lists: [{ ...good.lists[0], digest: base64url(new Uint8Array(31)) }] },
      { ...good, lists: [good.lists[0], good.lists[0]] },
      { ...good, current: [{ list: 'revocation/1', version: 3 }] },
    ];
    for (const payload of bad) {
      const jws = await signStatusPatch(signer, payload as never);
      expect(() => decodeStatusPatch(jws), JSON.stringify(payload).slice(0, 80)).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MALFORMED' }));
    }
    expect(fromBase64url(good.lists[0]!.changes as string)).toBeDefined();
  });
});
