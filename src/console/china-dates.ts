/**
 * Dates as a clerk in China reads and types them (China Standard Time, UTC+8), as YYYY-MM-DD text for
 * the pages: thin wrappers over the core's China-date conventions (src/core/dates.ts), so the console,
 * the card, the verifiers and the API mean the same day.
 */
import { CHINA_OFFSET_MINUTES, chinaDate as chinaCalendarDate, chinaDayAfter, chinaDayStart, formatDate, formatDateTime, lastValidChinaDate, parseDate } from '../core/dates.js';

/** What a clerk types (and reads) for a licence without expiry, as the import takes it: 有效期 长期. */
export const LONG_TERM = '长期';

/** The CST date an instant falls on, YYYY-MM-DD. */
export const chinaDate = (ms: number): string => formatDate(chinaCalendarDate(ms));

/** The CST date and time of an instant: YYYY-MM-DD HH:MM. */
export function chinaDateTime(ms: number): string {
  const time = formatDateTime(ms + CHINA_OFFSET_MINUTES * 60_000).slice(11, 16);
  return `${chinaDate(ms)} ${time}`;
}

/** The last valid day of a licence: the CST date of validUntil minus one second. */
export const lastValidDay = (validUntilMs: number | null): string => (validUntilMs === null ? LONG_TERM : formatDate(lastValidChinaDate(validUntilMs)));

/** 00:00 CST of a YYYY-MM-DD date, as an RFC 3339 date-time; undefined for anything but a real date. */
export function startOfChinaDay(text: string): string | undefined {
  return parseDate(text) ? formatDateTime(chinaDayStart(text)) : undefined;
}

/** The instant a licence whose last valid day is `text` ends (00:00 CST of the next day), RFC 3339. */
export function endOfLastValidDay(text: string): string | undefined {
  return parseDate(text) ? formatDateTime(chinaDayAfter(text)) : undefined;
}

/** 00:00 CST of a date as epoch milliseconds (for "issued between" filters); undefined if not a date. */
export function chinaDayStartMs(text: string): number | undefined {
  return parseDate(text) ? chinaDayStart(text) : undefined;
}
