/**
 * Live presentation of a bound copy (a licence bound to a holder device, the issue 24 contract) at an
 * offline verifier: `presentation` live / static / bindingExpired / proofFailed, the window, the clock,
 * the copy's own revocation entry, and the insider's attacks: another device's proof, a proof for
 * another licence, a proof from the future, a replayed screenshot, a wrong algorithm, a forged cnf.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import type { JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url } from '../src/core/encoding.js';
import { signCompact } from '../src/core/jws-sign.js';
import { encodeLicenceQr, encodeLiveQr, liveProofMessage, liveSlotOf } from '../src/core/qr/index.js';
import { type CheckName, type VerifyResult, verify } from '../verifier/index.js';
import { boundCopyOf, type DeviceKey, liveQrAt, makeDeviceKey, statusEntry } from './fixtures/live.js';
import { DAY, issueLicence, licenceCredential, makeWorld, NOW, REVOKED_INDEX, statusUrl, type World } from './fixtures/world.js';

let w: World;
let device: DeviceKey;
let otherDevice: DeviceKey;
let bound: string;

const check = (result: VerifyResult, name: CheckName) => result.checks.find((c) => c.name === name)!;

interface BoundOverrides {
  device?: JWK;
  cnf?: unknown;
  iat?: number;
  ownIndex?: number;
  ownUrl?: string;
  revocationIndex?: number;
}

/** A bound copy of the world's Hangzhou licence, signed with Hangzhou's current key. */
function signBound(overrides: BoundOverrides = {}): Promise<string> {
  const licence = licenceCredential(w.hangzhou, { revocationIndex: overrides.revocationIndex ?? 94_567 }) as unknown as Record<string, unknown>;
  const credential = boundCopyOf(licence, overrides.device ?? device.publicJwk, {
    iat: overrides.iat ?? Math.floor((NOW - DAY) / 1000),
    ownRevocation: statusEntry('revocation', overrides.ownIndex ?? 50_001, overrides.ownUrl ?? statusUrl(w.hangzhou, 'revocation')),
  });
  if (overrides.cnf !== undefined) credential.cnf = overrides.cnf;
  return signCompact(w.hangzhou.keys[1]!.signer, credential, 'vc+jwt', 'vc');
}

beforeAll(async () => {
  w = await makeWorld();
  device = await makeDeviceKey();
  otherDevice = await makeDeviceKey();
  bound = await signBound();
});

describe('a bound copy shown live (EL2)', () => {
  it('from its device now: VALID and live, with the time difference', async () => {
    const result = await verify(await liveQrAt(bound, device, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    expect(check(result, 'presentation')).toMatchObject({ result: 'ok' });
    expect(result.liveProof).toMatchObject({ slot: liveSlotOf(NOW), windowSeconds: 90, shownAt: '2026-06-01T00:00:15Z', differenceSeconds: -15 });
    expect(result.liveProof!.clockBehind).toBeUndefined();
    expect(result.licence).toMatchObject({ bound: true, holder: '杭州云栖智算科技有限公司', validUntil: '2026-06-30T00:00:00Z' });
    // Its own revocation entry was looked at too.
    expect(check(result, 'revocation').message).toContain("the bound copy's own bit 50001 is clear");
  });

  it('the window is liveWindowSeconds around the slot middle, independent of the licence clock skew', async () => {
    const qr = await liveQrAt(bound, device, NOW);
    const at = (seconds: number, options = {}) => verify(qr, w.bundle, w.options({ now: NOW + 15_000 + seconds * 1000, ...options }));
    expect((await at(90)).presentation).toBe('live');
    expect((await at(91)).presentation).toBe('static');
    expect((await at(-90)).presentation).toBe('live');
    expect((await at(-91)).presentation).toBe('static');
    expect((await at(91, { clockSkewSeconds: 10_000 })).presentation).toBe('static');
    expect((await at(150, { liveWindowSeconds: 150 })).presentation).toBe('live');
    expect((await at(91, { liveWindowSeconds: -1 })).verdict).toBe('INVALID');
  });

  it('a screenshot of it verified 3 minutes later: static (the licence still VALID), with the difference', async () => {
    const result = await verify(await liveQrAt(bound, device, NOW), w.bundle, w.options({ now: NOW + 180_000 }));
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('static');
    expect(check(result, 'presentation')).toMatchObject({ result: 'skip', code: 'ERR_PROOF_OUTSIDE_WINDOW' });
    expect(result.liveProof!.differenceSeconds).toBe(165);
  });

  it('attack: a proof made in advance, from the future beyond the window, is not live', async () => {
    const ahead = await liveQrAt(bound, device, NOW + 10 * 60_000);
    const result = await verify(ahead, w.bundle, w.options());
    expect(result.presentation).toBe('static');
    expect(check(result, 'presentation').code).toBe('ERR_PROOF_OUTSIDE_WINDOW');
    expect(result.liveProof!.differenceSeconds).toBe(-615);
    // A clock a minute ahead is tolerated.
    expect((await verify(await liveQrAt(bound, device, NOW + 60_000), w.bundle, w.options())).presentation).toBe('live');
  });

  it('attack: the bound copy with another device’s proof is INVALID (proofFailed)', async () => {
    const result = await verify(await liveQrAt(bound, otherDevice, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(result.presentation).toBe('proofFailed');
    expect(check(result, 'presentation')).toMatchObject({ result: 'fail', code: 'ERR_PROOF_INVALID' });
  });

  it('attack: a proof for another licence (hash mismatch) spliced onto this copy is INVALID', async () => {
    const another = await signBound({ ownIndex: 50_002 });
    const slot = liveSlotOf(NOW);
    const proofForAnother = await device.sign(await liveProofMessage(another, slot));
    const result = await verify(encodeLiveQr({ jws: bound, slot, signature: proofForAnother }), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(result.presentation).toBe('proofFailed');
    // And a proof for another slot, relabelled as now.
    const old = await device.sign(await liveProofMessage(bound, slot - 10));
    expect((await verify(encodeLiveQr({ jws: bound, slot, signature: old }), w.bundle, w.options())).presentation).toBe('proofFailed');
  });

  it('attack: a wrong algorithm in the proof (an Ed25519 signature of the same message) is INVALID', async () => {
    const slot = liveSlotOf(NOW);
    const message = await liveProofMessage(bound, slot);
    const edKey = ed25519.utils.randomSecretKey();
    const result = await verify(encodeLiveQr({ jws: bound, slot, signature: ed25519.sign(message, edKey) }), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(result.presentation).toBe('proofFailed');
    // A cnf naming an Ed25519 key, whose holder signs with it: the key is refused before any proof.
    const edJwk = { kty: 'OKP', crv: 'Ed25519', x: base64url(ed25519.getPublicKey(edKey)) };
    const edBound = await signBound({ cnf: { jwk: edJwk } });
    const edResult = await verify(encodeLiveQr({ jws: edBound, slot, signature: ed25519.sign(await liveProofMessage(edBound, slot), edKey) }), w.bundle, w.options());
    expect(edResult.verdict).toBe('INVALID');
    expect(check(edResult, 'format')).toMatchObject({ result: 'fail', code: 'ERR_INVALID_CREDENTIAL' });
    expect(edResult.presentation).not.toBe('live');
  });

  it('attack: a cnf with a private member d, another curve, extra members or another shape is INVALID', async () => {
    const secret = p256.utils.randomSecretKey();
    const point = p256.getPublicKey(secret, false);
    const jwk = { kty: 'EC', crv: 'P-256', x: base64url(point.slice(1, 33)), y: base64url(point.slice(33)) };
    for (const cnf of [
      { jwk: { ...jwk, d: base64url(secret) } },
      { jwk: { ...jwk, crv: 'P-384' } },
      { jwk: { ...jwk, kid: 'device-1' } },
      { jwk: { ...jwk, alg: 'ES256' } },
      { jwk, kid: 'x' },
      { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x } },
      'did:key:z',
    ]) {
      const jws = await signBound({ cnf });
      for (const input of [jws, await liveQrAt(jws, device, NOW)]) {
        const result = await verify(input, w.bundle, w.options());
        expect(result.verdict, JSON.stringify(cnf)).toBe('INVALID');
        expect(check(result, 'format').code).toBe('ERR_INVALID_CREDENTIAL');
      }
    }
  });

  it('an EL2 proof on a licence bound to no device is INVALID', async () => {
    const plain = await issueLicence(w.hangzhou);
    const result = await verify(await liveQrAt(plain, device, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(result.presentation).toBe('proofFailed');
  });
});

describe('a bound copy shown statically', () => {
  it('as EL1 or as its JWS: static, verdict from the licence', async () => {
    for (const input of [encodeLicenceQr(bound), bound, `data:application/vc+jwt,${bound}`]) {
      const result = await verify(input, w.bundle, w.options());
      expect(result.verdict).toBe('VALID');
      expect(result.presentation).toBe('static');
      expect(result.liveProof).toBeUndefined();
      expect(check(result, 'presentation').message).toContain('without a live proof');
    }
  });

  it('a plain licence is static', async () => {
    const result = await verify(await issueLicence(w.hangzhou), w.bundle, w.options());
    expect(result.presentation).toBe('static');
    expect(result.licence!.bound).toBeUndefined();
  });
});

describe('its status and its term', () => {
  it('its own revocation bit set (device removed): REVOKED, naming the device, without a legal reason', async () => {
    const removed = await signBound({ ownIndex: REVOKED_INDEX });
    for (const input of [removed, await liveQrAt(removed, device, NOW)]) {
      const result = await verify(input, w.bundle, w.options());
      expect(result.verdict).toBe('REVOKED');
      expect(check(result, 'revocation')).toMatchObject({ result: 'fail', code: 'ERR_DEVICE_REMOVED' });
      expect(result.reason).toBeUndefined();
    }
  });

  it('the licence revoked: REVOKED with its reason, whatever the device', async () => {
    const result = await verify(await liveQrAt(await signBound({ revocationIndex: REVOKED_INDEX }), device, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('REVOKED');
    expect(check(result, 'revocation').code).toBe('ERR_LICENCE_REVOKED');
    expect(result.reason).toBe('unspecified');
  });

  it('attack: its own entry in another authority’s list is INVALID, naming the list', async () => {
    const foreign = await signBound({ ownUrl: statusUrl(w.wenzhou, 'revocation') });
    const result = await verify(await liveQrAt(foreign, device, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'revocation')).toMatchObject({ result: 'fail', code: 'ERR_STATUS_ISSUER_MISMATCH' });
    expect(check(result, 'revocation').message).toContain(statusUrl(w.wenzhou, 'revocation'));
  });

  it('past its validUntil (iat + 30 days): EXPIRED and bindingExpired, live or not', async () => {
    const old = await signBound({ iat: Math.floor((NOW - 31 * DAY) / 1000) });
    for (const input of [old, await liveQrAt(old, device, NOW)]) {
      const result = await verify(input, w.bundle, w.options());
      expect(result.verdict).toBe('EXPIRED');
      expect(result.presentation).toBe('bindingExpired');
      expect(check(result, 'validityWindow').code).toBe('ERR_BINDING_EXPIRED');
    }
  });
});

describe("the verifier's own clock", () => {
  it('is called wrong only when earlier than the newest signed time in its bundle', async () => {
    // Status lists were signed an hour before NOW: a verifier two hours behind can prove its clock wrong.
    const behind = NOW - 2 * 3_600_000;
    const result = await verify(await liveQrAt(bound, device, behind), w.bundle, w.options({ now: behind }));
    expect(result.liveProof!.clockBehind).toEqual({ newestSignedAt: '2026-05-31T23:00:00Z' });
    // Two days behind: the trust lists themselves are not yet valid for it, yet genuinely signed later.
    const farBehind = NOW - 2 * DAY;
    const far = await verify(await liveQrAt(bound, device, farBehind), w.bundle, w.options({ now: farBehind }));
    expect(far.verdict).not.toBe('VALID');
    // (Its status lists are not verified without an accepted trust list: the trust lists' signed time counts.)
    expect(far.liveProof!.clockBehind).toEqual({ newestSignedAt: '2026-05-31T00:00:00Z' });
    // A large difference alone blames neither clock.
    const late = await verify(await liveQrAt(bound, device, NOW), w.bundle, w.options({ now: NOW + 3_600_000 }));
    expect(late.liveProof!.differenceSeconds).toBe(3585);
    expect(late.liveProof!.clockBehind).toBeUndefined();
  });
});

describe('what the command line shows', () => {
  it('the presentation, the time difference, and the clock warning only when provable', async () => {
    const { formatHuman } = await import('../src/cli/verifier/format.js');
    const context = { colour: false, maxStatusAgeSeconds: 86_400, source: 'argument', lang: 'en' as const };
    const qr = await liveQrAt(bound, device, NOW);
    const live = formatHuman(await verify(qr, w.bundle, w.options()), { ...context, now: NOW });
    expect(live).toContain('LIVE (live)');
    expect(live).toContain('not that the holder is here');
    expect(live).toContain('device-bound copy');
    expect(live).not.toContain('clock is wrong');
    const later = formatHuman(await verify(qr, w.bundle, w.options({ now: NOW + 180_000 })), { ...context, now: NOW + 180_000 });
    expect(later).toContain('STATIC (static)');
    expect(later).toContain('QR made 3 min ago');
    const behind = NOW - 2 * 3_600_000;
    const wrong = formatHuman(await verify(await liveQrAt(bound, device, behind), w.bundle, w.options({ now: behind })), { ...context, now: behind });
    expect(wrong).toContain("This device's clock is wrong");
  });
});
