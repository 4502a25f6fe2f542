/** canonicalJson: sorted keys, no whitespace, undefined members dropped: the same value always hashes the same. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalJson } from '../src/core/canonical-json.js';

/** A deep copy with every object's keys inserted in reverse order. */
function reversedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedCopy);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .reverse()
      .map((k) => [k, reversedCopy((value as Record<string, unknown>)[k])]),
  );
}

describe('canonicalJson', () => {
  test('known answers', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson([1, [2, undefined]])).toBe('[1,[2,null]]');
    expect(canonicalJson({ é: 1, 'a"b': 2, 营业: '执照' })).toBe('{"a\\"b":2,"é":1,"营业":"执照"}');
  });

  test('is valid JSON of the same value, whatever order the keys were inserted in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(canonicalJson(reversedCopy(value)));
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
  });
});
