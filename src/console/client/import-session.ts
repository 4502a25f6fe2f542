/**
 * The console's import, without the page: read a register file (CSV with the command line's rules and
 * encodings, or XLSX with read-excel-file), check every row (the importer's runtime-neutral core, so the
 * same report as `elicence import --dry-run`), then send the good rows in batches with the keys the
 * command line derives (`imp1-` + SHA-256 of the file's name and the row's licence request), so a
 * re-run, from the console or the command line, is answered with the licences issued before.
 * No DOM here: the page (import.ts) and the benchmark (bench/console-import.ts, in Node) drive it.
 */
import { ElicenceError } from '../../core/errors.js';
import type { LicenceTypeDefinition } from '../../core/licence-types.js';
import {
  type BatchItem,
  type BatchOutcome,
  type BatchSender,
  batchesOf,
  DEFAULT_MAX_BATCH_BYTES,
  type IssuedLicence,
  issueRows,
  refusedFromError,
  resultRow,
} from '../../import-core/batches.js';
import { mapColumns } from '../../import-core/columns.js';
import { type ResultRow, reportCsv, resultLines, resultsHead } from '../../import-core/csv-out.js';
import { decodeText } from '../../import-core/decode-text.js';
import { type PreparedRows, prepareRows, type RowProblem } from '../../import-core/prepare-rows.js';
import { formatOfName, readCsvText } from '../../import-core/read-text.js';
import { fetchWithRetry } from '../../import-core/retry.js';
import { type CellValue, type SourceTable, tableFromGrid } from '../../import-core/table.js';

export interface RegisterFile {
  name: string;
  bytes: Uint8Array;
}

/** A CSV or XLSX register as a table (JSONL stays a command-line format). */
export async function readRegister(file: RegisterFile): Promise<SourceTable> {
  const format = formatOfName(file.name);
  if (format === 'csv') {
    const { text, encoding } = decodeText(file.bytes, file.name);
    return { ...readCsvText(text, file.name), encoding };
  }
  if (format !== 'xlsx') throw new ElicenceError('ERR_IMPORT_FILE', `cannot import "${file.name}" here: choose a .csv or .xlsx file`, { field: 'file' });
  let grid: CellValue[][];
  try {
    const { readSheet } = await import('read-excel-file/universal');
    const copy = new Uint8Array(file.bytes);
    grid = (await readSheet(new Blob([copy.buffer]))) as CellValue[][];
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_FILE', `${file.name} is not a readable XLSX workbook: ${(cause as Error).message}`, { field: 'file', cause });
  }
  const table = tableFromGrid('xlsx', grid);
  if (!table) throw new ElicenceError('ERR_IMPORT_COLUMNS', `${file.name} has no header row`, { field: 'file' });
  return table;
}

export interface CheckedRegister {
  file: string;
  table: SourceTable;
  prepared: PreparedRows;
}

/** The dry run: columns mapped (ERR_IMPORT_COLUMNS naming every problem), every row checked, keys derived. */
export function checkRegister(file: string, table: SourceTable, definition: LicenceTypeDefinition, options: { now: number; defaultValidityDays: number }): CheckedRegister {
  const targets = mapColumns(table.header, definition);
  return { file, table, prepared: prepareRows(table, targets, definition, { now: options.now, scope: file, defaultValidityDays: options.defaultValidityDays }) };
}

export interface ImportProgress {
  /** Good rows answered (issued or refused by the service). */
  done: number;
  total: number;
  newRows: number;
  alreadyIssued: number;
  refusedByService: number;
}

export interface SendResult extends ImportProgress {
  results: ResultRow[];
  refused: RowProblem[];
  stopped: boolean;
}

export interface SendOptions {
  batchSize: number;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ImportProgress) => void;
}

/** A send that failed part-way: `partial` holds every row the service had answered. */
export class SendFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly partial: SendResult,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Sends the good rows; batches in flight are finished when stopped. A failure of the service or the network throws. */
export async function sendRegister(checked: CheckedRegister, sender: BatchSender, options: SendOptions): Promise<SendResult> {
  const batches = batchesOf(checked.prepared.good, options.batchSize, DEFAULT_MAX_BATCH_BYTES);
  const state: SendResult = {
    done: 0,
    total: checked.prepared.good.length,
    newRows: 0,
    alreadyIssued: 0,
    refusedByService: 0,
    results: [],
    refused: [],
    stopped: false,
  };
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < batches.length && !failed) {
      if (options.signal?.aborted) {
        state.stopped = true;
        return;
      }
      const batch = batches[next++]!;
      let result: Awaited<ReturnType<typeof issueRows>>;
      try {
        result = await issueRows(sender, batch);
      } catch (error) {
        // No new batch after a failure; those in flight are finished, so what they issued is counted.
        failed = true;
        throw error;
      }
      // The service sends each licence's EL1 QR text.
      state.results.push(...result.issued.map(({ row, licence }) => resultRow(row, licence, licence.qrText ?? '')));
      state.refused.push(...result.refused);
      const refusedRows = new Set(result.refused.map((r) => r.rowNumber)).size;
      state.done += result.issued.length + refusedRows;
      state.newRows += result.issued.length - result.alreadyIssued;
      state.alreadyIssued += result.alreadyIssued;
      state.refusedByService += refusedRows;
      options.onProgress?.({ done: state.done, total: state.total, newRows: state.newRows, alreadyIssued: state.alreadyIssued, refusedByService: state.refusedByService });
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));
  state.results.sort((a, b) => a.rowNumber - b.rowNumber);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw new SendFailure(failure.reason, state);
  return state;
}

/** The results download: one line per row that has its licence. */
export const resultsCsv = (results: readonly ResultRow[]): string => resultsHead() + resultLines(results);

/** The refused-rows download: every problem of the dry run and every refusal of the service. */
export const refusedCsv = (checked: CheckedRegister, refused: readonly RowProblem[] = []): string => reportCsv([...checked.prepared.problems, ...refused]);

/** The error a batch endpoint answered with (`{ "error": { code, message, field, details } }`). */
interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; details?: unknown };
}

/**
 * Sending to the console's batch endpoint (or any endpoint answering as POST /v1/licences/batch does):
 * `headers` carry the session's CSRF token (and, outside a browser, its cookie).
 */
export function batchSender(url: string, headers: Record<string, string>, doFetch: typeof fetch = fetch): BatchSender {
  return {
    async issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome> {
      // Network failures, 429 and 5xx are sent again (each row's key makes that safe), as the command line does.
      const response = await fetchWithRetry(doFetch, url, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ items }),
        credentials: 'same-origin',
      });
      if (response.status === 201) {
        const body = (await response.json()) as { items: IssuedLicence[]; alreadyIssued?: number };
        return { ok: true, licences: body.items, alreadyIssued: body.alreadyIssued ?? 0 };
      }
      const body = (await response.json().catch(() => ({}))) as ErrorBody;
      const error = body.error ?? {};
      const refused = refusedFromError(error.code ?? '', error.message ?? '', error.field, error.details);
      if (response.status < 500 && refused && refused.length > 0) return { ok: false, refused };
      throw new ElicenceError((error.code ?? 'ERR_INTERNAL') as never, error.message ?? `the service answered ${response.status}`, error.field ? { field: error.field } : {});
    },
  };
}
