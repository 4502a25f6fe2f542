/**
 * Language of the human output: `--lang zh|en`, else the first set of LC_ALL, LC_MESSAGES, LANG
 * (POSIX precedence); a value starting with `zh` means Chinese, anything else English. What the
 * command line says about verdicts, checks, fields and freshness is the verifier's catalogue
 * (verifier/messages.ts, shared with the web app); only its own headings and sentences live here.
 */
import { type Lang, MESSAGES } from '../../../verifier/index.js';

export type { Lang } from '../../../verifier/index.js';

export function pickLang(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Lang {
  if (flag === 'zh' || flag === 'en') return flag;
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((v) => v !== undefined && v !== '');
  return locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

/** What only the command line says; verdicts, checks, fields and freshness words come from the verifier's catalogue. */
export interface CliTexts {
  heading: { licence: string; checks: string; freshness: string; reason: string; source: string };
  fresh: {
    trustList: (anchor: string, sequence: number, age: string, expires: string, inGrace: boolean) => string;
    noTrustList: string;
    status: (age: string, limit: string) => string;
    noStatus: string;
    bundle: (generated: string, age: string) => string;
  };
}

const zh = MESSAGES.zh.freshness;
const en = MESSAGES.en.freshness;

export const CLI_TEXTS: Record<Lang, CliTexts> = {
  zh: {
    heading: { licence: '证照信息', checks: '核验项目', freshness: '数据时效', reason: '原因', source: '来源' },
    fresh: {
      trustList: (anchor, sequence, age, expires, inGrace) => `${zh.trustList}: ${anchor} 第 ${sequence} 版，签发于 ${age}，有效至 ${expires}${inGrace ? `（${zh.inGrace}）` : ''}`,
      noTrustList: `${zh.trustList}: ${zh.none}`,
      status: (age, limit) => `${zh.statusLists}: 签发于 ${age}（允许的最长时间 ${limit}）`,
      noStatus: `${zh.statusLists}: ${zh.none}`,
      bundle: (generated, age) => `数据包生成于 ${generated}（${age}）`,
    },
  },
  en: {
    heading: { licence: 'Licence', checks: 'Checks', freshness: 'Data freshness', reason: 'Reason', source: 'Source' },
    fresh: {
      trustList: (anchor, sequence, age, expires, inGrace) => `${en.trustList}: ${anchor} #${sequence}, issued ${age}, valid until ${expires}${inGrace ? ` (${en.inGrace})` : ''}`,
      noTrustList: `${en.trustList}: ${en.none}`,
      status: (age, limit) => `${en.statusLists}: signed ${age} (limit ${limit})`,
      noStatus: `${en.statusLists}: ${en.none}`,
      bundle: (generated, age) => `bundle generated ${generated} (${age})`,
    },
  },
};
