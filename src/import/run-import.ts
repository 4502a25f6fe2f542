/**
 * One import, start to finish: read the file, map its columns, check every row and write the report;
 * then (unless a dry run) issue the good rows in batches, keeping up to `concurrency` batches in flight,
 * and write each row's licence id and QR text. Rows the service refuses after all (its clock, the
 * token's scope) join the report; nothing else about them is issued, as a batch is all-or-nothing.
 */
import { basename, dirname, extname, join } from 'node:path';
import { ElicenceError } from '../core/errors.js';
import { startQrEncoder } from '../node/qr-worker.js';
import { type HeaderMap, mapColumns } from './columns.js';
import { type ResultRow, ResultsWriter, writeReport } from './csv-out.js';
import type { BatchItem, IssuedLicence, LicenceIssuer } from './issuers.js';
import { type PreparedRow, prepareRows, type RowProblem } from './prepare-rows.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { readSource, type SourceTable } from './source.js';

export interface ImportOptions {
  file: string;
  /** Licence type code, e.g. BusinessLicence. */
  type: string;
  issuer: LicenceIssuer;
  map?: HeaderMap;
  dryRun?: boolean;
  /** Default: `<file name>.report.csv` beside the input. */
  reportPath?: string;
  /** Default: `<file name>.results.csv` beside the input. */
  outPath?: string;
  /** Rows per request (default 500, at most the service's limit). */
  batchSize?: number;
  /** JSON bytes per request (default 900 KB, under the service's 1 MiB body limit). */
  maxBatchBytes?: number;
  /** Batches in flight at once (default: the issuer's; 2 over HTTP, so the service signs one while the last travels). */
  concurrency?: number;
  /** Idempotency scope (default: the file's name). Keep it when renaming a file that was partly imported. */
  importId?: string;
  encoding?: string;
  sheet?: string;
  progress?: ProgressReporter;
  /** Milliseconds now, for the expiry check (default Date.now). */
  now?: () => number;
  /** Stop sending new batches (Ctrl-C); batches in flight are finished and written. */
  signal?: AbortSignal;
  /** Called after each batch is written, with the rows issued so far (tests inject failures here). */
  afterBatch?: (rowsDone: number) => void | Promise<void>;
}

export interface ImportSummary {
  file: string;
  format: SourceTable['format'];
  encoding: string | undefined;
  importId: string;
  rows: number;
  goodRows: number;
  badRows: number;
  expiredRows: number;
  problems: RowProblem[];
  /** Rows mapped to a licence (new, or issued by an earlier run under the same key). */
  issuedRows: number;
  /** Of those: issued by this run. */
  newRows: number;
  /** Of those: issued by an earlier run (their idempotency keys were seen), not again. */
  alreadyIssuedRows: number;
  refusedByService: number;
  reportPath: string;
  outPath: string | undefined;
  /** True when stopped by the signal before every row was sent. */
  interrupted: boolean;
  validateSeconds: number;
  issueSeconds: number;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_MAX_BATCH_BYTES = 900_000;

function besideInput(file: string, suffix: string): string {
  return join(dirname(file), `${basename(file, extname(file))}${suffix}`);
}

/** Splits rows into batches of at most `size` rows and about `maxBytes` of JSON. */
export function batchesOf(rows: readonly PreparedRow[], size: number, maxBytes: number): PreparedRow[][] {
  const batches: PreparedRow[][] = [];
  let current: PreparedRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = Buffer.byteLength(JSON.stringify(row.item)) + row.idempotencyKey.length + 40;
    if (current.length > 0 && (current.length >= size || bytes + rowBytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += rowBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

interface BatchResult {
  issued: { row: PreparedRow; licence: IssuedLicence }[];
  refused: RowProblem[];
  /** How many of `issued` an earlier run had issued. */
  alreadyIssued: number;
}

async function issueRows(issuer: LicenceIssuer, rows: readonly PreparedRow[]): Promise<BatchResult> {
  const refused: RowProblem[] = [];
  let pending = [...rows];
  while (pending.length > 0) {
    const items: BatchItem[] = pending.map((row) => ({ ...row.item, idempotencyKey: row.idempotencyKey }));
    let outcome: Awaited<ReturnType<typeof issuer.issueBatch>>;
    try {
      outcome = await issuer.issueBatch(items);
    } catch (error) {
      if (error instanceof ElicenceError && error.code === 'ERR_BODY_TOO_LARGE' && pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        const parts = [await issueRows(issuer, pending.slice(0, half)), await issueRows(issuer, pending.slice(half))];
        return {
          issued: parts.flatMap((p) => p.issued),
          refused: [...refused, ...parts.flatMap((p) => p.refused)],
          alreadyIssued: parts.reduce((n, p) => n + p.alreadyIssued, 0),
        };
      }
      throw error;
    }
    if (outcome.ok) {
      if (outcome.licences.length !== pending.length) {
        throw new ElicenceError('ERR_INTERNAL', `the service answered ${outcome.licences.length} licences for ${pending.length} items`);
      }
      return { issued: pending.map((row, i) => ({ row, licence: outcome.licences[i]! })), refused, alreadyIssued: outcome.alreadyIssued };
    }
    const bad = new Set(outcome.refused.map((r) => r.index).filter((i) => i >= 0 && i < pending.length));
    if (bad.size === 0) throw new ElicenceError('ERR_BATCH_FAILED', 'the service refused the batch without naming an item');
    for (const r of outcome.refused) {
      const row = pending[r.index];
      if (!row) continue;
      // The service names batch items (`items[3].subject.creditCode`); the report names fields and rows.
      const field = (r.field ?? 'row').replace(/^items\[\d+\]\./u, '').replace(/^subject\./u, '');
      const message = r.message.replace(/items\[(\d+)\]/gu, (whole, i: string) => (pending[Number(i)] ? `row ${pending[Number(i)]!.rowNumber}` : whole));
      refused.push({ rowNumber: row.rowNumber, field, column: '', code: r.code, message: `refused by the service: ${message}` });
    }
    pending = pending.filter((_, i) => !bad.has(i));
  }
  return { issued: [], refused, alreadyIssued: 0 };
}

function resultRow(row: PreparedRow, licence: IssuedLicence, qrText: string): ResultRow {
  return {
    rowNumber: row.rowNumber,
    licenceId: licence.id,
    creditCode: String(row.item.subject['creditCode'] ?? ''),
    validFrom: licence.validFrom,
    validUntil: licence.validUntil,
    qrText,
    licenceIdentifier: licence.licenceIdentifier ?? '',
  };
}

export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const validateStarted = performance.now();
  const issuer = options.issuer;
  const table = await readSource(options.file, { encoding: options.encoding, sheet: options.sheet });
  const definition = await issuer.licenceType(options.type);
  const targets = mapColumns(table.header, definition, options.map);
  const importId = options.importId ?? basename(options.file);
  const prepared = prepareRows(table, targets, definition, {
    now: (options.now ?? Date.now)(),
    scope: importId,
    defaultValidityDays: issuer.defaultValidityDays,
  });
  const reportPath = options.reportPath ?? besideInput(options.file, '.report.csv');
  await writeReport(reportPath, prepared.problems);
  const summary: ImportSummary = {
    file: options.file,
    format: table.format,
    encoding: table.encoding,
    importId,
    rows: table.rows.length,
    goodRows: prepared.good.length,
    badRows: prepared.badRowCount,
    expiredRows: prepared.expiredRowCount,
    problems: prepared.problems,
    issuedRows: 0,
    newRows: 0,
    alreadyIssuedRows: 0,
    refusedByService: 0,
    reportPath,
    outPath: undefined,
    interrupted: false,
    validateSeconds: (performance.now() - validateStarted) / 1000,
    issueSeconds: 0,
  };
  if (options.dryRun) return summary;
  if (options.signal?.aborted) {
    // Stopped (Ctrl-C) while the file was read and checked: nothing was sent.
    summary.interrupted = true;
    return summary;
  }

  const issueStarted = performance.now();
  const outPath = options.outPath ?? besideInput(options.file, '.results.csv');
  summary.outPath = outPath;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, issuer.maxBatchSize));
  const batches = batchesOf(prepared.good, batchSize, options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
  const concurrency = Math.max(1, options.concurrency ?? issuer.concurrency);
  const progress = options.progress ?? silentProgress;
  const results = new ResultsWriter(outPath);
  const refused: RowProblem[] = [];
  let done = 0;
  let complete = false;
  const inFlight: Promise<BatchResult>[] = [];
  // The service sends qrText once its QR helper lands; until then the same EL1 text is computed here.
  const qr = await startQrEncoder();
  // Writing a batch (its QR texts on the worker, then the file) overlaps issuing the next one.
  let writing: Promise<void> = Promise.resolve();
  const write = async (result: BatchResult) => {
    const missing = result.issued.filter(({ licence }) => licence.qrText === undefined);
    const encoded = missing.length > 0 ? await qr.encode(missing.map(({ licence }) => licence.credential)) : [];
    const texts = new Map(missing.map(({ licence }, i) => [licence.id, encoded[i]!]));
    results.write(result.issued.map(({ row, licence }) => resultRow(row, licence, licence.qrText ?? texts.get(licence.id)!)));
    summary.issuedRows += result.issued.length;
    summary.alreadyIssuedRows += result.alreadyIssued;
    summary.newRows += result.issued.length - result.alreadyIssued;
    done += result.issued.length + new Set(result.refused.map((r) => r.rowNumber)).size;
    progress.update(done);
    await options.afterBatch?.(summary.issuedRows);
  };
  const consume = async (result: BatchResult) => {
    refused.push(...result.refused);
    await writing;
    writing = write(result);
    writing.catch(() => {});
  };
  progress.start(prepared.good.length);
  try {
    for (const batch of batches) {
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const pending = issueRows(issuer, batch);
      // Handled when its turn comes; until then a failure must not count as an unhandled rejection.
      pending.catch(() => {});
      inFlight.push(pending);
      if (inFlight.length >= concurrency) await consume(await inFlight.shift()!);
    }
    while (inFlight.length > 0) await consume(await inFlight.shift()!);
    await writing;
    complete = !summary.interrupted;
  } finally {
    // A failure or a stop leaves other batches in flight: let them settle, and write every one the
    // service acknowledged, so the results list each row that has a licence (a re-run answers the rest).
    const settled = await Promise.allSettled(inFlight);
    await writing.catch(() => {});
    for (const outcome of settled) {
      if (outcome.status !== 'fulfilled') continue;
      refused.push(...outcome.value.refused);
      await write(outcome.value).catch(() => {});
    }
    await qr.close();
    progress.stop();
    await results.close(complete);
    if (refused.length > 0) {
      summary.problems = [...prepared.problems, ...refused];
      summary.refusedByService = new Set(refused.map((r) => r.rowNumber)).size;
      summary.badRows += summary.refusedByService;
      await writeReport(reportPath, summary.problems);
    }
    summary.issueSeconds = (performance.now() - issueStarted) / 1000;
  }
  return summary;
}
