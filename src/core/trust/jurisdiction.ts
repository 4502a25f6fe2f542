/** GB/T 2260 administrative division codes, as trust lists and federation scopes use them. */

/** Province-level codes (the first two digits). */
const PROVINCES = new Set('11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82'.split(' '));

/**
 * GB/T 2260 administrative division code: six digits, a listed province (first two digits), and no
 * county part under a "00" prefecture part. Structure only: the full code table changes yearly.
 */
export function isJurisdictionCode(code: unknown): code is string {
  if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return false;
  if (!PROVINCES.has(code.slice(0, 2))) return false;
  return !(code.slice(2, 4) === '00' && code.slice(4) !== '00');
}

/** A federation scope prefix: 2, 4 or 6 digits, starting with a province code. */
export function isJurisdictionPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && /^(\d{2}|\d{4}|\d{6})$/.test(prefix) && PROVINCES.has(prefix.slice(0, 2));
}
