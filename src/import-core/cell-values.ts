/**
 * Turning raw cells into licence values: calendar dates in the forms registers use (2020-05-18,
 * 2020/5/18, 2020.5.18, 2020年5月18日, 20200518, full-width digits, XLSX date cells), validity
 * instants (a date alone is a China date: `validFrom` 00:00 China Standard Time, +08:00, of that day;
 * `validUntil` the last valid day, so 00:00 CST of the day after; an RFC 3339 date-time is kept as
 * given; 长期 in the validUntil column: no expiry), and lists split on 、 ; ； ， , or line breaks.
 */
import { CHINA_OFFSET_MINUTES, calendarDate, calendarDateAt, chinaDayAfter, formatDate, parseDateTimeField } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import type { CellValue } from './table.js';

/** The offset a date-only validity value is read in: China Standard Time. */
export const DATE_ONLY_OFFSET = '+08:00';

const DATE_FORMS = [/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/u, /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/u, /^(\d{4})(\d{2})(\d{2})$/u];
const LIST_SEPARATORS = /[、;；，,\r\n]+/u;

export const isBlankCell = (value: CellValue | undefined): boolean =>
  value === undefined || value === null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0);

/** A cell as trimmed text (XLSX dates as YYYY-MM-DD, numbers as written). */
export function cellText(value: CellValue): string {
  if (value instanceof Date) return isoDateOf(value);
  if (Array.isArray(value)) return value.map(String).join('、');
  return String(value).trim();
}

/** YYYY-MM-DD for a date cell; ERR_INVALID_DATE naming the field otherwise. */
export function parseCalendarDate(value: CellValue, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ElicenceError('ERR_INVALID_DATE', 'the spreadsheet cell holds an invalid date', { field });
    return isoDateOf(value);
  }
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.normalize('NFKC').trim().replace(/\s+/gu, '') : '';
  for (const form of DATE_FORMS) {
    const match = form.exec(text);
    if (!match) continue;
    const date = calendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
    if (!date) throw new ElicenceError('ERR_INVALID_DATE', `"${text}" is not a real calendar date`, { field });
    return formatDate(date);
  }
  throw new ElicenceError('ERR_INVALID_DATE', `"${String(value).slice(0, 40)}" is not a date (expected e.g. 2020-05-18, 2020/5/18 or 2020年5月18日)`, { field });
}

/**
 * An RFC 3339 instant for a validity cell, and its milliseconds. A date alone is a China date: for
 * `validFrom` 00:00 CST of that day, for `validUntil` 00:00 CST of the day after (the date printed on
 * a paper licence is its last valid day): 有效期至 2031年11月29日 -> 2031-11-30T00:00:00+08:00.
 */
export function parseValidityInstant(value: CellValue, field: string, hint = ''): { text: string; ms: number } {
  if (typeof value === 'string' && /\d[Tt ]\d/u.test(value.trim()) && /(Z|[+-]\d{2}:\d{2})$/u.test(value.trim())) {
    const text = value.trim().replace(/^(\S+) /u, '$1T');
    return { text, ms: parseDateTimeField(text, field) };
  }
  // XLSX date cells hold the calendar date at UTC midnight: the date is what counts, read in CST.
  let date: string;
  try {
    date = parseCalendarDate(value, field);
  } catch (error) {
    if (hint && error instanceof ElicenceError) throw new ElicenceError(error.code, `${error.message}${hint}`, { field });
    throw error;
  }
  const day = field === 'validUntil' ? formatDate(calendarDateAt(chinaDayAfter(date), CHINA_OFFSET_MINUTES)) : date;
  const text = `${day}T00:00:00${DATE_ONLY_OFFSET}`;
  return { text, ms: parseDateTimeField(text, field) };
}

/** What a validUntil cell says for a licence without expiry (有效期：长期); such a licence's credential has no validUntil. */
export const LONG_TERM_CELL = '长期';

/** A validUntil cell saying the licence does not expire: exactly 长期 (spaces aside). */
export function isLongTermCell(value: CellValue): boolean {
  return typeof value === 'string' && value.normalize('NFKC').replace(/\s+/gu, '') === LONG_TERM_CELL;
}

export function splitList(value: CellValue): string[] {
  const parts = Array.isArray(value) ? value.map((v) => String(v)) : cellText(value).split(LIST_SEPARATORS);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The UTC calendar date of a spreadsheet date cell (XLSX stores the date at UTC midnight). */
function isoDateOf(date: Date): string {
  return Number.isNaN(date.getTime()) ? String(date) : formatDate(calendarDateAt(date.getTime()));
}
