/**
 * What every front end of the verifier (the command line, the inspectors' web app) says to a person
 * about a result, in Chinese and English: verdict titles and reasons, plain words for the codes an
 * inspector is most likely to meet, check names and results, the licence's field labels, and how fresh
 * the trust and status data are. One catalogue, so a verdict reads the same wherever it is shown.
 * Pure data and small pure functions; each front end keeps only its own strings (buttons, usage).
 */
import type { StatusReason } from '../src/core/status-reasons.js';
import type { CheckCode, CheckName, CheckResult, IdentifierFlag, Presentation, Verdict, VerifyResult } from './verdict.js';

export type Lang = 'zh' | 'en';

export interface Messages {
  /** Banner title and the one sentence said when no more specific reason applies. */
  verdict: Record<Verdict, { title: string; reason: string }>;
  /** Plain words for the codes an inspector is most likely to meet (others fall back to the verdict's reason). */
  code: Partial<Record<CheckCode, string>>;
  /** STATUS_UNKNOWN because the device syncs its own province only (`statusNotSynced: 'province-only'`). */
  notSyncedProvinceOnly: string;
  check: Record<CheckName, string>;
  result: Record<CheckResult, string>;
  field: {
    type: string;
    holder: string;
    creditCode: string;
    validity: string;
    issuer: string;
    jurisdiction: string;
    scope: string;
    issuedAt: string;
    id: string;
    supersedes: string;
    /** 证照标识 (GB/T 36904). */
    identifier: string;
  };
  /** Said beside a licence identifier that does not check out (the verdict stands: the signature covers it). */
  identifierFlag: Record<IdentifierFlag, string>;
  freshness: {
    trustList: string;
    statusLists: string;
    /** Said of data older than allowed. */
    tooOld: string;
    /** Said of a trust list past its expiry but still within the grace period. */
    inGrace: string;
    none: string;
    units: { s: string; min: string; h: string; d: string };
    /** "3 h" -> "3 h ago". */
    ago: (duration: string) => string;
    /** "3 h" -> "in 3 h" (a time still to come: a clock behind the signer's). */
    ahead: (duration: string) => string;
  };
  /**
   * Which legal act a revocation or suspension was (src/core/status-reasons.ts), beside the verdict,
   * which stays REVOKED or SUSPENDED: `title` as a status heading, `detail` one sentence for the person.
   */
  reason: Record<StatusReason, { title: string; detail: string }>;
  /** How the credential was shown (`presentation`): a short label and one sentence. */
  presentation: Record<Presentation, { title: string; detail: string }>;
  /** The live proof's time against this device's clock. */
  liveProof: {
    /** "12 s ago" / "in 2 min" -> "QR shown 12 s ago (allowed: 90 s)". */
    shown: (when: string, window: string) => string;
    /** Said only when this device's clock is provably behind (earlier than its newest signed data). */
    clockBehind: (newest: string) => string;
  };
  /** An agent authorisation's display labels. */
  authorisation: {
    heading: string;
    company: string;
    licence: string;
    licenceStatus: string;
    agent: string;
    idNumber: string;
    matters: string;
    allMatters: string;
    period: string;
  };
  /** A bound copy (a licence bound to a holder device). */
  boundCopy: string;
}

export const MESSAGES: Record<Lang, Messages> = {
  zh: {
    verdict: {
      VALID: { title: '有效', reason: '签名、发证机关和状态均已核验，证照当前有效。' },
      // Neutral: 吊销, 撤销, 注销 and 换发 are different legal acts; the reason (below) says which one.
      REVOKED: { title: '已失效', reason: '发证机关已终止此证照，不得继续使用。' },
      INVALID: { title: '无效（伪造或损坏）', reason: '二维码内容被篡改、损坏或不是电子证照。' },
      UNTRUSTED_ISSUER: { title: '发证机关不受信任', reason: '发证机关不在信任列表中，或已被撤销信任。' },
      EXPIRED: { title: '已过期', reason: '证照已超过有效期。' },
      SUSPENDED: { title: '已暂停', reason: '证照已被发证机关暂停，暂不可使用。' },
      STATUS_UNKNOWN: { title: '状态未知', reason: '签名与发证机关无误，但缺少最新的状态数据，无法确认是否被吊销或暂停。请联网同步。' },
      NOT_YET_VALID: { title: '尚未生效', reason: '证照尚未到生效日期。' },
    },
    notSyncedProvinceOnly: '外省证照：仅本省模式下未同步其发证机关的状态数据，无法确认是否被吊销或暂停。',
    code: {
      ERR_JWS_SIGNATURE: '数字签名不符：内容被改动过。',
      ERR_QR_PREFIX: '这不是电子证照二维码。',
      ERR_QR_CORRUPT: '二维码数据已损坏。',
      ERR_QR_TRUNCATED: '二维码数据不完整。',
      ERR_ISSUER_NOT_LISTED: '发证机关不在信任列表中。',
      ERR_ISSUER_WITHDRAWN: '信任锚已撤销对该发证机关的信任。',
      ERR_ISSUER_SUSPENDED: '信任锚已暂停对该发证机关的信任。',
      ERR_KEY_UNKNOWN: '签名密钥不属于该发证机关。',
      ERR_KEY_NOT_VALID_AT_IAT: '签名密钥在签发时无效。',
      ERR_TYPE_NOT_AUTHORISED: '该发证机关无权签发此类证照。',
      ERR_NO_TRUST_LIST: '没有可用的信任列表：请同步。',
      ERR_TRUST_LIST_EXPIRED: '信任列表已过期：请同步。',
      ERR_TRUST_ANCHOR_UNKNOWN: '信任列表不是由已固定的信任锚签发的。',
      ERR_STATUS_LIST_MISSING: '缺少该发证机关的状态列表。',
      ERR_STATUS_LIST_STALE: '状态列表已过期或太旧。',
      ERR_STATUS_LIST_REPLAYED: '状态列表比已见过的版本旧：请同步。',
      ERR_STATUS_PATCH_GAP: '状态数据缺少中间的更新：请同步以获取完整副本。',
      ERR_STATUS_PATCH_MISMATCH: '状态更新与本机副本不符：请同步以获取完整副本。',
      ERR_PRESENTATION_NOT_LIVE: '授权用证必须由代理人手机实时出示（动态二维码）；静态二维码、截图或过时的二维码不予认可。',
      ERR_PROOF_INVALID: '动态二维码的设备签名无效：不是绑定设备出示的，或内容被改动过。',
      ERR_DEVICE_REMOVED: '该设备已被持证主体移除，此绑定副本已失效。',
      ERR_AUTHORISATION_REVOKED: '该授权已被撤销。',
      ERR_AUTHORISATION_PERIOD: '授权期限超出证照有效期或超过一年：授权无效。',
      ERR_BINDING_EXPIRED: '设备绑定已到期：请持证人联网后刷新。',
      ERR_STATUS_ISSUER_MISMATCH: '引用的状态列表属于其他发证机关：授权与证照不符。',
      ERR_AUTHORISATION_FOREIGN_LICENCE: '该证照由其他发证机关颁发：签发授权的机关无权为其授权。',
    },
    check: {
      format: '格式',
      algorithm: '签名算法',
      signature: '数字签名',
      trustList: '信任列表',
      issuerListed: '发证机关受信任',
      keyValid: '签名密钥有效',
      typeAuthorised: '有权签发此类证照',
      validityWindow: '有效期',
      revocation: '未被吊销',
      suspension: '未被暂停',
      statusFreshness: '状态数据新鲜度',
      presentation: '实时出示',
    },
    result: { ok: '通过', fail: '未通过', skip: '未检查' },
    field: {
      type: '证照类型',
      holder: '持证主体',
      creditCode: '统一社会信用代码',
      validity: '有效期',
      issuer: '发证机关',
      jurisdiction: '所在地区',
      scope: '经营范围 / 项目',
      issuedAt: '签发时间',
      id: '电子证照 ID',
      supersedes: '替代',
      identifier: '证照标识',
    },
    identifierFlag: {
      length: '证照标识长度不符，不是有效的证照标识（核验结论以数字签名为准）',
      characters: '证照标识含有数字和大写字母以外的字符（核验结论以数字签名为准）',
      serial: '证照标识的顺序号无效（核验结论以数字签名为准）',
      version: '证照标识的版本号无效（核验结论以数字签名为准）',
      check: '证照标识校验位不符（核验结论以数字签名为准）',
      authority: '证照标识中的颁发机构代码与信任列表中该发证机关的统一社会信用代码不符（核验结论以数字签名为准）',
    },
    freshness: {
      trustList: '信任列表',
      statusLists: '状态列表',
      tooOld: '已超过允许时长，请联网同步',
      inGrace: '已过有效期，处于宽限期内，请尽快同步',
      none: '无',
      units: { s: '秒', min: '分钟', h: '小时', d: '天' },
      ago: (duration) => `${duration}前`,
      ahead: (duration) => `${duration}后`,
    },
    reason: {
      penalty: { title: '已吊销', detail: '发证机关已依法吊销此证照（行政处罚），不得继续使用。' },
      rescinded: { title: '已撤销', detail: '此许可以不正当手段取得或因错误授予，发证机关已依法撤销，不得继续使用。' },
      deregistered: { title: '已注销', detail: '应持证者申请或因主体终止，此证照已注销，不再有效。' },
      superseded: { title: '已换发', detail: '此证照已被换发的新证照取代（如信息变更），并非因违法被吊销或撤销。请向持证者索取现行有效的证照并核验。' },
      other: { title: '已终止', detail: '发证机关因其他原因终止了此证照，不再有效。' },
      suspended: { title: '已暂停', detail: '发证机关已暂停此证照，暂停期间不得使用。' },
      unspecified: { title: '原因未说明', detail: '缺少最新的已签名原因数据，无法说明属于吊销、撤销、注销还是换发；核验结论不变。' },
    },
    presentation: {
      live: { title: '实时出示', detail: '由绑定设备在时间窗口内出示。这只证明二维码来自持有密钥的设备，不能证明持证人本人在场（离线无法识别实时转发）。' },
      static: { title: '静态出示', detail: '静态二维码、打印件或截图：证照可能真实，但无法证明出示者是谁。' },
      bindingExpired: { title: '绑定已到期', detail: '设备绑定副本已过期：请持证人联网后刷新。' },
      proofFailed: { title: '设备签名无效', detail: '动态二维码的设备签名无法验证：结论为无效。' },
    },
    liveProof: {
      shown: (when, window) => `二维码生成时间：${when}（允许误差 ±${window}）`,
      clockBehind: (newest) => `本机时钟有误：早于已同步数据的签名时间 ${newest}，请校准时钟。`,
    },
    authorisation: {
      heading: '授权用证',
      company: '被代理企业',
      licence: '证照',
      licenceStatus: '证照状态',
      agent: '代理人',
      idNumber: '身份证号（部分隐藏）',
      matters: '授权事项',
      allMatters: '全部事项',
      period: '授权期限',
    },
    boundCopy: '绑定设备副本',
  },
  en: {
    verdict: {
      VALID: { title: 'VALID', reason: 'Signature, issuer and status all check out: the licence is valid now.' },
      REVOKED: { title: 'REVOKED', reason: 'The issuing authority has revoked this licence: it must not be used.' },
      INVALID: { title: 'INVALID', reason: 'The QR content was tampered with, damaged, or is not an e-licence.' },
      UNTRUSTED_ISSUER: { title: 'UNTRUSTED ISSUER', reason: 'The issuing authority is not on the trust list, or is no longer trusted.' },
      EXPIRED: { title: 'EXPIRED', reason: 'The licence is past its validity period.' },
      SUSPENDED: { title: 'SUSPENDED', reason: 'The issuing authority has suspended this licence for now.' },
      STATUS_UNKNOWN: {
        title: 'STATUS UNKNOWN',
        reason: 'Signature and issuer are fine, but recent status data is missing, so revocation or suspension cannot be ruled out. Sync when online.',
      },
      NOT_YET_VALID: { title: 'NOT YET VALID', reason: 'The licence is not valid yet (its start date is in the future).' },
    },
    notSyncedProvinceOnly: "A licence from another province: its authority's status data is not synced in province-only mode, so revocation or suspension cannot be ruled out.",
    code: {
      ERR_JWS_SIGNATURE: 'The digital signature does not match: the content was changed.',
      ERR_QR_PREFIX: 'This is not an e-licence QR code.',
      ERR_QR_CORRUPT: 'The QR data is corrupt.',
      ERR_QR_TRUNCATED: 'The QR data is incomplete.',
      ERR_ISSUER_NOT_LISTED: 'The issuing authority is not on the trust list.',
      ERR_ISSUER_WITHDRAWN: 'The trust anchor has withdrawn its trust in this authority.',
      ERR_ISSUER_SUSPENDED: 'The trust anchor has suspended its trust in this authority.',
      ERR_KEY_UNKNOWN: 'The signing key does not belong to this authority.',
      ERR_KEY_NOT_VALID_AT_IAT: 'The signing key was not valid when the licence was issued.',
      ERR_TYPE_NOT_AUTHORISED: 'This authority may not issue this type of licence.',
      ERR_NO_TRUST_LIST: 'No usable trust list: sync first.',
      ERR_TRUST_LIST_EXPIRED: 'The trust list has expired: sync.',
      ERR_TRUST_ANCHOR_UNKNOWN: 'The trust list is not signed by a pinned trust anchor.',
      ERR_STATUS_LIST_MISSING: "The authority's status list is missing.",
      ERR_STATUS_LIST_STALE: 'The status list is expired or too old.',
      ERR_STATUS_LIST_REPLAYED: 'The status list is older than one already seen: sync.',
      ERR_STATUS_PATCH_GAP: 'An update of the status data is missing: sync to get a full copy.',
      ERR_STATUS_PATCH_MISMATCH: 'A status update does not match the copy held: sync to get a full copy.',
      ERR_PRESENTATION_NOT_LIVE: "An agent authorisation counts only when shown live from the agent's phone (changing QR); a static, screenshot or outdated QR is refused.",
      ERR_PROOF_INVALID: "The live QR's device signature does not verify: not shown from the bound device, or changed.",
      ERR_DEVICE_REMOVED: 'The holder removed this device: this bound copy is no longer valid.',
      ERR_AUTHORISATION_REVOKED: 'This authorisation has been revoked.',
      ERR_AUTHORISATION_PERIOD: "The authorisation runs past its licence's validity or longer than one year: not valid.",
      ERR_BINDING_EXPIRED: "The device binding has expired: the holder's app renews it when online.",
      ERR_STATUS_ISSUER_MISMATCH: 'A status list it names belongs to another authority: the authorisation does not match the licence.',
      ERR_AUTHORISATION_FOREIGN_LICENCE: 'The licence was issued by another authority: this issuer cannot authorise agents for it.',
    },
    check: {
      format: 'Format',
      algorithm: 'Signature algorithm',
      signature: 'Digital signature',
      trustList: 'Trust list',
      issuerListed: 'Issuer trusted',
      keyValid: 'Signing key valid',
      typeAuthorised: 'Authorised for this type',
      validityWindow: 'Validity period',
      revocation: 'Not revoked',
      suspension: 'Not suspended',
      statusFreshness: 'Status data fresh',
      presentation: 'Shown live',
    },
    result: { ok: 'passed', fail: 'failed', skip: 'not checked' },
    field: {
      type: 'Licence type',
      holder: 'Holder',
      creditCode: 'Unified social credit code',
      validity: 'Valid',
      issuer: 'Issuing authority',
      jurisdiction: 'Region',
      scope: 'Business scope / items',
      issuedAt: 'Issued',
      id: 'Licence id',
      supersedes: 'Supersedes',
      identifier: 'Licence identifier',
    },
    identifierFlag: {
      length: 'not a licence identifier: wrong length (the verdict rests on the signature)',
      characters: 'the licence identifier holds characters other than digits and capital letters (the verdict rests on the signature)',
      serial: 'the licence identifier has an invalid serial number (the verdict rests on the signature)',
      version: 'the licence identifier has an invalid version (the verdict rests on the signature)',
      check: 'the licence identifier’s check character does not match (the verdict rests on the signature)',
      authority: "the licence identifier's issuing authority code is not the credit code the trust list gives this issuer (the verdict rests on the signature)",
    },
    freshness: {
      trustList: 'Trust list',
      statusLists: 'Status lists',
      tooOld: 'older than allowed: sync when online',
      inGrace: 'past its expiry, in the grace period: sync soon',
      none: 'none',
      units: { s: 's', min: 'min', h: 'h', d: 'd' },
      ago: (duration) => `${duration} ago`,
      ahead: (duration) => `in ${duration}`,
    },
    reason: {
      penalty: { title: 'Revoked as a penalty', detail: 'The issuing authority took this licence away as an administrative penalty: it must not be used.' },
      rescinded: { title: 'Rescinded', detail: 'The licence was granted improperly (obtained by fraud or granted in error) and has been rescinded: it must not be used.' },
      deregistered: { title: 'Deregistered', detail: "Cancelled at the holder's request or because the entity was dissolved: no longer valid." },
      superseded: {
        title: 'Superseded',
        detail: 'Replaced by a newer licence (e.g. after an amendment), not taken away for wrongdoing. Ask the holder for the current licence and verify that one.',
      },
      other: { title: 'Ended (other reason)', detail: 'The issuing authority ended this licence for another reason: no longer valid.' },
      suspended: { title: 'Suspended', detail: 'The issuing authority has suspended this licence: it may not be relied on while suspended.' },
      unspecified: {
        title: 'Reason not stated',
        detail: 'No current signed reason data, so which legal act this was (revoked, rescinded, deregistered or superseded) cannot be said; the verdict stands.',
      },
    },
    presentation: {
      live: {
        title: 'LIVE',
        detail:
          'Shown from the bound device within the time window. This proves the QR came from the device holding the key, not that the holder is here (a real-time relay cannot be detected offline).',
      },
      static: { title: 'STATIC', detail: 'A static QR, printout or screenshot: the licence may be real, but nothing proves who shows it.' },
      bindingExpired: { title: 'BINDING EXPIRED', detail: "The device-bound copy has expired: the holder's app renews it when online." },
      proofFailed: { title: 'PROOF FAILED', detail: "The live QR's device signature does not verify: the verdict is INVALID." },
    },
    liveProof: {
      shown: (when, window) => `QR made ${when} (allowed: ±${window})`,
      clockBehind: (newest) => `This device's clock is wrong: it is earlier than its synced data, signed at ${newest}. Set the clock.`,
    },
    authorisation: {
      heading: 'Agent authorisation',
      company: 'Company',
      licence: 'Licence',
      licenceStatus: 'Licence status',
      agent: 'Agent',
      idNumber: 'ID number (masked)',
      matters: 'Matters',
      allMatters: 'all matters',
      period: 'Period',
    },
    boundCopy: 'device-bound copy',
  },
};

/**
 * The most specific plain-words reason: which legal act ended the licence when the result says (a
 * REVOKED or SUSPENDED verdict), else the first failed check's code if there are words for it, else
 * the verdict's.
 */
export function reasonOf(result: Pick<VerifyResult, 'verdict' | 'checks' | 'reason' | 'statusNotSynced'>, lang: Lang): string {
  const messages = MESSAGES[lang];
  if (result.reason !== undefined) return messages.reason[result.reason].detail;
  if (result.verdict === 'STATUS_UNKNOWN' && result.statusNotSynced === 'province-only') return messages.notSyncedProvinceOnly;
  if (result.verdict !== 'VALID') {
    for (const check of result.checks) {
      if (check.result !== 'fail') continue;
      const words = messages.code[check.code];
      if (words) return words;
    }
  }
  return messages.verdict[result.verdict].reason;
}

/** "45 s", "3 h", "2 d": one unit, rounded. */
export function durationText(seconds: number, lang: Lang): string {
  const unit = MESSAGES[lang].freshness.units;
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  const [value, name] = s < 90 ? [s, unit.s] : s < 5400 ? [Math.round(s / 60), unit.min] : s < 172_800 ? [Math.round(s / 3600), unit.h] : [Math.round(s / 86_400), unit.d];
  return `${value} ${name}`;
}

/** How long ago something was signed: "3 h ago", or "in 3 h" for a time still to come. */
export function ageText(seconds: number, lang: Lang): string {
  const words = MESSAGES[lang].freshness;
  return Math.round(seconds) >= 0 ? words.ago(durationText(seconds, lang)) : words.ahead(durationText(seconds, lang));
}
