/** Licence subjects for the shared suite: a fresh valid credit code each, so tests never collide on shared data. */
import { creditCodeCheckCharacter } from '../../src/core/credit-code.js';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

const SPACE = ALPHABET.length ** 7;
/** Where this process's codes start: random, so files sharing a deployment differ; set on first use (Workers refuse randomness at module scope). */
let next: number | undefined;

/** Distinct within a process (a counter; random draws collided about once in 10,000 runs of the thousands issued by concurrent-issuance). */
export function freshCreditCode(): string {
  next ??= crypto.getRandomValues(new Uint32Array(2)).reduce((a, b) => a * 2 ** 32 + b, 0) % SPACE;
  let n = next++ % SPACE;
  let body = '';
  for (let i = 0; i < 7; i++) {
    body = ALPHABET[n % ALPHABET.length]! + body;
    n = Math.floor(n / ALPHABET.length);
  }
  const first17 = `91330106MA${body}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

export function businessSubject(creditCode = freshCreditCode()): Record<string, unknown> {
  return {
    creditCode,
    name: '杭州示例科技有限公司',
    entityType: '有限责任公司（自然人投资或控股）',
    legalRepresentative: '张三',
    registeredCapital: '500万元人民币',
    establishedOn: '2020-05-18',
    address: '浙江省杭州市西湖区文三路100号',
    businessScope: '一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发。',
  };
}
