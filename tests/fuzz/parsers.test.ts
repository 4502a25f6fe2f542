/**
 * Fuzzing every public parser with hostile and near-valid input: QR text, JWS, trust list, status
 * list, bundle and the offline verify(). Typed errors only (ElicenceError), each call time-bound,
 * prototypes untouched, heap growth bounded; verify() never throws and never says VALID to a mutation.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseBundle } from '../../src/core/bundle.js';
import { fromBase64url } from '../../src/core/encoding.js';
import { decodeJws, verifyJws } from '../../src/core/jws-verify.js';
import { decodeLicenceQr, decodeLiveQr, encodeLicenceQr, encodeLiveQr } from '../../src/core/qr/index.js';
import { decodeStatusList, parseStatusListCredential } from '../../src/core/status-list.js';
import { parseTrustListPayload, verifyTrustList } from '../../src/core/trust-list.js';
import { verify } from '../../verifier/index.js';
import { issueLicence, makeWorld, NOW, type World } from '../fixtures/world.js';
import { deepJsonText, expectPrototypesClean, heapGrowthMb, hostileValue, hugeString, mutationsOf, typedOutcome } from './hostile.js';

const RUNS = 150;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u0000é';
const QR_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:é\n';

let world: World;
let jws: string;
let qr: string;
let statusPayload: unknown;
let trustPayload: unknown;

const payloadOf = (token: string) => JSON.parse(new TextDecoder().decode(fromBase64url(token.split('.')[1]!)!)) as Record<string, unknown>;

beforeAll(async () => {
  world = await makeWorld();
  jws = await issueLicence(world.hangzhou, { key: world.hangzhou.keys[1]!, issuedAt: Date.parse('2026-04-01T00:00:00Z') });
  qr = encodeLicenceQr(jws);
  statusPayload = payloadOf(world.statusLists[0]!.jws);
  trustPayload = payloadOf(world.zhejiangList);
});

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return String(typeof value);
  }
}

function decodesTo(input: unknown): string | undefined {
  try {
    return decodeLicenceQr(String(input));
  } catch {
    return undefined;
  }
}

const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), hugeString);

describe('parsers refuse hostile input with typed errors only', () => {
  it('decodeLicenceQr', async () => {
    expect(decodeLicenceQr(qr)).toBe(jws);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          mutationsOf(qr, QR_ALPHABET),
          text.map((t) => `EL1:${t}`),
        ),
        async (input) => {
          await typedOutcome('decodeLicenceQr', () => decodeLicenceQr(input));
        },
      ),
      { numRuns: RUNS * 2 },
    );
    // Wrong types are a typed error too (callers in JS may pass anything).
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) await typedOutcome('decodeLicenceQr', () => decodeLicenceQr(value as unknown as string));
  });

  it('decodeLiveQr (EL2)', async () => {
    const live = encodeLiveQr({ jws, slot: 59_342_520, signature: new Uint8Array(64).fill(7) });
    expect(decodeLiveQr(live).jws).toBe(jws);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          mutationsOf(live, QR_ALPHABET),
          text.map((t) => `EL2:${t}`),
        ),
        async (input) => {
          await typedOutcome('decodeLiveQr', () => decodeLiveQr(input, { canonical: false }));
        },
      ),
      { numRuns: RUNS * 2 },
    );
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) await typedOutcome('decodeLiveQr', () => decodeLiveQr(value as unknown as string));
  });

  it('decodeJws and verifyJws', async () => {
    const key = world.hangzhou.keys[1]!.publicJwk;
    const policy = { typ: 'vc+jwt', cty: 'vc' };
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, mutationsOf(jws, B64URL), hostileValue), async (input) => {
        await typedOutcome('decodeJws', () => decodeJws(input, policy));
        const outcome = await typedOutcome('verifyJws', () => verifyJws(input, key, policy));
        if (outcome === 'ok') expect(input).toBe(jws);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('verifyTrustList and parseTrustListPayload', async () => {
    const options = { anchors: { keys: [world.zhejiang.key.publicJwk] }, now: NOW };
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, mutationsOf(world.zhejiangList, B64URL), hostileValue), async (input) => {
        const outcome = await typedOutcome('verifyTrustList', () => verifyTrustList(input, options));
        if (outcome === 'ok') expect(input).toBe(world.zhejiangList);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(hostileValue, fc.constantFrom('authorities', 'sequence', 'anchor', 'keys', '__proto__', 'constructor'), async (value, member) => {
        await typedOutcome('parseTrustListPayload', () => parseTrustListPayload(value));
        await typedOutcome('parseTrustListPayload(member)', () => parseTrustListPayload({ ...(trustPayload as object), [member]: value }));
      }),
      { numRuns: RUNS },
    );
  });

  it('decodeStatusList and parseStatusListCredential', async () => {
    const encoded = (statusPayload as { credentialSubject: { encodedList: string } }).credentialSubject.encodedList;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text,
          mutationsOf(encoded, B64URL),
          hostileValue,
          text.map((t) => `u${t}`),
        ),
        async (input) => {
          await typedOutcome('decodeStatusList', () => decodeStatusList(input));
        },
      ),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(hostileValue, fc.constantFrom('credentialSubject', 'validFrom', 'issuer', '@context', '__proto__'), async (value, member) => {
        await typedOutcome('parseStatusListCredential', () => parseStatusListCredential(value));
        await typedOutcome('parseStatusListCredential(member)', () => parseStatusListCredential({ ...(statusPayload as object), [member]: value }));
      }),
      { numRuns: RUNS },
    );
  });

  it('parseBundle', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, fc.constantFrom('trustLists', 'statusLists', 'version', 'generatedAt', '__proto__'), async (value, member) => {
        await typedOutcome('parseBundle', () => parseBundle(value));
        await typedOutcome('parseBundle(member)', () => parseBundle({ ...world.bundle, [member]: value }));
        const asText = typeof value === 'string' ? value : safeStringify(value);
        await typedOutcome('parseBundle(text)', () => parseBundle(asText));
      }),
      { numRuns: RUNS },
    );
    await typedOutcome('parseBundle(deep)', () => parseBundle(deepJsonText(200_000)));
  });
});

describe('verify() never throws and never says VALID to a mutation', () => {
  it('hostile input and bundles, mutated QR text and JWS', async () => {
    expect((await verify(jws, world.bundle, world.options())).verdict).toBe('VALID');
    const growth = await heapGrowthMb(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(mutationsOf(jws, B64URL), mutationsOf(qr, QR_ALPHABET), text, hostileValue),
          fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(undefined) }, { weight: 1, arbitrary: hostileValue }),
          async (input, hostileBundle) => {
            const started = performance.now();
            const result = await verify(input, hostileBundle === undefined ? world.bundle : hostileBundle, world.options());
            expect(performance.now() - started).toBeLessThan(2_000);
            expect(typeof result.verdict).toBe('string');
            // Only input that carries exactly the signed JWS may be VALID.
            if (result.verdict === 'VALID') expect(input === jws || decodesTo(input) === jws).toBe(true);
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });
    expect(growth).toBeLessThan(256);
    expectPrototypesClean();
  });
});
