/**
 * Registers that are text: CSV (comma-separated, or tab-separated when the header has tabs and no
 * commas) and JSONL (one JSON object a line; keys are columns). Bytes are decoded first
 * (decode-text.ts); this module only reads the text.
 */
import { ElicenceError } from '../core/errors.js';
import { isRecord, parseStrictJson } from '../core/strict-json.js';
import { CsvSyntaxError, parseCsvText } from './csv-parse.js';
import { type CellValue, type SourceRow, type SourceTable, tableFromGrid } from './table.js';

export type FileFormat = SourceTable['format'];

/** The format a file name says (.csv .txt .tsv, .xlsx, .jsonl .ndjson); ERR_IMPORT_FILE otherwise. */
export function formatOfName(name: string): FileFormat {
  const ext = /\.[^./\\]+$/u.exec(name)?.[0]?.toLowerCase() ?? '';
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new ElicenceError('ERR_IMPORT_FILE', `cannot import "${name}": expected a .csv, .xlsx or .jsonl file`, { field: 'file' });
}

/** `name`: the file's name, for messages. */
export function readCsvText(text: string, name: string): SourceTable {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  let records: string[][];
  try {
    records = parseCsvText(text, delimiter);
  } catch (cause) {
    if (!(cause instanceof CsvSyntaxError)) throw cause;
    throw new ElicenceError('ERR_IMPORT_FILE', `${name} is not a well-formed CSV file: ${cause.message}`, { field: 'file', cause });
  }
  const table = tableFromGrid('csv', records);
  if (!table) throw new ElicenceError('ERR_IMPORT_COLUMNS', `${name} has no header row`, { field: 'file' });
  return table;
}

export function readJsonlText(text: string): SourceTable {
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
