/**
 * The licence identifier (证照标识) of GB/T 36904, as publicly described: the licence type code, the
 * issuing authority's code, a serial number, a version and a check character, all from `0-9A-Z`.
 *
 *   segment                 length   value
 *   licence type code       1-10     the type's catalogue code
 *   issuing authority code  18       the authority's unified social credit code
 *   serial number           10       decimal, per authority and type, never reused
 *   version                 2        decimal, 01 for a new licence, +1 per amendment
 *   check character         1        ISO/IEC 7064 MOD 37,36 over every character before it
 *
 * Only the type code varies in length, so an identifier splits from its length alone (31 fixed
 * characters after the type code). Pure: no clock, no I/O (docs/credential-format.md §Licence identifier).
 */
import { ElicenceError } from './errors.js';

/** The characters of an identifier, in the order of their ISO 7064 values (0-9 are 0-9, A-Z are 10-35). */
export const IDENTIFIER_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** A licence type's catalogue code as it appears in the identifier. */
export const CATALOGUE_CODE = /^[0-9A-Z]{1,10}$/;
export const AUTHORITY_CODE_LENGTH = 18;
export const SERIAL_DIGITS = 10;
export const VERSION_DIGITS = 2;
export const MAX_SERIAL = 10 ** SERIAL_DIGITS - 1;
export const MAX_VERSION = 10 ** VERSION_DIGITS - 1;
/** Characters after the type code: authority code, serial, version, check character. */
const FIXED_TAIL = AUTHORITY_CODE_LENGTH + SERIAL_DIGITS + VERSION_DIGITS + 1;
const SHAPE = /^[0-9A-Z]+$/;

const M = 36;

/** The ISO 7064 value of one character, or -1 outside `0-9A-Z`. */
const characterValue = (char: string) => IDENTIFIER_ALPHABET.indexOf(char);

/**
 * ISO/IEC 7064 MOD 37,36 (the hybrid system with M = 36): the check character for `text`, or
 * undefined when `text` is empty or has a character outside `0-9A-Z` (lower case included).
 * P starts at 36; per character S = (P + value) mod 36, read as 36 when 0, then P = 2S mod 37; the
 * check character c makes (P + c) mod 36 = 1.
 */
export function mod3736CheckCharacter(text: string): string | undefined {
  if (text.length === 0) return undefined;
  let p = M;
  for (const char of text) {
    const value = characterValue(char);
    if (value < 0 || char.length !== 1) return undefined;
    const s = (p + value) % M || M;
    p = (s * 2) % (M + 1);
  }
  return IDENTIFIER_ALPHABET[(M + 1 - p) % M];
}

/** True when the last character of `text` is the MOD 37,36 check character of the ones before it. */
export function mod3736IsValid(text: string): boolean {
  return text.length >= 2 && mod3736CheckCharacter(text.slice(0, -1)) === text.slice(-1);
}

export interface LicenceIdentifierParts {
  /** The licence type's catalogue code (1-10 of `0-9A-Z`). */
  typeCode: string;
  /** The issuing authority's unified social credit code (18 characters). */
  authorityCode: string;
  /** 1 to 9,999,999,999. */
  serial: number;
  /** 1 to 99: 1 for a new licence, +1 for each amendment. */
  version: number;
}

/** Why a text is not a licence identifier, for a person who typed it. */
export type IdentifierProblem = 'length' | 'characters' | 'serial' | 'version' | 'check';

/** The identifier of these parts, check character included. RangeError when a part is out of range. */
export function formatLicenceIdentifier(parts: LicenceIdentifierParts): string {
  if (!CATALOGUE_CODE.test(parts.typeCode)) throw new RangeError(`type code "${parts.typeCode}" is not 1-10 of 0-9A-Z`);
  if (parts.authorityCode.length !== AUTHORITY_CODE_LENGTH || !SHAPE.test(parts.authorityCode)) {
    throw new RangeError(`authority code "${parts.authorityCode}" is not 18 of 0-9A-Z`);
  }
  if (!Number.isSafeInteger(parts.serial) || parts.serial < 1 || parts.serial > MAX_SERIAL) throw new RangeError(`serial ${parts.serial} is out of range`);
  if (!Number.isSafeInteger(parts.version) || parts.version < 1 || parts.version > MAX_VERSION) throw new RangeError(`version ${parts.version} is out of range`);
  const body = `${parts.typeCode}${parts.authorityCode}${String(parts.serial).padStart(SERIAL_DIGITS, '0')}${String(parts.version).padStart(VERSION_DIGITS, '0')}`;
  return body + mod3736CheckCharacter(body)!;
}

/** The parts of a well-formed identifier (check character not looked at), or the problem with its shape. */
function split(value: string): LicenceIdentifierParts | Exclude<IdentifierProblem, 'check'> {
  if (value.length < FIXED_TAIL + 1 || value.length > FIXED_TAIL + 10) return 'length';
  if (!SHAPE.test(value)) return 'characters';
  const typeLength = value.length - FIXED_TAIL;
  const serialText = value.slice(typeLength + AUTHORITY_CODE_LENGTH, typeLength + AUTHORITY_CODE_LENGTH + SERIAL_DIGITS);
  const versionText = value.slice(-1 - VERSION_DIGITS, -1);
  if (!/^\d+$/.test(serialText) || Number(serialText) === 0) return 'serial';
  if (!/^\d+$/.test(versionText) || Number(versionText) === 0) return 'version';
  return {
    typeCode: value.slice(0, typeLength),
    authorityCode: value.slice(typeLength, typeLength + AUTHORITY_CODE_LENGTH),
    serial: Number(serialText),
    version: Number(versionText),
  };
}

/** Why `value` is not a licence identifier whose check character holds, or undefined when it is one. */
export function licenceIdentifierProblem(value: string): IdentifierProblem | undefined {
  const parts = split(value);
  if (typeof parts === 'string') return parts;
  return mod3736IsValid(value) ? undefined : 'check';
}

const PROBLEM_TEXT: Record<IdentifierProblem, string> = {
  length: 'must be 32 to 41 characters: type code (1-10), authority code (18), serial (10), version (2), check character (1)',
  characters: 'may hold only digits and capital letters A-Z',
  serial: 'has a serial number that is not 10 digits from 0000000001',
  version: 'has a version that is not 2 digits from 01',
  check: 'check character does not match (ISO/IEC 7064 MOD 37,36): a character was mistyped',
};

/** The parts of an identifier a person typed in; ERR_LICENCE_IDENTIFIER naming `field` when it is malformed or its check fails. */
export function parseLicenceIdentifier(value: unknown, field: string): LicenceIdentifierParts {
  if (typeof value !== 'string') throw new ElicenceError('ERR_LICENCE_IDENTIFIER', 'licence identifier must be a string', { field });
  const problem = licenceIdentifierProblem(value);
  if (problem) throw new ElicenceError('ERR_LICENCE_IDENTIFIER', `licence identifier ${PROBLEM_TEXT[problem]}`, { field });
  return split(value) as LicenceIdentifierParts;
}

/**
 * The identifier an amendment of the licence with identifier `current` carries: the same type code,
 * authority code and serial, the next version. ERR_IDENTIFIER_UNAVAILABLE after version 99.
 */
export function nextVersionIdentifier(current: string): string {
  const parts = parseLicenceIdentifier(current, 'licenceIdentifier');
  if (parts.version >= MAX_VERSION) {
    throw new ElicenceError('ERR_IDENTIFIER_UNAVAILABLE', `licence ${current} is at version ${MAX_VERSION}, the last a licence identifier holds: issue a new licence instead`, {
      field: 'id',
    });
  }
  return formatLicenceIdentifier({ ...parts, version: parts.version + 1 });
}
