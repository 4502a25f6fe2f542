/**
 * The one date module. Instants are XML Schema dateTime *with a zone* (VC 2.0 `validFrom`/`validUntil`,
 * trust lists, bundles, request fields), read strictly: a real calendar date, hours 00-23 (no 24:00),
 * minutes and seconds 00-59, a zone of `Z` or ±hh:mm up to ±14:00, a year of at least four digits
 * (longer ones without a leading zero, up to what a JS Date holds). Credentials write them back in one
 * form, UTC and whole seconds: 2026-06-01T00:00:00Z. Also calendar dates (YYYY-MM-DD) and the HTTP
 * API's millisecond timestamps. Pure: no clock, no locale.
 */
import { ElicenceError } from './errors.js';

const DATE_TIME = /^(-?)(\d{4}|[1-9]\d{4,5})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** The largest distance from the epoch a JS Date holds (ECMA-262 §21.4.1.22). */
const MAX_EPOCH_MS = 8.64e15;
const DAY_MS = 86_400_000;

/** A day of the proleptic Gregorian calendar; `month` and `day` count from 1. */
export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The date when year, month and day name a real one (2028-02-29 yes, 2027-02-29 no), else undefined. */
export function calendarDate(year: number, month: number, day: number): CalendarDate | undefined {
  if (!Number.isSafeInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** Days from 1970-01-01 to a date (negative before it); exact for every year (H. Hinnant's days_from_civil). */
function daysFromEpoch({ year, month, day }: CalendarDate): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `'shape'` when the text is not a dateTime with a zone at all, `'impossible'` when it names no real instant. */
function readDateTime(value: string): number | 'shape' | 'impossible' {
  const match = DATE_TIME.exec(value);
  if (!match) return 'shape';
  const [, sign, y, mo, d, h, mi, s, fraction, zoneSign, zh, zm] = match;
  if (sign === '-' && Number(y) === 0) return 'impossible'; // -0000 is not a year
  const date = calendarDate(Number(`${sign}${y}`), Number(mo), Number(d));
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (!date || hour > 23 || minute > 59 || second > 59) return 'impossible';
  let offsetMinutes = 0;
  if (zoneSign !== undefined) {
    const [offsetHours, offsetMins] = [Number(zh), Number(zm)];
    if (offsetMins > 59 || offsetHours * 60 + offsetMins > 14 * 60) return 'impossible';
    offsetMinutes = (zoneSign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // Digits beyond the millisecond are dropped (truncated, as a whole-second writer would).
  const millis = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  const ms = daysFromEpoch(date) * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return Math.abs(ms) <= MAX_EPOCH_MS ? ms : 'impossible';
}

/** Epoch milliseconds of an XML Schema dateTime with a zone, or undefined for anything else. */
export function parseDateTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = readDateTime(value);
  return typeof ms === 'number' ? ms : undefined;
}

/**
 * The same parse for a request or command-line field: ERR_INVALID_DATE naming `field` when it fails,
 * else epoch milliseconds truncated to whole seconds (credentials carry whole seconds).
 */
export function parseDateTimeField(value: unknown, field: string): number {
  if (typeof value !== 'string') throw new ElicenceError('ERR_INVALID_DATE', 'must be an RFC 3339 date-time string', { field });
  const ms = readDateTime(value);
  if (ms === 'shape') throw new ElicenceError('ERR_INVALID_DATE', `"${value.slice(0, 40)}" is not an RFC 3339 date-time such as 2026-01-01T00:00:00Z`, { field });
  if (ms === 'impossible') throw new ElicenceError('ERR_INVALID_DATE', `"${value.slice(0, 40)}" is not a real date-time`, { field });
  return Math.floor(ms / 1000) * 1000;
}

/** The calendar date an instant falls on at a fixed UTC offset (minutes east; China is +480). */
export function calendarDateAt(ms: number, offsetMinutes = 0): CalendarDate {
  const date = new Date(ms + offsetMinutes * 60_000);
  if (Number.isNaN(date.getTime())) throw new RangeError(`no calendar date for ${ms} ms`);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

function formatYear(year: number): string {
  return year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
}

/**
 * Whole-second UTC dateTime, as every credential of this project writes it: 2026-06-01T00:00:00Z.
 * Fractions are truncated; years past 9999 get more digits (12026-01-01T00:00:00Z), which
 * parseDateTimeMs reads back. RangeError when `ms` is not a time a Date holds.
 */
export function formatDateTime(ms: number): string {
  const date = new Date(Math.floor(ms / 1000) * 1000);
  if (Number.isNaN(date.getTime())) throw new RangeError(`${ms} is not a representable time`);
  const day = `${formatYear(date.getUTCFullYear())}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${day}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`;
}

/**
 * An instant as the HTTP API and the import report show it: UTC with milliseconds
 * (2026-06-01T00:00:00.000Z, `Date.prototype.toISOString`). Not for credentials: see formatDateTime.
 */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** A calendar date written YYYY-MM-DD (a real date of a four-digit year), or undefined. */
export function parseDate(value: unknown): CalendarDate | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DATE.exec(value);
  return match ? calendarDate(Number(match[1]), Number(match[2]), Number(match[3])) : undefined;
}

/** YYYY-MM-DD. */
export function formatDate(date: CalendarDate): string {
  return `${formatYear(date.year)}-${pad(date.month)}-${pad(date.day)}`;
}

/** China Standard Time, UTC+8 all year (no daylight saving since 1991), in minutes east of UTC. */
export const CHINA_OFFSET_MINUTES = 480;

/**
 * The date people in China read for an instant: its calendar date in China Standard Time. Licences
 * are shown to people this way (the card, the verifier's front ends, the import report); machine
 * formats keep the UTC instant.
 */
export function chinaDate(ms: number): CalendarDate {
  return calendarDateAt(ms, CHINA_OFFSET_MINUTES);
}

/**
 * The last day a licence is valid, as people read it: the China date of `validUntil` minus one second
 * (`validUntil` is exclusive and, for a date-only input, 00:00 CST of the day after the last day).
 * 2031-11-29T16:00:00Z -> 2031-11-29.
 */
export function lastValidChinaDate(validUntilMs: number): CalendarDate {
  return chinaDate(validUntilMs - 1000);
}

const asCalendarDate = (date: CalendarDate | string): CalendarDate => {
  const parsed = typeof date === 'string' ? parseDate(date) : calendarDate(date.year, date.month, date.day);
  if (!parsed) throw new RangeError(`${typeof date === 'string' ? date : JSON.stringify(date)} is not a calendar date`);
  return parsed;
};

/** 00:00 China Standard Time of a date, epoch ms: 2031-11-29 -> 2031-11-28T16:00:00Z. */
export function chinaDayStart(date: CalendarDate | string): number {
  return daysFromEpoch(asCalendarDate(date)) * DAY_MS - CHINA_OFFSET_MINUTES * 60_000;
}

/** 00:00 China Standard Time of the day after a date, epoch ms: the exclusive end of a last valid day. 2031-11-29 -> 2031-11-29T16:00:00Z. */
export function chinaDayAfter(date: CalendarDate | string): number {
  return chinaDayStart(date) + DAY_MS;
}

/** A date as Chinese text: 2031年11月29日. */
export function formatDateZh(date: CalendarDate): string {
  return `${date.year}年${date.month}月${date.day}日`;
}

/**
 * A licence's validity bound from a request or a register: an RFC 3339 date-time (kept as given, whole
 * seconds), or a date alone (YYYY-MM-DD), read as a China date: `validFrom` 00:00 CST of that day,
 * `validUntil` 00:00 CST of the day after it (the date is the last valid day). ERR_INVALID_DATE naming
 * `field` otherwise. Epoch milliseconds.
 */
export function parseValidityField(value: unknown, field: string, bound: 'from' | 'until'): number {
  if (typeof value === 'string' && DATE.test(value)) {
    const date = parseDate(value);
    if (!date) throw new ElicenceError('ERR_INVALID_DATE', `"${value}" is not a real calendar date`, { field });
    return bound === 'from' ? chinaDayStart(date) : chinaDayAfter(date);
  }
  if (typeof value === 'string' && readDateTime(value) === 'shape') {
    throw new ElicenceError('ERR_INVALID_DATE', `"${value.slice(0, 40)}" is neither a date (2031-11-29, a China date) nor an RFC 3339 date-time such as 2026-01-01T00:00:00Z`, {
      field,
    });
  }
  return parseDateTimeField(value, field);
}
