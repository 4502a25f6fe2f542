/**
 * Status patches in the offline verifier library (docs/trust-list.md, "Status patches"): copies attested
 * by a manifest, brought up to date by cut and tail patches; a patch that skips a version, is signed by
 * another authority, is replayed (suspend -> reinstate -> replayed suspend) or names a wrong resulting
 * digest is refused and the list is STATUS_UNKNOWN, never VALID and never moved back. `mergeBundles`
 * keeps per list the copy at its last cut and the newest patches, and says which lists need a full copy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleStatusCopies, type BundleStatusPatch, buildBundle, packBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { base64url } from '../src/core/encoding.js';
import { buildStatusPatch, signStatusPatch } from '../src/core/status-patch.js';
import { encodeStatusCopy, flipIndices, type SparseStatusList } from '../src/core/status-set.js';
import { mergeBundlesReport, verify } from '../verifier/index.js';
import { type Authority, DAY, issueLicence, type Key, makeWorld, NOW, statusUrl, type World } from './fixtures/world.js';

let world: World;
let hangzhou: Authority;
let licence: string;
const REVOKE_AT = 94_567;
const SUSPEND_AT = 1_234;
const fetchedAt = new Date(NOW - 60_000).toISOString();
const empty = (): SparseStatusList => ({ size: 131_072, set: new Uint32Array(0), reasons: new Uint8Array(0) });
const emptySuspension = (): SparseStatusList => ({ size: 131_072, set: new Uint32Array(0) });

const revocationUrl = () => statusUrl(hangzhou, 'revocation');
const suspensionUrl = () => statusUrl(hangzhou, 'suspension');
const base = () => `${hangzhou.publicUrl}/status/${hangzhou.slug}/`;
const signingKey = (): Key => hangzhou.keys[1]!;

interface Change {
  url: string;
  from: number;
  to: number;
  indices: number[];
  after: SparseStatusList;
}

/** A patch of `issuer` (default Hangzhou) signed with `key` (default its current key). */
async function patch(
  parts: { iat: number; tail?: boolean; changed?: Change[]; unchanged?: Array<{ url: string; version: number; list?: SparseStatusList }> },
  options: { issuer?: string; key?: Key; digestOf?: (c: Change) => string } = {},
): Promise<string> {
  const payload = await buildStatusPatch({
    issuer: options.issuer ?? hangzhou.id,
    base: base(),
    issuedAt: new Date(parts.iat),
    tail: parts.tail ?? false,
    changed: parts.changed ?? [],
    unchanged: parts.unchanged ?? [],
  });
  if (options.digestOf) payload.lists.forEach((l, i) => Object.assign(l, { digest: options.digestOf!(parts.changed![i]!) }));
  return signStatusPatch((options.key ?? signingKey()).signer, payload);
}

/** A manifest attesting both lists at versions 10 and 20, with their copies. */
async function manifest(iat: number, revocation = empty(), suspension = emptySuspension()): Promise<BundleStatusCopies> {
  const jws = await patch({
    iat,
    unchanged: [
      { url: revocationUrl(), version: 10, list: revocation },
      { url: suspensionUrl(), version: 20, list: suspension },
    ],
  });
  return { jws, fetchedAt, lists: [encodeStatusCopy(revocationUrl(), revocation), encodeStatusCopy(suspensionUrl(), suspension)] };
}

function bundleOf(parts: { copies?: BundleStatusCopies[]; patches?: string[]; generatedAt?: number }): VerifierBundle {
  return buildBundle({
    generatedAt: new Date(parts.generatedAt ?? NOW - 60_000),
    trustLists: [{ jws: world.zhejiangList, fetchedAt }],
    statusLists: [],
    statusCopies: parts.copies ?? [],
    statusPatches: (parts.patches ?? []).map((jws): BundleStatusPatch => ({ jws, fetchedAt })),
  });
}

const suspend = (list: SparseStatusList) => flipIndices(list, [SUSPEND_AT]);
const check = (result: Awaited<ReturnType<typeof verify>>, name: 'revocation' | 'suspension') => result.checks.find((c) => c.name === name)!;

beforeAll(async () => {
  world = await makeWorld();
  hangzhou = world.hangzhou;
  licence = await issueLicence(hangzhou, { key: signingKey(), issuedAt: Date.parse('2026-04-01T00:00:00Z'), revocationIndex: REVOKE_AT, suspensionIndex: SUSPEND_AT });
});

describe('verifying with status patches', () => {
  it('copies attested by a manifest verify; a tail brings them up to date and dates the status', async () => {
    const copies = await manifest(NOW - 20 * 3_600_000);
    const fresh = await verify(licence, bundleOf({ copies: [copies] }), world.options());
    expect(fresh.verdict).toBe('VALID');
    expect(fresh.statusAge).toBe(20 * 3600);
    expect(fresh.statusLists.map((l) => l.version).sort()).toEqual([10, 20]);

    const tail = await patch({
      iat: NOW - 3_600_000,
      tail: true,
      changed: [{ url: suspensionUrl(), from: 20, to: 21, indices: [SUSPEND_AT], after: suspend(emptySuspension()) }],
      unchanged: [{ url: revocationUrl(), version: 10 }],
    });
    const suspended = await verify(licence, bundleOf({ copies: [copies], patches: [tail] }), world.options());
    expect(suspended.verdict).toBe('SUSPENDED');
    expect(suspended.statusAge).toBe(3600);
    expect(suspended.statusLists.find((l) => l.purpose === 'suspension')).toMatchObject({ version: 21, issuedAt: NOW - 3_600_000 });

    // The same bundle unpacked on the wire (jwsParts) verifies the same.
    const wire = JSON.parse(JSON.stringify(packBundle(bundleOf({ copies: [copies], patches: [tail] })))) as Record<string, unknown>;
    expect(JSON.stringify(wire)).toContain('"jwsParts"');
    expect((await verify(licence, parseBundle(wire), world.options())).verdict).toBe('SUSPENDED');
  });

  it('a copy whose digest is not the one its patch names is refused', async () => {
    const copies = await manifest(NOW - 3_600_000);
    const forged = { ...copies, lists: [encodeStatusCopy(revocationUrl(), flipIndices(empty(), [REVOKE_AT], Uint8Array.from([1]))), copies.lists[1]!] };
    const result = await verify(licence, bundleOf({ copies: [forged] }), world.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
    expect(check(result, 'revocation')).toMatchObject({ code: 'ERR_STATUS_LIST_INVALID' });
    expect(check(result, 'revocation').message).toContain('does not have the digest');
  });

  it('a patch that skips a version makes the list unknown, even beside a fresh copy', async () => {
    const copies = await manifest(NOW - 3_600_000);
    const skipping = await patch({
      iat: NOW - 60_000,
      changed: [{ url: revocationUrl(), from: 11, to: 12, indices: [7], after: flipIndices(empty(), [7], Uint8Array.from([1])) }],
    });
    const result = await verify(licence, bundleOf({ copies: [copies], patches: [skipping] }), world.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
    expect(check(result, 'revocation').code).toBe('ERR_STATUS_PATCH_GAP');
    // A `current` entry of a later version proves the copy outdated too.
    const later = await patch({ iat: NOW - 60_000, unchanged: [{ url: suspensionUrl(), version: 25 }] });
    const behind = await verify(licence, bundleOf({ copies: [copies], patches: [later] }), world.options());
    expect(check(behind, 'suspension').code).toBe('ERR_STATUS_PATCH_GAP');
  });

  it('a patch signed by another authority is refused: it can neither revoke nor freshen the list', async () => {
    const stale = await manifest(NOW - 3 * DAY);
    const revoked = flipIndices(empty(), [REVOKE_AT], Uint8Array.from([1]));
    const change = { url: revocationUrl(), from: 10, to: 11, indices: [REVOKE_AT], after: revoked };
    const wenzhouKey = world.wenzhou.keys[0]!;
    // Wenzhou (a trusted authority) signs a patch claiming to be Hangzhou's, and one under its own name for Hangzhou's list.
    const claimingHangzhou = await patch({ iat: NOW - 60_000, changed: [change] }, { key: wenzhouKey });
    const ownName = await patch({ iat: NOW - 60_000, changed: [change] }, { key: wenzhouKey, issuer: world.wenzhou.id });
    for (const forged of [claimingHangzhou, ownName]) {
      const result = await verify(licence, bundleOf({ copies: [stale], patches: [forged] }), world.options());
      expect(result.verdict).toBe('STATUS_UNKNOWN');
      expect(check(result, 'revocation').code).toBe('OK');
      expect(result.checks.find((c) => c.name === 'statusFreshness')!.code).toBe('ERR_STATUS_LIST_STALE');
    }
    // With Hangzhou's own key the same patch revokes.
    const genuine = await patch({ iat: NOW - 60_000, changed: [change] });
    expect((await verify(licence, bundleOf({ copies: [stale], patches: [genuine] }), world.options())).verdict).toBe('REVOKED');
  });

  it('suspend -> reinstate -> a replayed suspend patch never moves the list back', async () => {
    const copies = await manifest(NOW - 2 * 3_600_000);
    const suspended = suspend(emptySuspension());
    const p1 = await patch({ iat: NOW - 3_600_000, changed: [{ url: suspensionUrl(), from: 20, to: 21, indices: [SUSPEND_AT], after: suspended }] });
    const p2 = await patch({ iat: NOW - 1_800_000, changed: [{ url: suspensionUrl(), from: 21, to: 22, indices: [SUSPEND_AT], after: emptySuspension() }] });
    const reinstated = await verify(licence, bundleOf({ copies: [copies], patches: [p2, p1] }), world.options());
    expect(reinstated.verdict).toBe('VALID');
    const seen = reinstated.statusLists.find((l) => l.purpose === 'suspension')!;
    expect(seen.version).toBe(22);
    const state = { statusVersionsSeen: { [seen.url]: seen.version! } };

    // The reinstating patch withheld: the chain ends at the suspension, below the version seen.
    const replayed = await verify(licence, bundleOf({ copies: [copies], patches: [p1] }), world.options(state));
    expect(replayed.verdict).toBe('STATUS_UNKNOWN');
    expect(check(replayed, 'suspension').code).toBe('ERR_STATUS_LIST_REPLAYED');
    // Beside the reinstated copy, the replayed patch changes nothing.
    const merged = await mergeBundlesReport(bundleOf({ copies: [copies] }), bundleOf({ patches: [p1, p2] }), world.options());
    const withReplay = { ...merged.bundle, statusPatches: [...(merged.bundle.statusPatches ?? []), { jws: p1, fetchedAt }] };
    const still = await verify(licence, withReplay, world.options(state));
    expect(still.verdict).toBe('VALID');
  });

  it('a patch naming a wrong resulting digest makes the list unknown', async () => {
    const copies = await manifest(NOW - 3_600_000);
    const wrong = await patch(
      { iat: NOW - 60_000, changed: [{ url: suspensionUrl(), from: 20, to: 21, indices: [SUSPEND_AT], after: suspend(emptySuspension()) }] },
      { digestOf: () => base64url(new Uint8Array(32)) },
    );
    const result = await verify(licence, bundleOf({ copies: [copies], patches: [wrong] }), world.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
    expect(check(result, 'suspension').code).toBe('ERR_STATUS_PATCH_MISMATCH');
  });
});

describe('mergeBundles with patches', () => {
  it('moves the stored copy at each cut, keeps the tail beside it, and nothing accumulates', async () => {
    const held = bundleOf({ copies: [await manifest(NOW - 22 * 3_600_000)] });
    let state = held;
    let suspension = emptySuspension();
    let version = 20;
    const sizes: number[] = [];
    for (let day = 1; day <= 3; day++) {
      const at = NOW - 20 * 3_600_000 + day * 5 * 3_600_000;
      const after = flipIndices(suspension, [100 + day]);
      const cut = await patch({
        iat: at,
        changed: [{ url: suspensionUrl(), from: version, to: version + 1, indices: [100 + day], after }],
        unchanged: [{ url: revocationUrl(), version: 10 }],
      });
      const tailAfter = suspend(after);
      const tail = await patch({
        iat: at + 60_000,
        tail: true,
        changed: [{ url: suspensionUrl(), from: version + 1, to: version + 2, indices: [SUSPEND_AT], after: tailAfter }],
        unchanged: [{ url: revocationUrl(), version: 10 }],
      });
      const report = await mergeBundlesReport(state, bundleOf({ patches: [cut, tail], generatedAt: at + 120_000 }), world.options({ now: at + 120_000 }));
      expect(report.refetch).toEqual([]);
      state = report.bundle;
      suspension = after;
      version += 1;
      // The copy stays at the cut (the tail is provisional), the tail beside it.
      const copies = state.statusCopies!.flatMap((g) => g.lists.map((l) => ({ url: l.url, attestedBy: g.jws })));
      expect(copies.find((c) => c.url === suspensionUrl())!.attestedBy).toBe(cut);
      expect(state.statusPatches!.map((p) => p.jws)).toContain(tail);
      expect((await verify(licence, state, world.options({ now: at + 120_000 }))).verdict).toBe('SUSPENDED');
      sizes.push(state.statusCopies!.length + (state.statusPatches?.length ?? 0));
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
  });

  it('says which lists need a full copy when a patch cannot be applied', async () => {
    const held = bundleOf({ copies: [await manifest(NOW - DAY)] });
    const gap = await patch({ iat: NOW - 60_000, changed: [{ url: suspensionUrl(), from: 22, to: 23, indices: [SUSPEND_AT], after: suspend(emptySuspension()) }] });
    const report = await mergeBundlesReport(held, bundleOf({ patches: [gap] }), world.options());
    expect(report.refetch).toEqual([suspensionUrl()]);
    expect((await verify(licence, report.bundle, world.options())).verdict).toBe('STATUS_UNKNOWN');
    // The full copy arrives: applied, the list is known again.
    const full = await patch({ iat: NOW - 30_000, unchanged: [{ url: suspensionUrl(), version: 23, list: suspend(emptySuspension()) }] });
    const copy: BundleStatusCopies = { jws: full, fetchedAt, lists: [encodeStatusCopy(suspensionUrl(), suspend(emptySuspension()))] };
    const repaired = await mergeBundlesReport(report.bundle, bundleOf({ copies: [copy] }), world.options());
    expect(repaired.refetch).toEqual([]);
    expect((await verify(licence, repaired.bundle, world.options())).verdict).toBe('SUSPENDED');
  });
});
