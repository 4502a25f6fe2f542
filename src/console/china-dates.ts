/**
 * Dates as a clerk in China reads and types them (China Standard Time, UTC+8, no daylight saving).
 * A licence valid "from 2026-06-01" starts at 00:00 CST that day; "until 2031-05-31" (the last valid
 * day) ends at 00:00 CST of the next day, so its `validUntil` instant minus one second falls on the last
 * valid day.
 *
 * LOCAL HELPER: the legal-status work adds these conventions to src/core/dates.ts; when merged, switch
 * the imports of this file to it (same meaning) and delete this file.
 */
import { type CalendarDate, calendarDateAt, formatDate, parseDate } from '../core/dates.js';

export const CHINA_OFFSET_MINUTES = 8 * 60;
const DAY_MS = 86_400_000;
const OFFSET_MS = CHINA_OFFSET_MINUTES * 60_000;

/** The CST date an instant falls on, YYYY-MM-DD. */
export const chinaDate = (ms: number): string => formatDate(calendarDateAt(ms, CHINA_OFFSET_MINUTES));

/** The CST date and time of an instant: YYYY-MM-DD HH:MM. */
export function chinaDateTime(ms: number): string {
  const d = new Date(ms + OFFSET_MS);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${chinaDate(ms)} ${hh}:${mm}`;
}

/** The last valid day of a licence: the CST date of validUntil minus one second. */
export const lastValidDay = (validUntilMs: number): string => chinaDate(validUntilMs - 1000);

function utcMidnight(date: CalendarDate): number {
  return Date.UTC(date.year, date.month - 1, date.day);
}

/** 00:00 CST of a YYYY-MM-DD date, as an RFC 3339 date-time; undefined for anything but a real date. */
export function startOfChinaDay(text: string): string | undefined {
  const date = parseDate(text);
  return date ? `${formatDate(date)}T00:00:00+08:00` : undefined;
}

/** The instant a licence whose last valid day is `text` ends (00:00 CST of the next day), RFC 3339. */
export function endOfLastValidDay(text: string): string | undefined {
  const date = parseDate(text);
  if (!date) return undefined;
  const next = calendarDateAt(utcMidnight(date) + DAY_MS, 0);
  return `${formatDate(next)}T00:00:00+08:00`;
}

/** 00:00 CST of a date as epoch milliseconds (for "issued between" filters); undefined if not a date. */
export function chinaDayStartMs(text: string): number | undefined {
  const date = parseDate(text);
  return date ? utcMidnight(date) - OFFSET_MS : undefined;
}
