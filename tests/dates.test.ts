/**
 * The one date module (src/core/dates.ts): strict XML Schema dateTime with a zone, whole-second UTC
 * output, calendar dates. Impossible dates are refused, never rolled over into the next month.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  calendarDate,
  calendarDateAt,
  chinaDate,
  chinaDayAfter,
  chinaDayStart,
  formatDate,
  formatDateTime,
  formatDateZh,
  formatTimestamp,
  lastValidChinaDate,
  parseDate,
  parseDateTimeField,
  parseDateTimeMs,
  parseValidityField,
} from '../src/core/dates.js';

const MAX_MS = 8.64e15;

describe('parseDateTimeMs', () => {
  it('reads a dateTime with Z or an offset', () => {
    expect(parseDateTimeMs('2026-06-01T00:00:00Z')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeMs('2026-06-01T08:00:00+08:00')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeMs('2026-05-31T18:30:00-05:30')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeMs('2026-06-01T00:00:00-00:00')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeMs('2026-06-01T14:00:00+14:00')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeMs('2026-05-31T12:00:00-12:00')).toBe(Date.UTC(2026, 5, 1));
  });

  it('refuses impossible dates and times instead of rolling them over', () => {
    for (const text of [
      '2027-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-06-00T00:00:00Z',
      '2026-06-32T00:00:00Z',
      '2026-06-01T24:00:00Z',
      '2026-06-01T25:00:00Z',
      '2026-06-01T23:60:00Z',
      '2026-06-01T23:59:60Z',
      '2026-06-01T00:00:00+14:01',
      '2026-06-01T00:00:00+15:00',
      '2026-06-01T00:00:00+08:60',
    ]) {
      expect(parseDateTimeMs(text), text).toBeUndefined();
    }
  });

  it('knows leap days: 2028-02-29 and 2000-02-29 yes, 2027-02-29 and 2100-02-29 no', () => {
    expect(parseDateTimeMs('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(parseDateTimeMs('2000-02-29T12:00:00Z')).toBe(Date.UTC(2000, 1, 29, 12));
    expect(parseDateTimeMs('2027-02-29T00:00:00Z')).toBeUndefined();
    expect(parseDateTimeMs('2100-02-29T00:00:00Z')).toBeUndefined();
  });

  it('needs a zone, seconds, a four-digit year and the T separator', () => {
    for (const text of [
      '2026-06-01T00:00:00',
      '2026-06-01T00:00Z',
      '2026-06-01 00:00:00Z',
      '2026-06-01t00:00:00Z',
      '2026-06-01T00:00:00z',
      '2026-06-01',
      '226-06-01T00:00:00Z',
      '26-06-01T00:00:00Z',
      '02026-06-01T00:00:00Z',
      '+2026-06-01T00:00:00Z',
      '-0000-06-01T00:00:00Z',
      '2026-6-1T00:00:00Z',
      '2026-06-01T00:00:00.Z',
      '2026-06-01T00:00:00+0800',
      '2026-06-01T00:00:00+08',
      ' 2026-06-01T00:00:00Z',
      '2026-06-01T00:00:00Z\n',
      '',
    ]) {
      expect(parseDateTimeMs(text), JSON.stringify(text)).toBeUndefined();
    }
    for (const value of [undefined, null, 0, Date.UTC(2026, 5, 1), new Date(), {}, ['2026-06-01T00:00:00Z']]) expect(parseDateTimeMs(value)).toBeUndefined();
  });

  it('reads fractional seconds to the millisecond (further digits dropped)', () => {
    expect(parseDateTimeMs('2026-06-01T00:00:00.5Z')).toBe(Date.UTC(2026, 5, 1) + 500);
    expect(parseDateTimeMs('2026-06-01T00:00:00.999Z')).toBe(Date.UTC(2026, 5, 1) + 999);
    expect(parseDateTimeMs('2026-06-01T00:00:00.123456789Z')).toBe(Date.UTC(2026, 5, 1) + 123);
  });

  it('reads years past 9999 and before 1970, up to the limits of a Date', () => {
    expect(parseDateTimeMs('12026-01-01T00:00:00Z')).toBe(new Date('+012026-01-01T00:00:00Z').getTime());
    expect(parseDateTimeMs('275760-09-13T00:00:00Z')).toBe(MAX_MS);
    expect(parseDateTimeMs('275760-09-13T00:00:01Z')).toBeUndefined();
    expect(parseDateTimeMs('275760-09-13T01:00:00+01:00')).toBe(MAX_MS);
    expect(parseDateTimeMs('999999-01-01T00:00:00Z')).toBeUndefined();
    expect(parseDateTimeMs('1969-12-31T23:59:59Z')).toBe(-1000);
    expect(parseDateTimeMs('0000-01-01T00:00:00Z')).toBe(new Date('0000-01-01T00:00:00Z').getTime());
    expect(parseDateTimeMs('0004-02-29T00:00:00Z')).toBe(new Date('0004-02-29T00:00:00Z').getTime());
    expect(parseDateTimeMs('-0001-01-01T00:00:00Z')).toBe(new Date('-000001-01-01T00:00:00Z').getTime());
  });

  it('agrees with Date.parse on every real four-digit-year dateTime (property)', () => {
    const zone = fc.oneof(
      fc.constant('Z'),
      fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 59 })).map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`),
    );
    const fields = fc.record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      second: fc.integer({ min: 0, max: 59 }),
      fraction: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
      zone,
    });
    fc.assert(
      fc.property(fields, (f) => {
        const text = `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}${f.fraction === undefined ? '' : `.${pad(f.fraction, 3)}`}${f.zone}`;
        const real = calendarDate(f.year, f.month, f.day) !== undefined;
        expect(parseDateTimeMs(text)).toBe(real ? Date.parse(text) : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatDateTime', () => {
  it('writes UTC, whole seconds, truncating any fraction', () => {
    expect(formatDateTime(Date.UTC(2026, 5, 1))).toBe('2026-06-01T00:00:00Z');
    expect(formatDateTime(Date.UTC(2026, 5, 1) + 999)).toBe('2026-06-01T00:00:00Z');
    expect(formatDateTime(parseDateTimeMs('2026-06-01T07:59:59.999+08:00')!)).toBe('2026-05-31T23:59:59Z');
    expect(formatDateTime(-1)).toBe('1969-12-31T23:59:59Z');
    expect(formatDateTime(0)).toBe('1970-01-01T00:00:00Z');
  });

  it('writes years past 9999 with more digits, and before year 1 with a sign; both read back', () => {
    expect(formatDateTime(new Date('+012026-01-01T00:00:00.700Z').getTime())).toBe('12026-01-01T00:00:00Z');
    expect(formatDateTime(MAX_MS)).toBe('275760-09-13T00:00:00Z');
    expect(formatDateTime(new Date('-000001-06-01T00:00:00Z').getTime())).toBe('-0001-06-01T00:00:00Z');
    for (const text of ['12026-01-01T00:00:00Z', '275760-09-13T00:00:00Z', '-0001-06-01T00:00:00Z', '0000-01-01T00:00:00Z']) {
      expect(formatDateTime(parseDateTimeMs(text)!)).toBe(text);
    }
  });

  it('refuses a time no Date holds', () => {
    expect(() => formatDateTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatDateTime(MAX_MS + 1000)).toThrow(RangeError);
  });

  it('round-trips: parse(format(ms)) is ms truncated to the second (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_MS, max: MAX_MS }), (ms) => {
        expect(parseDateTimeMs(formatDateTime(ms))).toBe(Math.floor(ms / 1000) * 1000);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseDateTimeField', () => {
  it('returns whole seconds', () => {
    expect(parseDateTimeField('2026-06-01T00:00:00.999Z', 'validFrom')).toBe(Date.UTC(2026, 5, 1));
    expect(parseDateTimeField('2026-06-01T08:00:00+08:00', 'validFrom')).toBe(Date.UTC(2026, 5, 1));
  });

  it('throws ERR_INVALID_DATE naming the field', () => {
    const expectInvalid = (value: unknown, message: RegExp) =>
      expect(() => parseDateTimeField(value, 'validUntil')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_DATE', field: 'validUntil', message: expect.stringMatching(message) }),
      );
    expectInvalid(42, /string/);
    expectInvalid('yesterday', /is not an RFC 3339 date-time/);
    expectInvalid('2027-02-30T00:00:00Z', /is not a real date-time/);
    expectInvalid('2026-06-01T24:00:00Z', /is not a real date-time/);
  });
});

describe('calendar dates', () => {
  it('parses YYYY-MM-DD real dates only', () => {
    expect(parseDate('2028-02-29')).toEqual({ year: 2028, month: 2, day: 29 });
    expect(parseDate('2020-05-18')).toEqual({ year: 2020, month: 5, day: 18 });
    for (const text of ['2027-02-29', '2026-13-01', '2026-04-31', '2026-6-1', '20260601', '2026-06-01T00:00:00Z', '226-06-01', '']) {
      expect(parseDate(text), text).toBeUndefined();
    }
    expect(parseDate(20_260_601)).toBeUndefined();
  });

  it('checks numbers and formats with four-digit years', () => {
    expect(calendarDate(2027, 2, 29)).toBeUndefined();
    expect(calendarDate(2026, 1.5, 1)).toBeUndefined();
    expect(formatDate(calendarDate(33, 1, 2)!)).toBe('0033-01-02');
  });

  it('finds the calendar date of an instant at an offset (China, +08:00)', () => {
    expect(calendarDateAt(Date.parse('2026-03-14T16:00:00Z'), 480)).toEqual({ year: 2026, month: 3, day: 15 });
    expect(calendarDateAt(Date.parse('2026-03-14T15:59:59Z'), 480)).toEqual({ year: 2026, month: 3, day: 14 });
    expect(calendarDateAt(Date.parse('2026-03-14T15:59:59Z'))).toEqual({ year: 2026, month: 3, day: 14 });
  });
});

describe('formatTimestamp', () => {
  it('keeps milliseconds, as the HTTP API shows instants', () => {
    expect(formatTimestamp(Date.UTC(2026, 5, 1) + 7)).toBe('2026-06-01T00:00:00.007Z');
  });
});

describe('China dates: one clock for people (UTC+8)', () => {
  const ms = (iso: string) => Date.parse(iso);
  const day = (date: { year: number; month: number; day: number }) => formatDate(date);

  it('a date alone: validFrom 00:00 CST of the first day, validUntil 00:00 CST of the day after the last day', () => {
    expect(formatDateTime(chinaDayStart('2031-11-29'))).toBe('2031-11-28T16:00:00Z');
    expect(formatDateTime(chinaDayAfter('2031-11-29'))).toBe('2031-11-29T16:00:00Z');
    expect(formatDateTime(parseValidityField('2031-11-29', 'validUntil', 'until'))).toBe('2031-11-29T16:00:00Z');
    expect(formatDateTime(parseValidityField('2026-06-01', 'validFrom', 'from'))).toBe('2026-05-31T16:00:00Z');
    // Across a month, a year and a leap day.
    expect(formatDateTime(chinaDayAfter('2031-12-31'))).toBe('2031-12-31T16:00:00Z');
    expect(formatDateTime(chinaDayAfter({ year: 2028, month: 2, day: 28 }))).toBe('2028-02-28T16:00:00Z');
    expect(day(lastValidChinaDate(chinaDayAfter('2028-02-29')))).toBe('2028-02-29');
  });

  it('the boundary around midnight in China: 15:59:59Z is still the last day, 16:00:00Z the next', () => {
    expect(day(chinaDate(ms('2031-11-29T15:59:59Z')))).toBe('2031-11-29');
    expect(day(chinaDate(ms('2031-11-29T16:00:00Z')))).toBe('2031-11-30');
    expect(day(chinaDate(ms('2031-11-28T16:00:00Z')))).toBe('2031-11-29');
    expect(day(chinaDate(ms('2031-11-28T15:59:59Z')))).toBe('2031-11-28');
    // The last valid day is the date of validUntil minus one second.
    expect(day(lastValidChinaDate(ms('2031-11-29T16:00:00Z')))).toBe('2031-11-29');
    expect(day(lastValidChinaDate(ms('2031-11-29T16:00:01Z')))).toBe('2031-11-30');
    expect(day(lastValidChinaDate(ms('2031-11-30T00:00:00Z')))).toBe('2031-11-30');
    expect(formatDateZh({ year: 2031, month: 11, day: 29 })).toBe('2031年11月29日');
  });

  it('round trip: the last day given is the last day shown, for any date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1971, max: 9998 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }), (year, month, d) => {
        const date = calendarDate(year, month, d);
        if (!date) return;
        expect(lastValidChinaDate(chinaDayAfter(date))).toEqual(date);
        expect(chinaDate(chinaDayStart(date))).toEqual(date);
        expect(chinaDayAfter(date) - chinaDayStart(date)).toBe(86_400_000);
      }),
    );
  });

  it('a validity field: a date-time as given, a bad date refused naming the field', () => {
    expect(parseValidityField('2031-11-29T16:00:00Z', 'validUntil', 'until')).toBe(ms('2031-11-29T16:00:00Z'));
    expect(parseValidityField('2031-11-30T00:00:00+08:00', 'validUntil', 'until')).toBe(ms('2031-11-29T16:00:00Z'));
    expect(() => parseValidityField('2031-02-30', 'validUntil', 'until')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_DATE', field: 'validUntil' }));
    expect(() => parseValidityField('2031/11/29', 'items[3].validFrom', 'from')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_DATE', field: 'items[3].validFrom' }));
    expect(() => parseValidityField(20311129, 'validFrom', 'from')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_DATE' }));
  });
});

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
