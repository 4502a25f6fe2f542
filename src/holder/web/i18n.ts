/**
 * Chinese (default) and English texts of the holder app. The language is a per-device choice kept in
 * localStorage; Chinese unless the person switches.
 */
export type Lang = 'zh' | 'en';
export type Status = 'active' | 'suspended' | 'revoked' | 'expired' | 'notYetValid';

const zh = {
  title: '我的电子证照',
  switchLang: 'English',
  signInTitle: '打开证照',
  signInIntro: '请打开发证机关给您的链接，或输入领证通知书上的持证码。',
  codeLabel: '持证码',
  open: '打开',
  opening: '正在打开…',
  codeRefused: '持证码无效或已更换。请使用发证机关最新给您的链接或通知书。',
  rateLimited: '尝试次数过多，请稍后再试。',
  sessionEnded: '本设备的登录已结束（持证码可能已更换）。请打开新的链接。',
  switchBusiness: (authority: string, creditCode: string) =>
    `此链接打开的是另一家企业的证照（${authority}，统一社会信用代码 ${creditCode}）。继续将从本设备删除当前企业的全部证照数据和本机密钥。是否继续？`,
  switchDeclined: '未切换：此链接属于另一家企业，本设备仍显示原企业的证照。',
  offlineNoData: '当前离线，本设备上还没有证照数据。请联网后再打开链接。',
  licencesTitle: '我的证照',
  refresh: '刷新',
  refreshing: '正在核实…',
  signOut: '退出本设备',
  none: '暂无证照',
  checkedAgo: (age: string) => `状态核实于${age}`,
  offlineAgo: (age: string) => `离线：显示的是${age}核实的状态，当前状态可能已变化`,
  refreshFailed: (age: string) => `无法连接服务器：显示的是${age}核实的状态`,
  identifier: '证照标识',
  validity: '有效期限',
  validityText: (from: string, until: string | null) => `${from} 至 ${until ?? '长期'}`,
  checkCode: '校验码',
  show: '出示证照',
  downloadPng: '下载二维码（PNG）',
  downloadSvg: '下载二维码（SVG）',
  card: '下载证照（可打印，另存为 PDF）',
  cardA4: 'A4',
  cardA5: 'A5',
  cardWall: '悬挂卡',
  history: '变更记录',
  replacedBy: '已换发为新证照',
  close: '关闭',
  brightness: '请调高屏幕亮度，让检查人员扫码核验。',
  qrAlt: (identifier: string, check: string) => `证照二维码。证照标识 ${identifier}，校验码 ${check}`,
  qrText: (identifier: string, check: string) => `证照标识 ${identifier} · 校验码 ${check}`,
  downloadFailed: '下载失败（离线？）',
  status: { active: '有效', suspended: '已暂停', revoked: '已撤销', expired: '已过期', notYetValid: '尚未生效' } as Record<Status, string>,
  actions: {
    'licence.issued': '发证',
    'licence.amended': '变更',
    'licence.superseded': '被新证照替代',
    'licence.suspended': '暂停',
    'licence.reinstated': '恢复',
    'licence.revoked': '撤销',
  } as Record<string, string>,
  devicesTitle: '本机出示动态码',
  registerDevice: '启用本机出示动态码',
  deviceNone: '本机尚未启用：出示时只能显示静态码。',
  deviceReady: '本机已启用：出示证照时显示动态码（每 30 秒更新，由本机密钥签名）。',
  deviceLimit: '已有 5 台设备（管理员）：请先移除一台。',
  deviceFailed: '启用失败，请联网后重试。',
  thisDevice: '本机',
  deviceItem: (id: string, since: string) => `设备 ${id.slice(0, 8)} · 启用于 ${since}`,
  remove: '移除',
  revoke: '撤销授权',
  agentsTitle: '授权代办人',
  agentLicence: '证照',
  agentName: '代办人姓名',
  agentId: '身份证号（打码，如 3301**********1234）',
  agentMatters: '授权事项代码（逗号分隔；留空为全部事项）',
  agentUntil: '授权截止日（最长一年，不超过证照有效期）',
  agentInvite: '生成授权链接',
  agentLinkLabel: '请在代办人本人手机上打开此链接（仅可使用一次，72 小时内有效）',
  agentItem: (name: string, matters: string, until: string, status: string) => `${name} · ${matters} · 至 ${until} · ${status}`,
  allMatters: '全部事项',
  agentFailed: (message: string) => `授权失败：${message}`,
  agentModeTitle: '代办人授权',
  agentModeIntro: '企业授权您代为办理的事项。出示时显示动态码，每 30 秒更新。',
  agentAccepted: '已接受授权。',
  agentLinkGone: '授权链接无效：可能已使用、已撤销或已过期。',
  agentNone: '本机暂无授权。请打开企业给您的授权链接。',
  agentShow: '出示授权',
  agentStatus: { active: '有效', revoked: '已撤销', expired: '已过期' } as Record<string, string>,
  live: (time: string) => `动态码 · 本机签名于 ${time} · 每 30 秒更新`,
  liveText: (identifier: string, time: string) => `动态码：证照标识 ${identifier}，本机签名于 ${time}`,
  staticNote: '静态码：只能证明证照存在，不能证明出示人。启用本机出示动态码后可出示动态码。',
  liveAlt: (identifier: string) => `动态证照二维码，每 30 秒更新。证照标识 ${identifier}`,
  justNow: '刚刚',
  minutesAgo: (n: number) => `${n} 分钟前`,
  hoursAgo: (n: number) => `${n} 小时前`,
  daysAgo: (n: number) => `${n} 天前`,
};

export type Texts = typeof zh;

const en: Texts = {
  title: 'My e-licences',
  switchLang: '中文',
  signInTitle: 'Open your licences',
  signInIntro: 'Open the link the issuing authority gave you, or type the holder code from your notice.',
  codeLabel: 'Holder code',
  open: 'Open',
  opening: 'Opening…',
  codeRefused: 'This holder code is not valid or has been replaced. Use the newest link or notice from the authority.',
  rateLimited: 'Too many attempts; try again later.',
  sessionEnded: 'This device was signed out (the holder code may have been replaced). Open the new link.',
  switchBusiness: (authority: string, creditCode: string) =>
    `This link opens another business's licences (${authority}, credit code ${creditCode}). Continuing removes every licence and this phone's key of the current business from this device. Continue?`,
  switchDeclined: 'Not switched: this link is for another business; this device still shows the current one.',
  offlineNoData: 'Offline, and no licence data on this device yet. Open the link again when online.',
  licencesTitle: 'My licences',
  refresh: 'Refresh',
  refreshing: 'Checking…',
  signOut: 'Sign out this device',
  none: 'No licences',
  checkedAgo: (age: string) => `Status checked ${age}`,
  offlineAgo: (age: string) => `Offline: status as last checked ${age}; it may have changed since`,
  refreshFailed: (age: string) => `Cannot reach the server: status as last checked ${age}`,
  identifier: 'Licence identifier',
  validity: 'Validity',
  validityText: (from: string, until: string | null) => `${from} to ${until ?? 'no expiry (长期)'}`,
  checkCode: 'Check code',
  show: 'Show licence',
  downloadPng: 'Download QR (PNG)',
  downloadSvg: 'Download QR (SVG)',
  card: 'Download card (print, or save as PDF)',
  cardA4: 'A4',
  cardA5: 'A5',
  cardWall: 'Wall card',
  history: 'History',
  replacedBy: 'Replaced by a new licence',
  close: 'Close',
  brightness: 'Turn the screen brightness up so the inspector can scan it.',
  qrAlt: (identifier: string, check: string) => `Licence QR code. Licence identifier ${identifier}, check code ${check}`,
  qrText: (identifier: string, check: string) => `Licence identifier ${identifier} · check code ${check}`,
  downloadFailed: 'Download failed (offline?)',
  status: { active: 'Valid', suspended: 'Suspended', revoked: 'Revoked', expired: 'Expired', notYetValid: 'Not yet valid' },
  actions: {
    'licence.issued': 'Issued',
    'licence.amended': 'Amended',
    'licence.superseded': 'Replaced by a new licence',
    'licence.suspended': 'Suspended',
    'licence.reinstated': 'Reinstated',
    'licence.revoked': 'Revoked',
  },
  devicesTitle: 'Live QR on this phone',
  registerDevice: 'Use this phone for live QR',
  deviceNone: 'This phone is not set up: showing a licence gives the static QR only.',
  deviceReady: 'This phone is set up: showing a licence gives a live QR (changes every 30 s, signed by this phone).',
  deviceLimit: 'There are already 5 devices (administrators): remove one first.',
  deviceFailed: 'Could not set up this phone; try again online.',
  thisDevice: 'this phone',
  deviceItem: (id: string, since: string) => `Device ${id.slice(0, 8)} · since ${since}`,
  remove: 'Remove',
  revoke: 'Revoke',
  agentsTitle: 'Authorised agents',
  agentLicence: 'Licence',
  agentName: "Agent's name",
  agentId: 'ID number, masked (e.g. 3301**********1234)',
  agentMatters: 'Matter codes (comma separated; empty: all matters)',
  agentUntil: 'Last day (at most one year, never beyond the licence)',
  agentInvite: 'Create the agent link',
  agentLinkLabel: "Open this link on the agent's own phone (once, within 72 hours)",
  agentItem: (name: string, matters: string, until: string, status: string) => `${name} · ${matters} · until ${until} · ${status}`,
  allMatters: 'all matters',
  agentFailed: (message: string) => `Could not authorise: ${message}`,
  agentModeTitle: 'Agent authorisations',
  agentModeIntro: 'Matters a business authorised you to handle for it. Shown as a live QR that changes every 30 s.',
  agentAccepted: 'Authorisation accepted.',
  agentLinkGone: 'This link does not work: it may have been used, revoked or have expired.',
  agentNone: 'No authorisation on this phone yet. Open the link the business gave you.',
  agentShow: 'Show authorisation',
  agentStatus: { active: 'active', revoked: 'revoked', expired: 'expired' } as Record<string, string>,
  live: (time: string) => `Live QR · signed by this phone at ${time} · changes every 30 s`,
  liveText: (identifier: string, time: string) => `Live QR: licence identifier ${identifier}, signed by this phone at ${time}`,
  staticNote: 'Static QR: it proves the licence exists, not who shows it. Set this phone up for live QR to show a live one.',
  liveAlt: (identifier: string) => `Live licence QR code, changes every 30 s. Licence identifier ${identifier}`,
  justNow: 'just now',
  minutesAgo: (n: number) => `${n} min ago`,
  hoursAgo: (n: number) => `${n} h ago`,
  daysAgo: (n: number) => `${n} days ago`,
};

export const TEXTS: Record<Lang, Texts> = { zh, en };

const LANG_KEY = 'elicence-holder-lang';

export function initialLang(): Lang {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // private mode: the choice lasts this visit
  }
}

/** How long ago, in words ("3 分钟前", "2 h ago"). */
export function ageText(ms: number, lang: Lang): string {
  const t = TEXTS[lang];
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return t.justNow;
  if (minutes < 60) return t.minutesAgo(minutes);
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t.hoursAgo(hours);
  return t.daysAgo(Math.floor(hours / 24));
}
