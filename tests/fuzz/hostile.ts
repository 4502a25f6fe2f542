/**
 * Hostile inputs for the fuzz tests: fast-check arbitraries for wrong types, deep nesting, huge strings,
 * prototype-pollution keys and mutations of valid text; and the guards every fuzzed call runs under
 * (typed errors only, a time bound per call, the prototype left alone).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { isElicenceError } from '../../src/core/errors.js';

export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A value nested `depth` levels deep (arrays or objects), built without recursion. */
export function deeplyNested(depth: number, kind: 'array' | 'object' = 'array'): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** JSON text nested `depth` levels deep (deeper than any object we could build safely). */
export const deepJsonText = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

/** Objects whose own keys are the pollution keys, as JSON.parse makes them. */
export const pollutionObject = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.constantFrom('{"polluted":"yes"}', '{"prototype":{"polluted":"yes"}}', '"x"', '[1]', 'null'))
  .map(([key, value]) => JSON.parse(`{"${key}":${value},"type":"x","id":"y"}`) as unknown);

export const hugeString = fc.constantFrom(100_000, 1_000_000, 3_000_000).chain((n) => fc.constantFrom('a', '€', '0', '.', '{').map((c) => c.repeat(n)));

/** Anything a parser may be handed: JSON values of every type, pollution, depth, size. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 3, arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }) },
  { weight: 2, arbitrary: pollutionObject },
  { weight: 1, arbitrary: fc.constantFrom(10, 1_000, 50_000).map((d) => deeplyNested(d)) },
  { weight: 1, arbitrary: fc.constantFrom(10, 1_000, 50_000).map((d) => deeplyNested(d, 'object')) },
  { weight: 1, arbitrary: hugeString },
);

/** Text close to valid `text`: flipped, dropped, inserted or duplicated characters, truncation. */
export function mutationsOf(text: string, alphabet: string): fc.Arbitrary<string> {
  const char = fc.constantFrom(...alphabet.split(''));
  const position = fc.nat({ max: Math.max(0, text.length - 1) });
  return fc.oneof(
    fc.tuple(position, char).map(([i, c]) => text.slice(0, i) + c + text.slice(i + 1)),
    position.map((i) => text.slice(0, i) + text.slice(i + 1)),
    fc.tuple(position, char).map(([i, c]) => text.slice(0, i) + c + text.slice(i)),
    position.map((i) => text.slice(0, i)),
    fc.tuple(position, fc.nat({ max: 200 })).map(([i, n]) => text.slice(0, i) + text.slice(i, i + n).repeat(3) + text.slice(i + n)),
  );
}

const DEFAULT_TIME_LIMIT_MS = 2_000;

/**
 * Runs `fn` and requires that it returns or throws an ElicenceError (a typed error), within the time
 * limit. Returns the error code, or 'ok'.
 */
export async function typedOutcome(label: string, fn: () => unknown, timeLimitMs = DEFAULT_TIME_LIMIT_MS): Promise<string> {
  const started = performance.now();
  let outcome: string;
  try {
    await fn();
    outcome = 'ok';
  } catch (error) {
    if (!isElicenceError(error)) throw new Error(`${label}: untyped ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
    outcome = error.code;
  }
  const elapsed = performance.now() - started;
  if (elapsed > timeLimitMs) throw new Error(`${label}: took ${elapsed.toFixed(0)} ms (limit ${timeLimitMs} ms)`);
  return outcome;
}

/** The global prototypes carry nothing a fuzzed input put there. */
export function expectPrototypesClean(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe['polluted']).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Heap growth across `run`, after giving the collector a chance. */
export async function heapGrowthMb(run: () => Promise<void>): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  await run();
  gc?.();
  return (process.memoryUsage().heapUsed - before) / 1024 / 1024;
}
