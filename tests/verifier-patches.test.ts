/**
 * Status patches in the offline verifier library (docs/trust-list.md, "Status patches"): copies attested
 * by a manifest, brought up to date by cut and tail patches; a patch that skips a version, is signed by
 * another authority, is replayed (suspend -> reinstate -> replayed suspend) or names a wrong resulting
 * digest is refused and the list is STATUS_UNKNOWN, never VALID and never moved back. `mergeBundles`
 * keeps per list the copy at its last cut and the newest patches, and says which lists need a full copy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type BundleStatusCopies, packBundle, parseBundle } from '../src/core/bundle.js';
import { base64url } from '../src/core/encoding.js';
import { encodeStatusCopy, flipIndices, type SparseStatusList } from '../src/core/status-set.js';
import { mergeBundlesReport, verify } from '../verifier/index.js';
import { emptyRevocation, emptySuspension, type PatchKit, patchKit, REVOKE_AT, refusedPatchBundles, SUSPEND_AT, suspendIn } from './fixtures/patches.js';
import { DAY, makeWorld, NOW, type World } from './fixtures/world.js';

let world: World;
let kit: PatchKit;
let licence: string;
const fetchedAt = new Date(NOW - 60_000).toISOString();
const empty = emptyRevocation;
const suspend = suspendIn;
const revocationUrl = () => kit.revocationUrl;
const suspensionUrl = () => kit.suspensionUrl;
const patch: PatchKit['patch'] = (parts, options) => kit.patch(parts, options);
const manifest = (iat: number, revocation?: SparseStatusList, suspension?: SparseStatusList) => kit.manifest(iat, revocation, suspension);
const bundleOf: PatchKit['bundle'] = (parts) => kit.bundle(parts);
const check = (result: Awaited<ReturnType<typeof verify>>, name: 'revocation' | 'suspension') => result.checks.find((c) => c.name === name)!;

beforeAll(async () => {
  world = await makeWorld();
  kit = await patchKit(world);
  licence = kit.licence;
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

describe('the four refusals, as the CLI and the web app get them', () => {
  it('skipped, another authority, replayed, wrong digest: STATUS_UNKNOWN each, never VALID', async () => {
    const bundles = await refusedPatchBundles(world, kit);
    const options = world.options();
    expect((await verify(licence, bundles.skipped, options)).verdict).toBe('STATUS_UNKNOWN');
    expect((await verify(licence, bundles.otherAuthority, options)).verdict).toBe('STATUS_UNKNOWN');
    expect((await verify(licence, bundles.wrongDigest, options)).verdict).toBe('STATUS_UNKNOWN');
    const reinstated = await verify(licence, bundles.reinstated, options);
    expect(reinstated.verdict).toBe('VALID');
    const statusVersionsSeen = Object.fromEntries(reinstated.statusLists.map((l) => [l.url, l.version!]));
    expect((await verify(licence, bundles.replayed, world.options({ statusVersionsSeen }))).verdict).toBe('STATUS_UNKNOWN');
    // Without the memory of version 22 the replayed bundle would say SUSPENDED: the state is what refuses it.
    expect((await verify(licence, bundles.replayed, options)).verdict).toBe('SUSPENDED');
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
