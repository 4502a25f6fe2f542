/** Distinct valid unified social credit codes for tests that issue many business licences (one active per holder). */
import { creditCodeCheckCharacter } from '../../src/core/credit-code.js';

let counter = 0;
/** A fresh valid code on every call: 91330106 + 9 digits from a counter and the clock + the check character. */
export function freshCreditCode(): string {
  counter++;
  const digits = String((Date.now() % 1e6) * 1000 + (counter % 1000))
    .padStart(9, '0')
    .slice(-9);
  const first17 = `91330106${digits}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}
