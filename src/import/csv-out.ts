/**
 * The two files an import writes, as UTF-8 CSV with a BOM (so Excel shows Chinese text as it is):
 * the report of rows that fail, and the results mapping each row to its licence id and QR text.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { chinaDate, formatDate, lastValidChinaDate, parseDateTimeMs } from '../core/dates.js';
import type { RowProblem } from './prepare-rows.js';

const BOM = '\uFEFF';
/** What a register says for a licence without expiry (有效期：长期). */
export const LONG_TERM = '长期';

export function csvLine(cells: readonly (string | number)[]): string {
  return `${cells.map((cell) => (typeof cell === 'number' || !/[",\r\n]/u.test(cell) ? String(cell) : `"${cell.replace(/"/gu, '""')}"`)).join(',')}\r\n`;
}

export const REPORT_HEADER = ['row', 'field', 'column', 'code', 'message'] as const;
/**
 * `validFrom`/`validUntil` are the UTC instants (machine form; validUntil empty without expiry); `firstDay`/`lastDay`
 * the China dates people read (lastDay 长期 without expiry); `licenceIdentifier` the 证照标识 (GB/T 36904).
 */
export const RESULTS_HEADER = ['row', 'licenceId', 'creditCode', 'validFrom', 'validUntil', 'qrText', 'firstDay', 'lastDay', 'licenceIdentifier'] as const;

export async function writeReport(path: string, problems: readonly RowProblem[]): Promise<void> {
  const sorted = [...problems].sort((a, b) => a.rowNumber - b.rowNumber);
  const body = sorted.map((p) => csvLine([p.rowNumber, p.field, p.column, p.code, p.message])).join('');
  const partial = `${path}.partial`;
  await writeFile(partial, BOM + csvLine(REPORT_HEADER) + body, 'utf8');
  await rename(partial, path);
}

/** The first and the last valid day as China dates (YYYY-MM-DD), from the UTC instants. */
function peopleDates(row: ResultRow): [string, string] {
  const from = parseDateTimeMs(row.validFrom);
  const until = row.validUntil === null ? null : parseDateTimeMs(row.validUntil);
  return [from === undefined ? '' : formatDate(chinaDate(from)), until === null ? LONG_TERM : until === undefined ? '' : formatDate(lastValidChinaDate(until))];
}

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

/**
 * Results are written to `<path>.partial` as batches complete and renamed to `<path>` only when the
 * run completes, so a results file that exists is always complete. Each batch is written to the file
 * synchronously when its answer is in: a run that is quit at once (Ctrl-C twice) still has every row
 * written so far on disk.
 */
export class ResultsWriter {
  readonly #fd: number;
  readonly partialPath: string;
  #closed = false;
  constructor(readonly path: string) {
    this.partialPath = `${path}.partial`;
    this.#fd = openSync(this.partialPath, 'w');
    writeSync(this.#fd, BOM + csvLine(RESULTS_HEADER));
  }

  write(rows: readonly ResultRow[]): void {
    if (rows.length === 0) return;
    writeSync(
      this.#fd,
      rows.map((r) => csvLine([r.rowNumber, r.licenceId, r.creditCode, r.validFrom, r.validUntil ?? '', r.qrText, ...peopleDates(r), r.licenceIdentifier])).join(''),
    );
  }

  /** complete: rename to the final path; otherwise leave the .partial file. */
  async close(complete: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    if (complete) await rename(this.partialPath, this.path);
  }
}
