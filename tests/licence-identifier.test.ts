/**
 * The licence identifier (证照标识, GB/T 36904) and its ISO/IEC 7064 MOD 37,36 check character.
 * The vectors are computed independently of the implementation: by hand below, one step per
 * character (P starts at 36; S = (P + value) mod 36, 36 for 0; P' = 2S mod 37; check c with
 * (P + c) mod 36 = 1), from ISAN's published example (ISAN uses the same MOD 37,36), and against a
 * separate implementation (@konfirm/iso7064) on random input.
 */
import { Mod37_36 } from '@konfirm/iso7064';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ElicenceError } from '../src/core/errors.js';
import {
  formatLicenceIdentifier,
  IDENTIFIER_ALPHABET,
  licenceIdentifierProblem,
  mod3736CheckCharacter,
  mod3736IsValid,
  nextVersionIdentifier,
  parseLicenceIdentifier,
} from '../src/core/licence-identifier.js';

/**
 * The worked example of docs/credential-format.md, step by step: the business licence catalogue code
 * YYZZ, the development authority's credit code 11330100DC00000011, serial 0000000001, version 01.
 * [character, its value, P before, S, P after]
 */
const WORKED_STEPS: [string, number, number, number, number][] = [
  ['Y', 34, 36, 34, 31], // S = (36 + 34) mod 36 = 34; P = 68 mod 37 = 31
  ['Y', 34, 31, 29, 21], // (31 + 34) mod 36 = 29; 58 mod 37 = 21
  ['Z', 35, 21, 20, 3], // (21 + 35) mod 36 = 20; 40 mod 37 = 3
  ['Z', 35, 3, 2, 4], // 38 mod 36 = 2; 4
  ['1', 1, 4, 5, 10],
  ['1', 1, 10, 11, 22],
  ['3', 3, 22, 25, 13], // 50 mod 37 = 13
  ['3', 3, 13, 16, 32],
  ['0', 0, 32, 32, 27], // 64 mod 37 = 27
  ['1', 1, 27, 28, 19], // 56 mod 37 = 19
  ['0', 0, 19, 19, 1], // 38 mod 37 = 1
  ['0', 0, 1, 1, 2],
  ['D', 13, 2, 15, 30],
  ['C', 12, 30, 6, 12], // 42 mod 36 = 6
  ['0', 0, 12, 12, 24],
  ['0', 0, 24, 24, 11], // 48 mod 37 = 11
  ['0', 0, 11, 11, 22],
  ['0', 0, 22, 22, 7], // 44 mod 37 = 7
  ['0', 0, 7, 7, 14],
  ['0', 0, 14, 14, 28],
  ['1', 1, 28, 29, 21],
  ['1', 1, 21, 22, 7],
  ['0', 0, 7, 7, 14], // serial 0000000001 starts
  ['0', 0, 14, 14, 28],
  ['0', 0, 28, 28, 19],
  ['0', 0, 19, 19, 1],
  ['0', 0, 1, 1, 2],
  ['0', 0, 2, 2, 4],
  ['0', 0, 4, 4, 8],
  ['0', 0, 8, 8, 16],
  ['0', 0, 16, 16, 32],
  ['1', 1, 32, 33, 29], // 66 mod 37 = 29
  ['0', 0, 29, 29, 21], // version 01 starts: 58 mod 37 = 21
  ['1', 1, 21, 22, 7],
];
// After the last step P = 7: c = (37 - 7) mod 36 = 30, the character G.
const WORKED_BODY = 'YYZZ11330100DC000000110000000001' + '01';
const WORKED = `${WORKED_BODY}U`;

describe('ISO/IEC 7064 MOD 37,36', () => {
  it('the worked example, step by step', () => {
    expect(WORKED_STEPS.map(([char]) => char).join('')).toBe(WORKED_BODY);
    for (const [char, value, before, s, after] of WORKED_STEPS) {
      expect(IDENTIFIER_ALPHABET.indexOf(char)).toBe(value);
      expect((before + value) % 36 || 36).toBe(s);
      expect((2 * s) % 37).toBe(after);
    }
    // Steps chain: each P after is the next P before, from 36.
    expect(WORKED_STEPS[0]![2]).toBe(36);
    for (let i = 1; i < WORKED_STEPS.length; i++) expect(WORKED_STEPS[i]![2]).toBe(WORKED_STEPS[i - 1]![4]);
    const last = WORKED_STEPS.at(-1)![4];
    expect(last).toBe(7);
    expect(IDENTIFIER_ALPHABET[(37 - last) % 36]).toBe('U');
    expect(mod3736CheckCharacter(WORKED_BODY)).toBe('U');
    expect(mod3736IsValid(WORKED)).toBe(true);
  });

  it('single characters, by hand', () => {
    // '0': S = 36 (0 read as 36), P = 72 mod 37 = 35, c = 2.  'A' (10): S = 10, P = 20, c = 17 (H).  'Z' (35): S = 35, P = 33, c = 4.
    expect(mod3736CheckCharacter('0')).toBe('2');
    expect(mod3736CheckCharacter('A')).toBe('H');
    expect(mod3736CheckCharacter('Z')).toBe('4');
  });

  it("ISAN's published example: ISAN 0000-0000-D07A-0090-Q-0000-0000-X", () => {
    expect(mod3736CheckCharacter('00000000D07A0090')).toBe('Q');
    expect(mod3736CheckCharacter('00000000D07A009000000000')).toBe('X');
  });

  it('agrees with a separate implementation on random text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...IDENTIFIER_ALPHABET), { minLength: 1, maxLength: 60 }), (chars) => {
        const text = chars.join('');
        expect(mod3736CheckCharacter(text)).toBe(Mod37_36.checksum(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not 0-9A-Z, lower case included (the other implementation silently upper-cases)', () => {
    for (const text of ['', 'a', 'YYZZ-1', 'ＹＹ', 'Y Y', 'YYZZ\u0000']) expect(mod3736CheckCharacter(text)).toBeUndefined();
    expect(Mod37_36.checksum('a')).toBe('H');
  });
});

describe('licence identifier', () => {
  it('formats the worked example', () => {
    expect(formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', serial: 1, version: 1 })).toBe(WORKED);
    expect(WORKED).toHaveLength(4 + 18 + 10 + 2 + 1);
    expect(parseLicenceIdentifier(WORKED, 'identifier')).toEqual({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', serial: 1, version: 1 });
  });

  it('splits by length alone: type codes of 1 to 10 characters', () => {
    for (const typeCode of ['A', 'SPJY', '1234567890', 'Z9']) {
      const id = formatLicenceIdentifier({ typeCode, authorityCode: '91330106MA2CFX7K5Y', serial: 9_999_999_999, version: 99 });
      expect(parseLicenceIdentifier(id, 'identifier')).toEqual({ typeCode, authorityCode: '91330106MA2CFX7K5Y', serial: 9_999_999_999, version: 99 });
    }
    expect(() => formatLicenceIdentifier({ typeCode: '12345678901', authorityCode: '91330106MA2CFX7K5Y', serial: 1, version: 1 })).toThrow(RangeError);
    expect(() => formatLicenceIdentifier({ typeCode: 'yyzz', authorityCode: '91330106MA2CFX7K5Y', serial: 1, version: 1 })).toThrow(RangeError);
    expect(() => formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: '91330106MA2CFX7K5Y', serial: 0, version: 1 })).toThrow(RangeError);
    expect(() => formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: '91330106MA2CFX7K5Y', serial: 1, version: 100 })).toThrow(RangeError);
  });

  it('catches a typo in any position: every other character, at every position, fails the check', () => {
    for (let i = 0; i < WORKED.length; i++) {
      for (const other of IDENTIFIER_ALPHABET) {
        if (other === WORKED[i]) continue;
        const typo = WORKED.slice(0, i) + other + WORKED.slice(i + 1);
        expect(licenceIdentifierProblem(typo), `${typo} (position ${i})`).toBeDefined();
      }
    }
  });

  it('catches swapped neighbours and a lost or doubled character', () => {
    for (let i = 0; i + 1 < WORKED.length; i++) {
      if (WORKED[i] === WORKED[i + 1]) continue;
      const swapped = WORKED.slice(0, i) + WORKED[i + 1] + WORKED[i] + WORKED.slice(i + 2);
      expect(licenceIdentifierProblem(swapped), `swap at ${i}`).toBeDefined();
    }
    for (let i = 0; i < WORKED.length; i++) {
      expect(licenceIdentifierProblem(WORKED.slice(0, i) + WORKED.slice(i + 1))).toBeDefined();
      expect(licenceIdentifierProblem(WORKED.slice(0, i) + WORKED[i] + WORKED.slice(i))).toBeDefined();
    }
  });

  it('says what is wrong with a typed identifier, naming the field', () => {
    const problem = (value: string) => {
      try {
        parseLicenceIdentifier(value, 'identifier');
        return undefined;
      } catch (error) {
        expect(error).toBeInstanceOf(ElicenceError);
        expect((error as ElicenceError).code).toBe('ERR_LICENCE_IDENTIFIER');
        expect((error as ElicenceError).field).toBe('identifier');
        return (error as ElicenceError).message;
      }
    };
    expect(problem(WORKED)).toBeUndefined();
    expect(problem(WORKED.toLowerCase())).toMatch(/capital letters/);
    expect(problem(`${WORKED.slice(0, -1)}V`)).toMatch(/check character/);
    expect(problem('YYZZ')).toMatch(/32 to 41 characters/);
    expect(problem(`YYZZ11330100DC00000011000000000A01${mod3736CheckCharacter('YYZZ11330100DC00000011000000000A01')}`)).toMatch(/serial/);
    expect(problem(`YYZZ11330100DC00000011000000000100${mod3736CheckCharacter('YYZZ11330100DC00000011000000000100')}`)).toMatch(/version/);
  });

  it('an amendment carries the next version; version 99 is the last', () => {
    const v2 = nextVersionIdentifier(WORKED);
    expect(parseLicenceIdentifier(v2, 'identifier')).toEqual({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', serial: 1, version: 2 });
    expect(v2.slice(0, 32)).toBe(WORKED.slice(0, 32));
    const v99 = formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', serial: 1, version: 99 });
    expect(() => nextVersionIdentifier(v99)).toThrow(expect.objectContaining({ code: 'ERR_IDENTIFIER_UNAVAILABLE' }));
  });
});
