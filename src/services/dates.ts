/** Strict RFC 3339 date-time parsing for request fields: a bad date names its field. */
import { ElicenceError } from '../core/errors.js';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, truncated to whole seconds (credentials carry whole seconds). */
export function parseDateTime(value: unknown, field: string): number {
  if (typeof value !== 'string') throw new ElicenceError('ERR_INVALID_DATE', 'must be an RFC 3339 date-time string', { field });
  const match = DATE_TIME.exec(value);
  if (!match) throw new ElicenceError('ERR_INVALID_DATE', `"${value.slice(0, 40)}" is not an RFC 3339 date-time such as 2026-01-01T00:00:00Z`, { field });
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const ms = Date.parse(value);
  // Date.parse accepts 2026-02-30; the calendar check below does not.
  const calendar = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (Number.isNaN(ms) || calendar.getUTCMonth() !== mo! - 1 || calendar.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) {
    throw new ElicenceError('ERR_INVALID_DATE', `"${value}" is not a real date-time`, { field });
  }
  return Math.floor(ms / 1000) * 1000;
}
