/**
 * One import, start to finish: read the file, map its columns, check every row and write the report;
 * then (unless a dry run) issue the good rows in batches, keeping up to `concurrency` batches in flight,
 * and write each row's licence id and QR text. Rows the service refuses after all (its clock, the
 * token's scope) join the report; nothing else about them is issued, as a batch is all-or-nothing.
 */
import { basename, dirname, extname, join } from 'node:path';
import { type BatchResult, batchesOf, DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCH_BYTES, issueRows, resultRow } from '../import-core/batches.js';
import { type HeaderMap, mapColumns } from '../import-core/columns.js';
import { prepareRows, type RowProblem } from '../import-core/prepare-rows.js';
import { startQrEncoder } from '../node/qr-worker.js';
import { ResultsWriter, writeReport } from './csv-out.js';
import type { LicenceIssuer } from './issuers.js';
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

function besideInput(file: string, suffix: string): string {
  return join(dirname(file), `${basename(file, extname(file))}${suffix}`);
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
