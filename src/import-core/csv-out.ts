/**
 * The two files an import writes, as UTF-8 CSV with a BOM (so Excel shows Chinese text as it is): the
 * report of rows that fail, and the results mapping each row to its licence id and QR text. A text cell
 * that starts with = + - @, a tab or a carriage return is written with a leading ' (OWASP's advice
 * against CSV injection), so a register cell like `=cmd|' /C calc'!A0` is shown as text by a
 * spreadsheet, never run as a formula. Runtime-neutral: the command line writes these lines to files,
 * the console's import page offers them as downloads.
 */
import { chinaDate, formatDate, lastValidChinaDate, parseDateTimeMs } from '../core/dates.js';
import type { RowProblem } from './prepare-rows.js';

export const BOM = '\uFEFF';
/** What a register says for a licence without expiry (有效期：长期). */
export const LONG_TERM = '长期';

const FORMULA_START = /^[=+\-@\t\r]/u;

/** A text cell a spreadsheet would read as a formula, made inert with a leading '. */
export function inertCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

export function csvLine(cells: readonly (string | number)[]): string {
  return `${cells
    .map((cell) => {
      if (typeof cell === 'number') return String(cell);
      const text = inertCell(cell);
      return /[",\r\n]/u.test(text) ? `"${text.replace(/"/gu, '""')}"` : text;
    })
    .join(',')}\r\n`;
}

export const REPORT_HEADER = ['row', 'field', 'column', 'code', 'message'] as const;
/**
 * `validFrom`/`validUntil` are the UTC instants (machine form; validUntil empty without expiry); `firstDay`/`lastDay`
 * the China dates people read (lastDay 长期 without expiry); `licenceIdentifier` the 证照标识 (GB/T 36904).
 */
export const RESULTS_HEADER = ['row', 'licenceId', 'creditCode', 'validFrom', 'validUntil', 'qrText', 'firstDay', 'lastDay', 'licenceIdentifier'] as const;

export interface ResultRow {
  rowNumber: number;
  licenceId: string;
  creditCode: string;
  validFrom: string;
  /** null: no expiry. */
  validUntil: string | null;
  qrText: string;
  licenceIdentifier: string;
}

/** The whole report (BOM, header, one line per problem in row order). */
export function reportCsv(problems: readonly RowProblem[]): string {
  const sorted = [...problems].sort((a, b) => a.rowNumber - b.rowNumber);
  return BOM + csvLine(REPORT_HEADER) + sorted.map((p) => csvLine([p.rowNumber, p.field, p.column, p.code, p.message])).join('');
}

/** The results file's first line (BOM and header). */
export const resultsHead = (): string => BOM + csvLine(RESULTS_HEADER);

/** Result lines for rows issued. */
export function resultLines(rows: readonly ResultRow[]): string {
  return rows.map((r) => csvLine([r.rowNumber, r.licenceId, r.creditCode, r.validFrom, r.validUntil ?? '', r.qrText, ...peopleDates(r), r.licenceIdentifier])).join('');
}

/** The first and the last valid day as China dates (YYYY-MM-DD), from the UTC instants. */
function peopleDates(row: ResultRow): [string, string] {
  const from = parseDateTimeMs(row.validFrom);
  const until = row.validUntil === null ? null : parseDateTimeMs(row.validUntil);
  return [from === undefined ? '' : formatDate(chinaDate(from)), until === null ? LONG_TERM : until === undefined ? '' : formatDate(lastValidChinaDate(until))];
}
