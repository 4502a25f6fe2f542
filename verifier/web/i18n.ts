/**
 * Chinese and English texts of the inspectors' app. Every visible string lives here; the language is
 * a per-device choice kept in localStorage (defaulting to the browser's language).
 */
import type { CheckName, Verdict } from '../index.js';

export type Lang = 'zh' | 'en';

const zh = {
  title: '电子证照核验',
  subtitle: '离线核验营业执照、食品经营许可证',
  switchLang: 'English',
  scan: '扫码',
  pickImage: '选择图片 / 截图',
  paste: '粘贴二维码文本',
  verify: '核验',
  pastePlaceholder: '粘贴 EL1: 开头的二维码文本或 JWS',
  sync: '同步',
  syncing: '同步中…',
  syncedOk: '已同步',
  syncNotModified: '已是最新',
  syncFailed: '同步失败（离线？）已保留之前的数据。',
  neverSynced: '尚未同步：请联网后点击“同步”，下载信任列表和状态列表。',
  trustData: '信任列表',
  statusData: '状态列表',
  lastSync: '上次同步',
  ago: '前',
  expired: '已过期',
  tooOld: '已超过允许时长，请联网同步',
  inGrace: '已过有效期，处于宽限期内，请尽快同步',
  none: '无',
  anchorsTitle: '确认信任锚公钥',
  anchorsIntro: '首次同步：请将下列指纹与主管部门正式公布的信任锚指纹逐一核对。只有核对一致才能确认；之后只信任这些公钥。',
  anchorsNew: '服务器提供了尚未固定的信任锚公钥。核对官方公布的指纹后才可添加：',
  anchorsConfirm: '指纹一致，确认信任',
  anchorsCancel: '取消',
  anchorsPinned: '已固定的信任锚公钥',
  anchorsBuiltIn: '（随应用发布，不可更改）',
  anchorsForget: '清除已固定的公钥',
  settings: '设置与数据',
  cameraStop: '停止',
  cameraUnavailable: '无法打开摄像头，请改用“选择图片”或粘贴文本。',
  noQrFound: '图片中未识别到二维码，请重试或换一张更清晰的图片。',
  decoding: '识别中…',
  again: '继续核验',
  showChecks: '查看核验明细',
  hideChecks: '收起核验明细',
  holder: '持证主体',
  creditCode: '统一社会信用代码',
  licenceType: '证照类型',
  scope: '经营范围 / 项目',
  validity: '有效期',
  issuer: '发证机关',
  jurisdiction: '所在地区',
  issuedAt: '签发时间',
  licenceId: '证照编号',
  noDetails: '未能用受信任的公钥核验签名，因此不显示证照内容（可能是伪造的）。',
  to: '至',
  checkResult: { ok: '通过', fail: '未通过', skip: '未检查' },
  needSync: '尚无信任数据：请先联网同步。',
  verifyTime: '用时',
};

type Texts = typeof zh;

const en: Texts = {
  title: 'e-Licence Verifier',
  subtitle: 'Offline check of business and food business licences',
  switchLang: '中文',
  scan: 'Scan',
  pickImage: 'Photo / screenshot',
  paste: 'Paste QR text',
  verify: 'Verify',
  pastePlaceholder: 'Paste QR text starting with EL1: or a JWS',
  sync: 'Sync',
  syncing: 'Syncing…',
  syncedOk: 'Synced',
  syncNotModified: 'Already up to date',
  syncFailed: 'Sync failed (offline?). The previous data is kept.',
  neverSynced: 'Not synced yet: connect and tap "Sync" to download the trust and status lists.',
  trustData: 'Trust list',
  statusData: 'Status lists',
  lastSync: 'Last sync',
  ago: 'ago',
  expired: 'expired',
  tooOld: 'older than allowed: sync when online',
  inGrace: 'past its expiry, in the grace period: sync soon',
  none: 'none',
  anchorsTitle: 'Confirm the trust anchor keys',
  anchorsIntro: 'First sync: compare each fingerprint below with the one your authority published officially. Confirm only if they match; from then on only these keys are trusted.',
  anchorsNew: 'The server offers trust anchor keys that are not pinned. Add them only after comparing with the official fingerprints:',
  anchorsConfirm: 'Fingerprints match: trust them',
  anchorsCancel: 'Cancel',
  anchorsPinned: 'Pinned trust anchor keys',
  anchorsBuiltIn: '(built into this app, fixed)',
  anchorsForget: 'Forget pinned keys',
  settings: 'Settings and data',
  cameraStop: 'Stop',
  cameraUnavailable: 'The camera cannot be opened: pick an image or paste the text instead.',
  noQrFound: 'No QR code found in the image: try again or use a sharper picture.',
  decoding: 'Reading…',
  again: 'Verify another',
  showChecks: 'Show the checks',
  hideChecks: 'Hide the checks',
  holder: 'Holder',
  creditCode: 'Unified social credit code',
  licenceType: 'Licence type',
  scope: 'Business scope / items',
  validity: 'Valid',
  issuer: 'Issuing authority',
  jurisdiction: 'Region',
  issuedAt: 'Issued',
  licenceId: 'Licence id',
  noDetails: 'The signature could not be verified with a trusted key, so no licence content is shown (it may be forged).',
  to: 'to',
  checkResult: { ok: 'passed', fail: 'failed', skip: 'not checked' },
  needSync: 'No trust data yet: sync while online first.',
  verifyTime: 'took',
};

export const TEXTS: Record<Lang, Texts> = { zh, en };

export const VERDICT_TEXT: Record<Lang, Record<Verdict, string>> = {
  zh: {
    VALID: '有效',
    REVOKED: '已吊销',
    INVALID: '无效（伪造或损坏）',
    UNTRUSTED_ISSUER: '发证机关不受信任',
    EXPIRED: '已过期',
    SUSPENDED: '已暂停',
    STATUS_UNKNOWN: '状态未知',
    NOT_YET_VALID: '尚未生效',
  },
  en: {
    VALID: 'VALID',
    REVOKED: 'REVOKED',
    INVALID: 'INVALID',
    UNTRUSTED_ISSUER: 'UNTRUSTED ISSUER',
    EXPIRED: 'EXPIRED',
    SUSPENDED: 'SUSPENDED',
    STATUS_UNKNOWN: 'STATUS UNKNOWN',
    NOT_YET_VALID: 'NOT YET VALID',
  },
};

/** One sentence per verdict, for when no more specific reason applies. */
export const VERDICT_REASON: Record<Lang, Record<Verdict, string>> = {
  zh: {
    VALID: '签名、发证机关和状态均已核验，证照当前有效。',
    REVOKED: '发证机关已吊销此证照，不得继续使用。',
    INVALID: '二维码内容被篡改、损坏或不是电子证照。',
    UNTRUSTED_ISSUER: '发证机关不在信任列表中，或已被撤销信任。',
    EXPIRED: '证照已超过有效期。',
    SUSPENDED: '证照已被发证机关暂停，暂不可使用。',
    STATUS_UNKNOWN: '签名与发证机关无误，但缺少最新的状态数据，无法确认是否被吊销或暂停。请联网同步。',
    NOT_YET_VALID: '证照尚未到生效日期。',
  },
  en: {
    VALID: 'Signature, issuer and status all check out: the licence is valid now.',
    REVOKED: 'The issuing authority has revoked this licence: it must not be used.',
    INVALID: 'The QR content was tampered with, damaged, or is not an e-licence.',
    UNTRUSTED_ISSUER: 'The issuing authority is not on the trust list, or is no longer trusted.',
    EXPIRED: 'The licence is past its validity period.',
    SUSPENDED: 'The issuing authority has suspended this licence for now.',
    STATUS_UNKNOWN: 'Signature and issuer are fine, but recent status data is missing, so revocation or suspension cannot be ruled out. Sync when online.',
    NOT_YET_VALID: 'The licence is not valid yet (its start date is in the future).',
  },
};

/** Plain words for the codes an inspector is most likely to meet (others fall back to the verdict's). */
export const CODE_REASON: Record<Lang, Partial<Record<string, string>>> = {
  zh: {
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
  },
  en: {
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
  },
};

export const CHECK_LABEL: Record<Lang, Record<CheckName, string>> = {
  zh: {
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
  },
  en: {
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
  },
};

const PROVINCES: Record<string, [string, string]> = {
  '11': ['北京市', 'Beijing'], '12': ['天津市', 'Tianjin'], '13': ['河北省', 'Hebei'], '14': ['山西省', 'Shanxi'],
  '15': ['内蒙古自治区', 'Inner Mongolia'], '21': ['辽宁省', 'Liaoning'], '22': ['吉林省', 'Jilin'], '23': ['黑龙江省', 'Heilongjiang'],
  '31': ['上海市', 'Shanghai'], '32': ['江苏省', 'Jiangsu'], '33': ['浙江省', 'Zhejiang'], '34': ['安徽省', 'Anhui'],
  '35': ['福建省', 'Fujian'], '36': ['江西省', 'Jiangxi'], '37': ['山东省', 'Shandong'], '41': ['河南省', 'Henan'],
  '42': ['湖北省', 'Hubei'], '43': ['湖南省', 'Hunan'], '44': ['广东省', 'Guangdong'], '45': ['广西壮族自治区', 'Guangxi'],
  '46': ['海南省', 'Hainan'], '50': ['重庆市', 'Chongqing'], '51': ['四川省', 'Sichuan'], '52': ['贵州省', 'Guizhou'],
  '53': ['云南省', 'Yunnan'], '54': ['西藏自治区', 'Tibet'], '61': ['陕西省', 'Shaanxi'], '62': ['甘肃省', 'Gansu'],
  '63': ['青海省', 'Qinghai'], '64': ['宁夏回族自治区', 'Ningxia'], '65': ['新疆维吾尔自治区', 'Xinjiang'],
  '71': ['台湾省', 'Taiwan'], '81': ['香港特别行政区', 'Hong Kong'], '82': ['澳门特别行政区', 'Macao'],
};

/**
 * A GB/T 2260 code in words. The full table changes yearly and is not embedded (docs/trust-list.md),
 * so the province is named and the code shown; the city itself is in the authority's listed name.
 */
export function jurisdictionText(code: string | undefined, lang: Lang): string {
  if (!code) return '';
  const province = PROVINCES[code.slice(0, 2)];
  return province ? `${province[lang === 'zh' ? 0 : 1]} · ${code}` : code;
}

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('elicence.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    // Storage can be disabled; fall through to the browser's language.
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem('elicence.lang', lang);
  } catch {
    // Not persisted: the choice still holds for this page.
  }
}

/** "3 h", "2 d" in the chosen language. */
export function durationText(seconds: number, lang: Lang): string {
  const s = Math.max(0, Math.round(seconds));
  const [value, unitZh, unitEn] =
    s < 90 ? [s, '秒', 's'] : s < 5400 ? [Math.round(s / 60), '分钟', 'min'] : s < 172_800 ? [Math.round(s / 3600), '小时', 'h'] : [Math.round(s / 86_400), '天', 'd'];
  return lang === 'zh' ? `${value} ${unitZh}` : `${value} ${unitEn}`;
}
