/**
 * The printable licence card: one self-contained HTML page (UTF-8, zh-CN, no script, inline style
 * only) with the type's bilingual name, every subject field under its bilingual label, validity,
 * issuer, status and the licence QR as inline SVG at a size that scans from arm's length.
 * A licence that is not in force (revoked, suspended, expired, not yet valid) says so in a red banner
 * and a watermark across the sheet, so a printout never passes for a valid one.
 * A revoked licence says which legal act it was (吊销, 撤销, 注销, 已换发), in the words of the one
 * catalogue the verifier's front ends use (verifier/messages.ts `reason`). Dates are China dates: the
 * first day (validFrom) and the last valid day (validUntil minus one second), or 长期 without expiry.
 * The licence identifier (证照标识, GB/T 36904) is the first row of the table.
 * Every value is escaped here; the caller passes raw data.
 */

import { MESSAGES } from '../../verifier/messages.js';
import { credentialIdOf } from '../core/credential.js';
import { type CalendarDate, chinaDate as chinaCalendarDate, formatDate, formatDateZh, lastValidChinaDate, parseDate } from '../core/dates.js';
import { fromBase64url, fromUtf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { fieldLabel, type LicenceTypeDefinition } from '../core/licence-types.js';
import { encodeLicenceQr } from '../core/qr/index.js';
import { canonicalRevocationReason, UNSPECIFIED_REASON } from '../core/status-reasons.js';
import { isRecord } from '../core/strict-json.js';
import { requireAuthority } from '../services/authorities.js';
import type { LicenceRow } from '../services/issuance.js';
import { type EffectiveStatus, effectiveStatus } from '../services/licences.js';
import { type CardFormat, cardCss } from './card.css.js';
import type { Services } from './env.js';
import { escapeHtml } from './html.js';
import { type QrMatrix, qrMatrix, qrSvg } from './qr-image.js';

export type { CardFormat } from './card.css.js';

export interface CardInput {
  licenceId: string;
  credentialId: string;
  /** The type's definition when the register has it; undefined falls back to field names. */
  type: LicenceTypeDefinition | undefined;
  typeCode: string;
  /** `credentialSubject` of the signed credential (its `id` is `urn:uscc:<credit code>`). */
  subject: Record<string, unknown>;
  status: EffectiveStatus;
  statusReason: string | null;
  supersedes: string | null;
  supersededBy: string | null;
  validFrom: number;
  /** Null: no expiry, printed 长期. */
  validUntil: number | null;
  issuedAt: number;
  /** The licence identifier the credential carries; null for a licence issued before identifiers. */
  licenceIdentifier: string | null;
  authority: { nameZh: string; nameEn: string; did: string };
  qr: QrMatrix;
  /** Quiet zone the QR is drawn with, modules. */
  qrMargin: number;
  format: CardFormat;
  /** Render time (ms): the status shown is as of this moment. */
  now: number;
}

/**
 * Printed QR size (quiet zone included), mm. A4 aims at 0.6 mm per module, which a phone camera
 * resolves from about 50-60 cm, kept within 45-80 mm; the wall card aims at 0.5 mm within 38-50 mm.
 * Version 15 at level M (77 modules + 2 x 4 quiet) prints at 51 mm on A4 and 42.5 mm on the card; version 16
 * (a business licence with its licence identifier, 81 + 8 modules) at 53.4 mm and 44.5 mm.
 */
export function printedQrMillimetres(qr: QrMatrix, margin: number, format: CardFormat): number {
  const modules = qr.size + 2 * margin;
  const [perModule, min, max] = format === 'a4' ? [0.6, 45, 80] : [0.5, 38, 50];
  return Math.round(Math.min(max, Math.max(min, modules * perModule)) * 10) / 10;
}

const dateTexts = (date: CalendarDate) => ({ zh: formatDateZh(date), iso: formatDate(date) });

/** Calendar date in China (UTC+8): { zh: "2026年3月15日", iso: "2026-03-15" }. */
export function chinaDate(ms: number): { zh: string; iso: string } {
  return dateTexts(chinaCalendarDate(ms));
}

/** A calendar date (a field of JSON Schema `format: date`, or a China date of an instant), shown as the date it names. */
const calendarDateHtml = (date: CalendarDate) => {
  const text = dateTexts(date);
  return `<time datetime="${text.iso}">${text.zh}</time> <span class="iso">${text.iso}</span>`;
};

/** An instant, shown as its date in China. */
const dateHtml = (ms: number) => calendarDateHtml(chinaCalendarDate(ms));

const STATUS_TEXT: Record<EffectiveStatus | 'notYetValid', { zh: string; en: string; detailZh: string; detailEn: string }> = {
  active: { zh: '有效', en: 'Valid', detailZh: '', detailEn: '' },
  suspended: { zh: '已暂停', en: 'SUSPENDED', detailZh: '暂停期间本证照不得作为有效证照使用。', detailEn: 'This licence may not be relied on while suspended.' },
  revoked: { zh: '已撤销', en: 'REVOKED', detailZh: '本证照已撤销，不再有效。', detailEn: 'This licence has been revoked and is no longer valid.' },
  expired: { zh: '已过期', en: 'EXPIRED', detailZh: '本证照已超过有效期限。', detailEn: 'This licence is past its validity period.' },
  notYetValid: { zh: '尚未生效', en: 'NOT YET VALID', detailZh: '本证照尚未到生效日期。', detailEn: 'This licence is not in force yet.' },
};

/** Grounds of a suspension, as the authority recorded them (people are shown the one reason code `suspended` elsewhere). */
const SUSPENSION_GROUND_TEXT: Record<string, string> = {
  investigation: '立案调查 Under investigation',
  non_compliance: '不符合许可条件 Non-compliance',
  holder_request: '持证者申请 At the holder’s request',
  other: '其他 Other',
};

/** The reason code of a revoked licence's stored reason (aliases mapped), or `unspecified`. */
const revokedReason = (statusReason: string | null) => canonicalRevocationReason(statusReason) ?? UNSPECIFIED_REASON;

const CREDIT_CODE_URN = 'urn:uscc:';

interface FieldRow {
  key: string;
  label: { zh: string; en: string };
  value: unknown;
}

/** Subject fields in the schema's order (creditCode from the subject id), then any the schema lacks. */
function fieldRows(input: CardInput): FieldRow[] {
  const subject = input.subject;
  const definition = input.type;
  const subjectId = typeof subject['id'] === 'string' ? subject['id'] : '';
  const fieldValue = (key: string) => (key === 'creditCode' && subjectId.startsWith(CREDIT_CODE_URN) ? subjectId.slice(CREDIT_CODE_URN.length) : subject[key]);
  const keys = Object.keys(definition?.schema.properties ?? {});
  if (!keys.includes('creditCode')) keys.unshift('creditCode');
  for (const key of Object.keys(subject)) if (key !== 'id' && !keys.includes(key)) keys.push(key);
  return keys.map((key) => ({ key, label: fieldLabel(definition, key), value: fieldValue(key) })).filter((row) => row.value !== undefined && row.value !== null);
}

function valueHtml(row: FieldRow, definition: LicenceTypeDefinition | undefined): string {
  const { value } = row;
  const date = definition?.schema.properties[row.key]?.['format'] === 'date' ? parseDate(value) : undefined;
  if (date) return calendarDateHtml(date);
  if (Array.isArray(value)) return value.map((item) => escapeHtml(typeof item === 'string' ? item : JSON.stringify(item))).join('、');
  return escapeHtml(typeof value === 'string' ? value : JSON.stringify(value));
}

const textLength = (value: unknown) => (typeof value === 'string' ? value.length : Array.isArray(value) ? value.join('、').length : 0);

const labelHtml = (label: { zh: string; en: string }) => (label.zh === label.en ? escapeHtml(label.zh) : `${escapeHtml(label.zh)}<span class="en">${escapeHtml(label.en)}</span>`);

/** The banner words of a state: a revoked licence is titled by its legal act (已吊销, 已撤销, 已注销, 已换发). */
function stateWords(input: CardInput, state: EffectiveStatus | 'notYetValid'): { zh: string; en: string } {
  const text = STATUS_TEXT[state];
  return state === 'revoked' ? { zh: MESSAGES.zh.reason[revokedReason(input.statusReason)].title, en: text.en } : { zh: text.zh, en: text.en };
}

function statusBlock(input: CardInput, state: EffectiveStatus | 'notYetValid'): string {
  const text = STATUS_TEXT[state];
  const words = stateWords(input, state);
  const asOf = chinaDate(input.now);
  if (state === 'active') {
    return `<p class="status ok" role="status"><span class="zh">${text.zh}</span> ${text.en} · 状态截至 ${asOf.zh}（as of ${asOf.iso}），以扫码核验为准 · scan to check</p>`;
  }
  const lines: string[] = [];
  if (state === 'revoked') {
    const reason = revokedReason(input.statusReason);
    lines.push(`${escapeHtml(MESSAGES.zh.reason[reason].detail)} ${escapeHtml(MESSAGES.en.reason[reason].detail)}`);
    lines.push(`原因 Reason：${escapeHtml(MESSAGES.zh.reason[reason].title)} ${escapeHtml(MESSAGES.en.reason[reason].title)}`);
  } else {
    lines.push(`${text.detailZh} ${text.detailEn}`);
    if (state === 'suspended' && input.statusReason) lines.push(`原因 Reason：${escapeHtml(SUSPENSION_GROUND_TEXT[input.statusReason] ?? input.statusReason)}`);
  }
  if (input.supersededBy) lines.push(`换发证照 Replaced by ${escapeHtml(input.supersededBy)}`);
  lines.push(`状态截至 ${asOf.zh}（${asOf.iso}） status as of this date`);
  return `<div class="status void" role="alert"><span class="zh">${words.zh}</span> ${words.en}${lines.map((line) => `<span class="line">${line}</span>`).join('')}</div>`;
}

/** The whole card page. */
export function renderLicenceCard(input: CardInput): string {
  const definition = input.type;
  const typeName = input.type?.name ?? { zh: input.typeCode, en: input.typeCode };
  const state: EffectiveStatus | 'notYetValid' = input.status === 'active' && input.validFrom > input.now ? 'notYetValid' : input.status;
  const inForce = state === 'active';
  const qrMm = printedQrMillimetres(input.qr, input.qrMargin, input.format);

  const rows = fieldRows(input)
    .map((row) => {
      const cls =
        row.key === 'creditCode' || row.key === 'licenceNumber'
          ? ' class="code"'
          : textLength(row.value) > 160
            ? ' class="vlong"'
            : textLength(row.value) > 60
              ? ' class="long"'
              : '';
      return `<tr><th scope="row">${labelHtml(row.label)}</th><td${cls}>${valueHtml(row, definition)}</td></tr>`;
    })
    .join('');
  // The last valid day: validUntil is exclusive (00:00 CST of the day after, for a date-only input).
  const until = input.validUntil === null ? '长期 <span class="iso">no expiry</span>' : calendarDateHtml(lastValidChinaDate(input.validUntil));
  const validity = `<tr><th scope="row">有效期限<span class="en">Validity period</span></th><td>自 ${dateHtml(input.validFrom)}<br>至 ${until}</td></tr>`;
  const identifier =
    input.licenceIdentifier === null
      ? ''
      : `<tr class="licence-identifier"><th scope="row">证照标识<span class="en">Licence identifier</span></th><td class="code">${escapeHtml(input.licenceIdentifier)}</td></tr>`;
  const qr = qrSvg(input.qr, { margin: input.qrMargin, size: `${qrMm}mm`, title: `${typeName.zh} ${typeName.en} 二维码 QR code` });
  const stateText = stateWords(input, state);
  const title = `${typeName.zh} ${typeName.en}${inForce ? '' : ` (${stateText.zh} ${stateText.en})`} · ${input.licenceId}`;
  const supersedes = input.supersedes ? `<div><b>变更前证照<span class="en">Supersedes</span></b>${escapeHtml(input.supersedes)}</div>` : '';

  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${cardCss(input.format, qrMm)}</style></head>
<body class="${input.format}${inForce ? '' : ' not-in-force'}">
<main class="sheet">
${inForce ? '' : `<div class="void-mark" aria-hidden="true">${stateText.zh} ${stateText.en}</div>`}
<header class="head"><h1>${escapeHtml(typeName.zh)}</h1><p class="en">${escapeHtml(typeName.en)}</p><p class="idline">${escapeHtml(input.credentialId)}</p></header>
${statusBlock(input, state)}
<div class="layout">
<table class="fields"><tbody>${identifier}${rows}${validity}</tbody></table>
<figure class="qr">${qr}<figcaption>扫码离线核验 Scan to verify offline<br>QR ${input.qr.version}-${input.qr.level} · ${qrMm} mm</figcaption></figure>
<footer class="meta">
<div><b>发证机关<span class="en">Issuing authority</span></b>${escapeHtml(input.authority.nameZh)}<span class="en">${escapeHtml(input.authority.nameEn)}</span><span class="did">${escapeHtml(input.authority.did)}</span></div>
<div><b>发证日期<span class="en">Issued</span></b>${dateHtml(input.issuedAt)}</div>
<div><b>电子证照 ID<span class="en">Licence ID</span></b><span class="did">${escapeHtml(input.licenceId)}</span></div>
${supersedes}
</footer>
</div>
</main>
</body></html>
`;
}

function credentialSubjectOf(jws: string): Record<string, unknown> {
  const payload = fromBase64url(jws.split('.')[1] ?? '');
  const credential = payload && (JSON.parse(fromUtf8(payload)) as { credentialSubject?: unknown });
  const subject = credential?.credentialSubject;
  if (!isRecord(subject)) throw new ElicenceError('ERR_INTERNAL', 'stored credential has no credentialSubject');
  return subject;
}

/** The card page of a stored licence as of now (the API's /card and the console's print both use it). */
export async function licenceCardHtml(services: Services, row: LicenceRow, format: CardFormat): Promise<string> {
  const now = services.clock.now();
  const [type, authority] = await Promise.all([services.registry.find(row.type), requireAuthority(services.store.db, row.authorityId)]);
  return renderLicenceCard({
    licenceId: row.id,
    credentialId: credentialIdOf(row.id),
    type,
    typeCode: row.type,
    subject: credentialSubjectOf(row.jws),
    status: effectiveStatus(row, now),
    statusReason: row.statusReason,
    supersedes: row.supersedes,
    supersededBy: row.supersededBy,
    validFrom: row.validFrom,
    validUntil: row.validUntil,
    issuedAt: row.issuedAt,
    licenceIdentifier: row.licenceIdentifier,
    authority: { nameZh: authority.nameZh, nameEn: authority.nameEn, did: authority.did },
    qr: qrMatrix(encodeLicenceQr(row.jws), 'M'),
    qrMargin: 4,
    format,
    now,
  });
}
