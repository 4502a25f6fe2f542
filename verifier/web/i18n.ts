/**
 * Chinese and English texts of the inspectors' app that only the app says (buttons, sync, anchors);
 * what it says about a verdict, its checks, the licence's fields and data freshness comes from the
 * verifier's catalogue (verifier/messages.ts), shared with the command line. The language is a
 * per-device choice kept in localStorage (defaulting to the browser's language).
 */
import type { Lang } from '../index.js';

export type { Lang } from '../index.js';

const zh = {
  title: '电子证照核验',
  subtitle: '离线核验营业执照、食品经营许可证',
  switchLang: 'English',
  scan: '扫码',
  pickImage: '选择图片 / 截图',
  paste: '粘贴二维码文本',
  verify: '核验',
  pastePlaceholder: '粘贴 EL1: 或 EL2: 开头的二维码文本或 JWS',
  sync: '同步',
  syncing: '同步中…',
  syncedOk: '已同步',
  syncNotModified: '已是最新',
  syncFailed: '同步失败（离线？）已保留之前的数据。',
  neverSynced: '尚未同步：请联网后点击“同步”，下载信任列表和状态列表。',
  lastSync: '上次同步',
  anchorsTitle: '确认信任锚公钥',
  anchorsIntro: '首次同步：请将下列指纹与主管部门正式公布的信任锚指纹逐一核对。只有核对一致才能确认；之后只信任这些公钥。',
  anchorsNew: '服务器提供了尚未固定的信任锚公钥。核对官方公布的指纹后才可添加：',
  anchorsConfirm: '指纹一致，确认信任',
  anchorsCancel: '取消',
  anchorsPinned: '已固定的信任锚公钥',
  anchorsBuiltIn: '（随应用发布，不可更改）',
  anchorsForget: '清除已固定的公钥',
  settings: '设置与数据',
  provinceOnly: '仅同步本省发证机关的状态数据',
  provinceOnlyHint: '适用于不出省的检查人员：数据更少；外省证照将显示“未同步（仅本省模式）”。',
  cameraStop: '停止',
  cameraUnavailable: '无法打开摄像头，请改用“选择图片”或粘贴文本。',
  noQrFound: '图片中未识别到二维码，请重试或换一张更清晰的图片。',
  decoding: '识别中…',
  again: '继续核验',
  showChecks: '查看核验明细',
  hideChecks: '收起核验明细',
  noDetails: '未能用受信任的公钥核验签名，因此不显示证照内容（可能是伪造的）。',
  to: '至',
  longTerm: '长期',
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
  pastePlaceholder: 'Paste QR text starting with EL1: or EL2:, or a JWS',
  sync: 'Sync',
  syncing: 'Syncing…',
  syncedOk: 'Synced',
  syncNotModified: 'Already up to date',
  syncFailed: 'Sync failed (offline?). The previous data is kept.',
  neverSynced: 'Not synced yet: connect and tap "Sync" to download the trust and status lists.',
  lastSync: 'Last sync',
  anchorsTitle: 'Confirm the trust anchor keys',
  anchorsIntro:
    'First sync: compare each fingerprint below with the one your authority published officially. Confirm only if they match; from then on only these keys are trusted.',
  anchorsNew: 'The server offers trust anchor keys that are not pinned. Add them only after comparing with the official fingerprints:',
  anchorsConfirm: 'Fingerprints match: trust them',
  anchorsCancel: 'Cancel',
  anchorsPinned: 'Pinned trust anchor keys',
  anchorsBuiltIn: '(built into this app, fixed)',
  anchorsForget: 'Forget pinned keys',
  settings: 'Settings and data',
  provinceOnly: "Sync only this province's authorities' status data",
  provinceOnlyHint: 'For inspectors who stay in the province: less data; a licence from another province says it was not synced (province-only mode).',
  cameraStop: 'Stop',
  cameraUnavailable: 'The camera cannot be opened: pick an image or paste the text instead.',
  noQrFound: 'No QR code found in the image: try again or use a sharper picture.',
  decoding: 'Reading…',
  again: 'Verify another',
  showChecks: 'Show the checks',
  hideChecks: 'Hide the checks',
  noDetails: 'The signature could not be verified with a trusted key, so no licence content is shown (it may be forged).',
  to: 'to',
  longTerm: 'no expiry (long-term)',
  needSync: 'No trust data yet: sync while online first.',
  verifyTime: 'took',
};

export const TEXTS: Record<Lang, Texts> = { zh, en };

const PROVINCES: Record<string, [string, string]> = {
  '11': ['北京市', 'Beijing'],
  '12': ['天津市', 'Tianjin'],
  '13': ['河北省', 'Hebei'],
  '14': ['山西省', 'Shanxi'],
  '15': ['内蒙古自治区', 'Inner Mongolia'],
  '21': ['辽宁省', 'Liaoning'],
  '22': ['吉林省', 'Jilin'],
  '23': ['黑龙江省', 'Heilongjiang'],
  '31': ['上海市', 'Shanghai'],
  '32': ['江苏省', 'Jiangsu'],
  '33': ['浙江省', 'Zhejiang'],
  '34': ['安徽省', 'Anhui'],
  '35': ['福建省', 'Fujian'],
  '36': ['江西省', 'Jiangxi'],
  '37': ['山东省', 'Shandong'],
  '41': ['河南省', 'Henan'],
  '42': ['湖北省', 'Hubei'],
  '43': ['湖南省', 'Hunan'],
  '44': ['广东省', 'Guangdong'],
  '45': ['广西壮族自治区', 'Guangxi'],
  '46': ['海南省', 'Hainan'],
  '50': ['重庆市', 'Chongqing'],
  '51': ['四川省', 'Sichuan'],
  '52': ['贵州省', 'Guizhou'],
  '53': ['云南省', 'Yunnan'],
  '54': ['西藏自治区', 'Tibet'],
  '61': ['陕西省', 'Shaanxi'],
  '62': ['甘肃省', 'Gansu'],
  '63': ['青海省', 'Qinghai'],
  '64': ['宁夏回族自治区', 'Ningxia'],
  '65': ['新疆维吾尔自治区', 'Xinjiang'],
  '71': ['台湾省', 'Taiwan'],
  '81': ['香港特别行政区', 'Hong Kong'],
  '82': ['澳门特别行政区', 'Macao'],
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
