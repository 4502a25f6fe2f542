/**
 * A register as the importer reads it: a header and numbered rows of raw cell values, whatever the file
 * was (CSV text, an XLSX grid, JSONL). Row numbers are what a person sees: the spreadsheet row
 * (header = row 1) or the JSONL line. Runtime-neutral: the CLI (src/import/source.ts) and the console's
 * import page read files with this module.
 */
import type { ErrorCode } from '../core/errors.js';

/** A raw cell: text from CSV, typed values from XLSX or JSON (arrays from JSON for list fields). */
export type CellValue = string | number | boolean | Date | readonly unknown[] | null;

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'gb18030';

export interface SourceRow {
  rowNumber: number;
  /** By column index (matching `header`). */
  values: CellValue[];
  /** A row that could not be read at all (a JSONL line that is not an object, extra CSV cells). */
  problem?: { code: ErrorCode; message: string };
}

export interface SourceTable {
  format: 'csv' | 'xlsx' | 'jsonl';
  header: string[];
  rows: SourceRow[];
  /** Text encoding detected for CSV and JSONL. */
  encoding?: TextEncodingName;
}

const isBlank = (cell: CellValue | undefined) => cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');

/**
 * A grid of cells (row i is spreadsheet row i + 1) as a table: the first non-blank row is the header,
 * blank rows are skipped, cells beyond the header's columns make the row a problem. `rowNumbers`
 * gives each grid row's number when the grid skips rows (exceljs' eachRow).
 */
export function tableFromGrid(format: SourceTable['format'], grid: readonly (readonly CellValue[])[], rowNumbers?: readonly number[]): SourceTable | undefined {
  let header: string[] | undefined;
  const rows: SourceRow[] = [];
  grid.forEach((cells, index) => {
    if (cells.every(isBlank)) return;
    if (!header) {
      header = cells.map((c) => (c === null || c === undefined ? '' : String(c).trim()));
      return;
    }
    const row: SourceRow = { rowNumber: rowNumbers?.[index] ?? index + 1, values: cells.slice(0, header.length) };
    if (cells.slice(header.length).some((c) => !isBlank(c))) {
      row.problem = {
        code: 'ERR_VALIDATION',
        message: format === 'csv' ? `row has ${cells.length} cells but the header has ${header.length} columns` : `row has cells beyond the ${header.length} header columns`,
      };
    }
    rows.push(row);
  });
  return header ? { format, header, rows } : undefined;
}
