/**
 * What the import page says, in Chinese and English. The server renders the static parts; the page's
 * script gets `script` (with {placeholders}) as JSON in the page, since it reports as it works.
 */
import type { Lang } from './i18n.js';

const zh = {
  nav: '批量导入',
  title: '批量导入登记簿',
  intro: '选择登记簿文件（CSV 或 XLSX，中文或英文表头，规则与命令行导入相同）。先检查每一行，确认后再开始发证。同一文件再次选择即可续传：已发证的行会被识别，不会重复发证。',
  noScript: '导入需要浏览器启用 JavaScript：文件在本机读取和检查，不上传原文件。',
  type: '证照类型',
  file: '登记簿文件（CSV 或 XLSX）',
  fileHint: 'CSV 可为 UTF-8 或 GBK/GB18030 编码；XLSX 读取第一个工作表，第一行为表头。',
  check: '检查（试运行）',
  reportTitle: '检查结果',
  colRow: '行号',
  colColumn: '列',
  colField: '字段',
  colCode: '代码',
  colMessage: '原因',
  start: '开始导入',
  stop: '停止',
  progress: '导入进度',
  downloads: '下载',
  downloadResults: '下载结果 CSV',
  downloadRefused: '下载未通过的行 CSV',
  noTypes: '您的账号没有可办理的证照类型。',
  script: {
    reading: '正在读取 {file} …',
    summary: '{file}：共 {rows} 行，{good} 行可以发证，{bad} 行未通过检查。',
    nothingToSend: '没有可以发证的行。',
    columns: '表头无法对应到证照字段：',
    failed: '无法导入：{message}',
    sending: '已处理 {done} / {total} 行：本次新发证 {new} 行，此前已发证 {already} 行，被服务拒绝 {refused} 行。',
    finished: '导入完成：{issued} 行已有电子证照（本次新发证 {new} 行，此前已发证 {already} 行），{refused} 行未发证。',
    stopped: '已停止：{issued} 行已有电子证照。再次选择同一文件即可继续。',
    signedOut: '登录已过期，请重新登录后再次选择同一文件继续。',
  },
};

export type ImportMessages = typeof zh;

const en: ImportMessages = {
  nav: 'Import',
  title: 'Import a register',
  intro:
    'Choose a register file (CSV or XLSX, Chinese or English headers, the same rules as the command-line import). Every row is checked first; nothing is issued until you start. Choosing the same file again resumes: rows already issued are recognised and not issued twice.',
  noScript: 'Importing needs JavaScript: the file is read and checked on this computer; it is not uploaded as such.',
  type: 'Licence type',
  file: 'Register file (CSV or XLSX)',
  fileHint: 'CSV in UTF-8 or GBK/GB18030; for XLSX the first worksheet, with the header in its first row.',
  check: 'Check (dry run)',
  reportTitle: 'Check results',
  colRow: 'Row',
  colColumn: 'Column',
  colField: 'Field',
  colCode: 'Code',
  colMessage: 'Reason',
  start: 'Start import',
  stop: 'Stop',
  progress: 'Import progress',
  downloads: 'Downloads',
  downloadResults: 'Download results CSV',
  downloadRefused: 'Download refused rows CSV',
  noTypes: 'Your account handles no licence type.',
  script: {
    reading: 'Reading {file} …',
    summary: '{file}: {rows} rows, {good} accepted, {bad} refused.',
    nothingToSend: 'No row can be issued.',
    columns: 'The header does not map to the licence fields:',
    failed: 'Cannot import: {message}',
    sending: '{done} of {total} rows done: {new} issued now, {already} issued before, {refused} refused by the service.',
    finished: 'Import finished: {issued} rows have their e-licence ({new} issued now, {already} issued before); {refused} rows not issued.',
    stopped: 'Stopped: {issued} rows have their e-licence. Choose the same file again to go on.',
    signedOut: 'Your session has ended: sign in again and choose the same file to go on.',
  },
};

export const IMPORT_MESSAGES: Record<Lang, ImportMessages> = { zh, en };
