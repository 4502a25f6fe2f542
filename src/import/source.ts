/**
 * Reads a register file into a header and numbered rows of raw cell values: CSV (any of the encodings
 * decode-text.ts knows), XLSX (first worksheet, or a named one) and JSONL (one JSON object a line).
 * Row numbers are what a person sees: the spreadsheet row (header = row 1) or the JSONL line.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ElicenceError } from '../core/errors.js';
import { formatOfName, readCsvText, readJsonlText } from '../import-core/read-text.js';
import { type CellValue, type SourceTable, tableFromGrid } from '../import-core/table.js';
import { decodeText } from './decode-text.js';

export type { CellValue, SourceRow, SourceTable } from '../import-core/table.js';

export interface ReadOptions {
  /** Force a text encoding for CSV/JSONL (`auto` detects). */
  encoding?: string | undefined;
  /** XLSX worksheet name (default: the first). */
  sheet?: string | undefined;
}

export const formatOf = (path: string): SourceTable['format'] => formatOfName(basename(path));

export async function readSource(path: string, options: ReadOptions = {}): Promise<SourceTable> {
  const format = formatOf(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_FILE', `cannot read ${path}: ${(cause as Error).message}`, { field: 'file', cause });
  }
  if (format === 'xlsx') return readXlsx(bytes, path, options.sheet);
  const { text, encoding } = decodeText(bytes, basename(path), options.encoding);
  return format === 'csv' ? { ...readCsvText(text, basename(path)), encoding } : { ...readJsonlText(text), encoding };
}

async function readXlsx(bytes: Buffer, path: string, sheetName: string | undefined): Promise<SourceTable> {
  // Loaded on demand: exceljs takes about 0.4 s to load, wasted on CSV and JSONL imports.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its load() argument as its own Buffer declaration; a Node Buffer is what it reads.
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_FILE', `${basename(path)} is not a readable XLSX workbook: ${(cause as Error).message}`, { field: 'file', cause });
  }
  const sheet = sheetName === undefined ? workbook.worksheets[0] : workbook.getWorksheet(sheetName);
  if (!sheet) {
    throw new ElicenceError('ERR_IMPORT_FILE', sheetName === undefined ? `${basename(path)} has no worksheet` : `${basename(path)} has no worksheet "${sheetName}"`, {
      field: 'sheet',
    });
  }
  const grid: CellValue[][] = [];
  const rowNumbers: number[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // row.values is 1-based (index 0 unused).
    grid.push((row.values as unknown[]).slice(1).map(xlsxCell));
    rowNumbers.push(rowNumber);
  });
  const table = tableFromGrid('xlsx', grid, rowNumbers);
  if (!table) throw new ElicenceError('ERR_IMPORT_COLUMNS', `${basename(path)} has no header row`, { field: 'file' });
  return table;
}

/** An exceljs cell value as a plain value: rich text joined, formulas by their cached result. */
function xlsxCell(value: unknown): CellValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'object') {
    const v = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: unknown };
    if (Array.isArray(v.richText)) return v.richText.map((part) => part.text).join('');
    if ('result' in v) return xlsxCell(v.result);
    if (typeof v.text === 'string') return v.text;
    if (v.error !== undefined) return `#ERROR ${String(v.error)}`;
  }
  return String(value);
}
