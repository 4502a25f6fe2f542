/**
 * Status patches (docs/trust-list.md): the Rice coding of changed indices against the information
 * floor, the known-answer patch, strict decoding, and applying a change only to the version it starts from.
 */
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, fromBase64url } from '../src/core/encoding.js';
import { signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { verifyJwsSignature } from '../src/core/jws-verify.js';
import { decodeIndices, encodeIndices } from '../src/core/rice.js';
import { Bitstring } from '../src/core/status-list.js';
import { applyStatusChange, applyStatusChangeSparse, bitstringDigest, buildStatusPatch, decodeStatusPatch, signStatusPatch } from '../src/core/status-patch.js';
import { reasonsDigest, type SparseStatusList, sparseDigest, sparseOf } from '../src/core/status-set.js';

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
  const REVOCATION = 'https://elicence.zj.example/status/330100-amr/revocation/1';
  const SUSPENSION = 'https://elicence.zj.example/status/330100-amr/suspension/1';
  /** Version 41 of the vector's revocation list: bits 5 (penalty) and 94567 (rescinded). */
  const version41 = (): SparseStatusList => ({ size: 131_072, set: Uint32Array.from([5, 94_567]), reasons: Uint8Array.from([1, 2]) });

  it('matches the known answer byte for byte, and decodes back', async () => {
    const bits = new Bitstring(131_072);
    bits.set(5);
    bits.set(94_567);
    const after = new Bitstring(bits.bytes.slice());
    for (const i of [17, 94_567, 131_071]) after.set(i, !after.get(i));
    const payload = await buildStatusPatch({
      issuer: 'did:web:elicence.zj.example:authorities:330100-amr',
      base: 'https://elicence.zj.example/status/330100-amr/',
      issuedAt: new Date('2026-06-01T00:00:00Z'),
      changed: [{ url: REVOCATION, from: 41, to: 42, indices: [131_071, 17, 94_567], after: { ...sparseOf(after), reasons: Uint8Array.from([1, 3, 5]) } }],
      unchanged: [{ url: SUSPENSION, version: 7 }],
    });
    expect(payload).toEqual(vector.payload);
    // The reasons of the bits it sets, 17 deregistered (3) and 131071 other (5): 011 101 00; the list's reasons after: 001 011 101 + padding.
    expect(fromBase64url(payload.lists[0]!.reasons!)).toEqual(Uint8Array.from([0x74]));
    expect(payload.lists[0]!.reasonsDigest).toBe(base64url(sha256(Uint8Array.from([0x2e, 0x80]))));
    const signer = await signerFromPrivateJwk(key);
    expect(await signStatusPatch(signer, payload)).toBe(vector.jws);

    const { decoded, patch } = decodeStatusPatch(vector.jws);
    await verifyJwsSignature(decoded, { kty: 'OKP', crv: 'Ed25519', x: key.x });
    expect(decoded.header.typ).toBe('status-patch+jwt');
    expect(patch.issuedAt).toBe(Date.parse('2026-06-01T00:00:00Z'));
    expect(patch.tail).toBe(false);
    const change = patch.changes.get(REVOCATION)!;
    expect(change).toMatchObject({ from: 41, to: 42, indices: Uint32Array.from([17, 94_567, 131_071]) });
    expect(patch.current.get(SUSPENSION)).toEqual({ version: 7 });
    expect(bitstringDigest(applyStatusChange(bits, change))).toBe(change.digest);
    // The same on a verifier's sparse copy, reasons included.
    const applied = await applyStatusChangeSparse(version41(), change);
    expect([...applied.set]).toEqual([5, 17, 131_071]);
    expect([...applied.reasons!]).toEqual([1, 3, 5]);
  });

  it('applies a change only to the version it starts from (the digest decides)', async () => {
    const { patch } = decodeStatusPatch(vector.jws);
    const change = patch.changes.values().next().value!;
    const wrongBase = new Bitstring(131_072);
    wrongBase.set(5);
    expect(() => applyStatusChange(wrongBase, change)).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MISMATCH' }));
    expect(() => applyStatusChange(new Bitstring(64), { indices: [100], digest: change.digest })).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MISMATCH' }));
    await expect(applyStatusChangeSparse({ size: 131_072, set: Uint32Array.from([5]) }, change)).rejects.toMatchObject({ code: 'ERR_STATUS_PATCH_MISMATCH' });
    await expect(applyStatusChangeSparse({ size: 64, set: new Uint32Array(0) }, change)).rejects.toMatchObject({ code: 'ERR_STATUS_PATCH_MISMATCH' });
    // Reasons that do not add up never refuse the bits: the result only loses its reasons.
    const wrongReasons = await applyStatusChangeSparse({ ...version41(), reasons: Uint8Array.from([2, 2]) }, change);
    expect([...wrongReasons.set]).toEqual([5, 17, 131_071]);
    expect(wrongReasons.reasons).toBeUndefined();
  });

  it('a manifest carries every list with its digest; a tail says so', async () => {
    const list = version41();
    const payload = await buildStatusPatch({
      issuer: 'did:web:elicence.zj.example:authorities:330100-amr',
      base: 'https://elicence.zj.example/status/330100-amr/',
      issuedAt: new Date('2026-06-01T00:00:00Z'),
      tail: true,
      changed: [],
      unchanged: [{ url: REVOCATION, version: 41, list }],
    });
    expect(payload.tail).toBe(true);
    const jws = await signStatusPatch(await signerFromPrivateJwk(key), payload);
    const { patch } = decodeStatusPatch(jws);
    expect(patch.tail).toBe(true);
    expect(patch.current.get(REVOCATION)).toEqual({ version: 41, digest: await sparseDigest(list), reasonsDigest: await reasonsDigest(list.reasons!) });
  });

  it('refuses malformed payloads with ERR_STATUS_PATCH_MALFORMED', async () => {
    const signer = await signerFromPrivateJwk(key);
    const good = vector.payload as Record<string, unknown> & { lists: Array<Record<string, unknown>> };
    const digest = good.lists[0]!.digest;
    const bad: Array<Record<string, unknown>> = [
      { ...good, version: 2 },
      { ...good, base: 'ftp://x/' },
      { ...good, tail: false },
      { ...good, lists: [{ ...good.lists[0], to: 41 }] },
      { ...good, lists: [{ ...good.lists[0], count: 4 }] },
      { ...good, lists: [{ ...good.lists[0], digest: base64url(new Uint8Array(31)) }] },
      { ...good, lists: [{ ...good.lists[0], reasonsDigest: undefined }] },
      { ...good, lists: [{ ...good.lists[0], reasons: '!' }] },
      { ...good, lists: [good.lists[0], good.lists[0]] },
      { ...good, current: [{ list: 'revocation/1', version: 3 }] },
      { ...good, current: [{ list: 'suspension/1', version: 3, reasonsDigest: digest }] },
      { ...good, current: [{ list: 'suspension/1', version: 3, digest: 'abc' }] },
    ];
    for (const payload of bad) {
      const jws = await signStatusPatch(signer, payload as never);
      expect(() => decodeStatusPatch(jws), JSON.stringify(payload).slice(0, 80)).toThrow(expect.objectContaining({ code: 'ERR_STATUS_PATCH_MALFORMED' }));
    }
    expect(fromBase64url(good.lists[0]!.changes as string)).toBeDefined();
  });
});
