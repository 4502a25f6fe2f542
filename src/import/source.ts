/**
 * Reads a register file into a header and numbered rows of raw cell values: CSV (any of the encodings
 * decode-text.ts knows), XLSX (first worksheet, or a named one) and JSONL (one JSON object a line).
 * Row numbers are what a person sees: the spreadsheet row (header = row 1) or the JSONL line.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ElicenceError, type ErrorCode } from '../core/errors.js';
import { isRecord, parseStrictJson } from '../core/strict-json.js';
import { decodeText, type TextEncodingName } from './decode-text.js';

/** A raw cell: text from CSV, typed values from XLSX or JSON (arrays from JSON for list fields). */
export type CellValue = string | number | boolean | Date | readonly unknown[] | null;

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

export interface ReadOptions {
  /** Force a text encoding for CSV/JSONL (`auto` detects). */
  encoding?: string | undefined;
  /** XLSX worksheet name (default: the first). */
  sheet?: string | undefined;
}

export function formatOf(path: string): SourceTable['format'] {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new ElicenceError('ERR_IMPORT_FILE', `cannot import "${basename(path)}": expected a .csv, .xlsx or .jsonl file`, { field: 'file' });
}

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
  return format === 'csv' ? { ...readCsv(text, path), encoding } : { ...readJsonl(text), encoding };
}

function readCsv(text: string, path: string): SourceTable {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_FILE', `${basename(path)} is not a well-formed CSV file: ${(cause as Error).message}`, { field: 'file', cause });
  }
  const headerIndex = records.findIndex((record) => !isBlank(record));
  if (headerIndex < 0) throw new ElicenceError('ERR_IMPORT_COLUMNS', `${basename(path)} has no header row`, { field: 'file' });
  const header = records[headerIndex]!.map((h) => h.trim());
  const rows: SourceRow[] = [];
  for (let i = headerIndex + 1; i < records.length; i++) {
    const record = records[i]!;
    if (isBlank(record)) continue;
    const row: SourceRow = { rowNumber: i + 1, values: record.slice(0, header.length) };
    if (record.slice(header.length).some((cell) => cell.trim() !== '')) {
      row.problem = { code: 'ERR_VALIDATION', message: `row has ${record.length} cells but the header has ${header.length} columns` };
    }
    rows.push(row);
  }
  return { format: 'csv', header, rows };
}

function readJsonl(text: string): SourceTable {
  const header: string[] = [];
  const columnOf = new Map<string, number>();
  const rows: SourceRow[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const rowNumber = index + 1;
    let value: unknown;
    try {
      // Strict: duplicate keys and nesting beyond MAX_JSON_DEPTH are refused per row, before anything recurses into it.
      value = parseStrictJson(line);
    } catch (error) {
      const problem = error instanceof ElicenceError ? { code: error.code, message: error.message } : { code: 'ERR_BAD_JSON' as const, message: 'line is not valid JSON' };
      rows.push({ rowNumber, values: [], problem });
      continue;
    }
    if (!isRecord(value)) {
      rows.push({ rowNumber, values: [], problem: { code: 'ERR_BAD_JSON', message: 'line is not a JSON object' } });
      continue;
    }
    const values: CellValue[] = [];
    for (const [key, cell] of Object.entries(value)) {
      let column = columnOf.get(key);
      if (column === undefined) {
        column = header.length;
        header.push(key);
        columnOf.set(key, column);
      }
      values[column] = jsonCell(cell);
    }
    rows.push({ rowNumber, values });
  }
  return { format: 'jsonl', header, rows };
}

function jsonCell(value: unknown): CellValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value;
  // Nested objects have no column meaning: keep their JSON so validation names the field.
  return JSON.stringify(value);
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
  let header: string[] | undefined;
  const rows: SourceRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // row.values is 1-based (index 0 unused).
    const cells = (row.values as unknown[]).slice(1).map(xlsxCell);
    if (cells.every((c) => c === null || (typeof c === 'string' && c.trim() === ''))) return;
    if (!header) {
      header = cells.map((c) => (c === null ? '' : String(c).trim()));
      return;
    }
    const out: SourceRow = { rowNumber, values: cells.slice(0, header.length) };
    if (cells.slice(header.length).some((c) => c !== null && String(c).trim() !== '')) {
      out.problem = { code: 'ERR_VALIDATION', message: `row has cells beyond the ${header.length} header columns` };
    }
    rows.push(out);
  });
  if (!header) throw new ElicenceError('ERR_IMPORT_COLUMNS', `${basename(path)} has no header row`, { field: 'file' });
  return { format: 'xlsx', header, rows };
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

function isBlank(record: readonly string[]): boolean {
  return record.every((cell) => cell.trim() === '');
}
