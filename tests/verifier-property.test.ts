/**
 * Property tests: whatever the input, bundle or mutation, `verify()` returns a verdict and never
 * throws; a mutated licence is never VALID unless it spells the same token.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { VERDICT_PRECEDENCE, verify } from '../verifier/index.js';
import { issueLicence, makeWorld, type World } from './fixtures/world.js';

let w: World;
let jws: string;
let qr: string;

beforeAll(async () => {
  w = await makeWorld();
  jws = await issueLicence(w.hangzhou);
  qr = encodeLicenceQr(jws);
});

const VERDICTS = new Set(VERDICT_PRECEDENCE);

/** An edit: replace, insert or delete one character at a position (taken modulo the length). */
const edit = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete'),
  at: fc.nat(),
  char: fc.constantFrom(...'AZaz09-_.=+/ :{}"\u0000é'.split('')),
});

function apply(text: string, edits: Array<{ kind: string; at: number; char: string }>): string {
  let out = text;
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % out.length;
    if (e.kind === 'replace') out = out.slice(0, i) + e.char + out.slice(i + 1);
    else if (e.kind === 'insert') out = out.slice(0, i) + e.char + out.slice(i);
    else out = out.slice(0, i) + out.slice(i + 1);
  }
  return out;
}

async function expectVerdict(input: unknown, bundle: unknown = w.bundle): Promise<string> {
  const result = await verify(input, bundle, w.options());
  expect(VERDICTS.has(result.verdict)).toBe(true);
  expect(result.checks).toHaveLength(12);
  return result.verdict;
}

describe('verify() never throws', () => {
  it('on random garbage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), async (input) => {
        expect(await expectVerdict(input)).not.toBe('VALID');
      }),
      { numRuns: 300 },
    );
  });

  it('on random three-part tokens', async () => {
    const part = fc.string({ unit: fc.constantFrom(...'ABCDEFabcdef0123456789-_'.split('')), maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(part, part, part, async (a, b, c) => {
        expect(await expectVerdict(`${a}.${b}.${c}`)).toBe('INVALID');
      }),
      { numRuns: 300 },
    );
  });

  it('on random mutations of a valid JWS and of its QR text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(edit, { minLength: 1, maxLength: 4 }), async (useQr, edits) => {
        const original = useQr ? qr : jws;
        const mutated = apply(original, edits);
        const verdict = await expectVerdict(mutated);
        if (mutated.trim() !== original) expect(verdict).not.toBe('VALID');
      }),
      { numRuns: 400 },
    );
  });

  it('on random mutations of the bundle', async () => {
    const text = JSON.stringify(w.bundle);
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        await expectVerdict(jws, apply(text, edits));
      }),
      { numRuns: 150 },
    );
    for (const bundle of [null, undefined, 42, [], { version: 1 }, new Uint8Array([1, 2, 3])]) await expectVerdict(jws, bundle);
  });
});
