/**
 * Valid unified social credit codes, one per number: benches issue business licences, and a business
 * has one active business licence, so each licence needs a holder of its own.
 */
import { creditCodeCheckCharacter } from '../../src/core/credit-code.js';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** The n-th code of a run (n < 31^7); `salt` keeps runs against one database apart. */
export function creditCodeOf(n: number, salt = 0): string {
  let value = (salt * 31 ** 5 + n) % 31 ** 7;
  let digits = '';
  for (let i = 0; i < 7; i++) {
    digits = ALPHABET[value % 31]! + digits;
    value = Math.floor(value / 31);
  }
  const first17 = `91330106MA${digits}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}
