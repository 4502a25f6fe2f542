/** Licence subjects for the shared suite: a fresh valid credit code each, so tests never collide on shared data. */
import { creditCodeCheckCharacter } from '../../src/core/credit-code.js';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export function freshCreditCode(): string {
  const random = crypto.getRandomValues(new Uint8Array(7));
  const first17 = `91330106MA${[...random].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
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
