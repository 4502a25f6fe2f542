/**
 * Language of the human output: `--lang zh|en`, else the first set of LC_ALL, LC_MESSAGES, LANG
 * (POSIX precedence); a value starting with `zh` means Chinese, anything else English. The message
 * catalogue for both languages lives here.
 */
import type { CheckName, CheckResult, Verdict } from '../../../verifier/index.js';

export type Lang = 'zh' | 'en';

export function pickLang(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Lang {
  if (flag === 'zh' || flag === 'en') return flag;
  const locale = [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']].find((v) => v !== undefined && v !== '');
  return locale?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export interface Catalogue {
  verdict: Record<Verdict, { title: string; meaning: string }>;
  check: Record<CheckName, string>;
  result: Record<CheckResult, string>;
  heading: { licence: string; checks: string; freshness: string; reason: string; source: string };
  field: { type: string; holder: string; creditCode: string; validity: string; issuer: string; issuedAt: string; id: string; supersedes: string };
  fresh: {
    trustList: (anchor: string, sequence: number, age: string, expires: string, inGrace: boolean) => string;
    noTrustList: string;
    status: (age: string, limit: string) => string;
    noStatus: string;
    bundle: (generated: string, age: string) => string;
  };
  duration: { s: string; min: string; h: string; d: string; ago: (d: string) => string; ahead: (d: string) => string };
}

export const CATALOGUES: Record<Lang, Catalogue> = {
  zh: {
    verdict: {
      VALID: { title: '有效', meaning: '签名、签发机关和状态均核验通过，证照当前有效。' },
      REVOKED: { title: '已吊销', meaning: '签发机关已吊销此证照，不得使用。' },
      SUSPENDED: { title: '已暂停', meaning: '签发机关已暂停此证照，当前不得使用。' },
      EXPIRED: { title: '已过期', meaning: '证照已超过有效期。' },
      NOT_YET_VALID: { title: '尚未生效', meaning: '证照的有效期尚未开始。' },
      UNTRUSTED_ISSUER: { title: '签发机关不受信任', meaning: '无法确认签发机关：不在受信任列表上、已被暂停或撤销，或密钥、证照类型未获授权。' },
      INVALID: { title: '无效', meaning: '证照格式错误或签名不符：内容可能被篡改，不能采信。' },
      STATUS_UNKNOWN: { title: '状态未知', meaning: '签名和签发机关无误，但缺少状态数据或状态数据过旧，无法确认是否被吊销或暂停。请同步后再核验。' },
    },
    check: {
      format: '格式',
      algorithm: '签名算法',
      signature: '签名',
      trustList: '信任列表',
      issuerListed: '签发机关在册',
      keyValid: '签名密钥有效',
      typeAuthorised: '证照类型已授权',
      validityWindow: '有效期',
      revocation: '吊销状态',
      suspension: '暂停状态',
      statusFreshness: '状态数据时效',
    },
    result: { ok: '通过', fail: '未通过', skip: '跳过' },
    heading: { licence: '证照信息', checks: '核验项目', freshness: '数据时效', reason: '原因', source: '来源' },
    field: { type: '证照类型', holder: '持证主体', creditCode: '统一社会信用代码', validity: '有效期', issuer: '签发机关', issuedAt: '签发时间', id: '证照编号', supersedes: '替代' },
    fresh: {
      trustList: (anchor, sequence, age, expires, inGrace) => `信任列表 ${anchor} 第 ${sequence} 版，签发于 ${age}，${inGrace ? '已过期（宽限期内）' : '有效至'} ${expires}`,
      noTrustList: '没有可用的信任列表',
      status: (age, limit) => `状态数据签发于 ${age}（允许的最长时间 ${limit}）`,
      noStatus: '未使用状态数据',
      bundle: (generated, age) => `数据包生成于 ${generated}（${age}）`,
    },
    duration: { s: '秒', min: '分钟', h: '小时', d: '天', ago: (d) => `${d}前`, ahead: (d) => `${d}后` },
  },
  en: {
    verdict: {
      VALID: { title: 'VALID', meaning: 'Signature, issuer and status all check out: the licence is valid now.' },
      REVOKED: { title: 'REVOKED', meaning: 'The issuing authority has revoked this licence. It must not be accepted.' },
      SUSPENDED: { title: 'SUSPENDED', meaning: 'The issuing authority has suspended this licence. It must not be accepted for now.' },
      EXPIRED: { title: 'EXPIRED', meaning: 'The licence is past its validity period.' },
      NOT_YET_VALID: { title: 'NOT YET VALID', meaning: 'The licence\'s validity period has not started.' },
      UNTRUSTED_ISSUER: { title: 'UNTRUSTED ISSUER', meaning: 'The issuer cannot be vouched for: not on a trusted list, suspended or withdrawn, or its key or this licence type is not authorised.' },
      INVALID: { title: 'INVALID', meaning: 'The licence is malformed or its signature does not match: it may have been tampered with. Do not rely on it.' },
      STATUS_UNKNOWN: { title: 'STATUS UNKNOWN', meaning: 'Signature and issuer are fine, but status data is missing or too old to tell whether it was revoked or suspended. Sync and verify again.' },
    },
    check: {
      format: 'Format',
      algorithm: 'Algorithm',
      signature: 'Signature',
      trustList: 'Trust list',
      issuerListed: 'Issuer listed',
      keyValid: 'Signing key valid',
      typeAuthorised: 'Licence type authorised',
      validityWindow: 'Validity period',
      revocation: 'Revocation',
      suspension: 'Suspension',
      statusFreshness: 'Status freshness',
    },
    result: { ok: 'ok', fail: 'FAIL', skip: 'skip' },
    heading: { licence: 'Licence', checks: 'Checks', freshness: 'Data freshness', reason: 'Reason', source: 'Source' },
    field: { type: 'Licence type', holder: 'Holder', creditCode: 'Credit code', validity: 'Valid', issuer: 'Issuer', issuedAt: 'Issued', id: 'Licence id', supersedes: 'Supersedes' },
    fresh: {
      trustList: (anchor, sequence, age, expires, inGrace) => `trust list ${anchor} #${sequence}, issued ${age}, ${inGrace ? 'EXPIRED (in grace period) at' : 'valid until'} ${expires}`,
      noTrustList: 'no usable trust list',
      status: (age, limit) => `status data signed ${age} (limit ${limit})`,
      noStatus: 'no status data used',
      bundle: (generated, age) => `bundle generated ${generated} (${age})`,
    },
    duration: { s: 's', min: 'min', h: 'h', d: 'd', ago: (d) => `${d} ago`, ahead: (d) => `in ${d}` },
  },
};

/** "3 h", "2 d", "45 s": one unit, rounded down. */
export function formatDuration(seconds: number, lang: Lang): string {
  const unit = CATALOGUES[lang].duration;
  const s = Math.abs(Math.floor(seconds));
  if (s < 120) return `${s} ${unit.s}`;
  if (s < 7200) return `${Math.floor(s / 60)} ${unit.min}`;
  if (s < 172_800) return `${Math.floor(s / 3600)} ${unit.h}`;
  return `${Math.floor(s / 86_400)} ${unit.d}`;
}

export function formatAge(seconds: number, lang: Lang): string {
  const unit = CATALOGUES[lang].duration;
  return seconds >= 0 ? unit.ago(formatDuration(seconds, lang)) : unit.ahead(formatDuration(-seconds, lang));
}
