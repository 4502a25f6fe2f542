/**
 * The command line writes the import's two CSV files (their lines: src/import-core/csv-out.ts): the
 * report of rows that fail, and the results mapping each row to its licence id and QR text.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { type ResultRow, reportCsv, resultLines, resultsHead } from '../import-core/csv-out.js';
import type { RowProblem } from '../import-core/prepare-rows.js';

export type { ResultRow } from '../import-core/csv-out.js';

export async function writeReport(path: string, problems: readonly RowProblem[]): Promise<void> {
  const partial = `${path}.partial`;
  await writeFile(partial, reportCsv(problems), 'utf8');
  await rename(partial, path);
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
    writeSync(this.#fd, resultsHead());
  }

  write(rows: readonly ResultRow[]): void {
    if (rows.length === 0) return;
    writeSync(this.#fd, resultLines(rows));
  }

  /** complete: rename to the final path; otherwise leave the .partial file. */
  async close(complete: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    if (complete) await rename(this.partialPath, this.path);
  }
}
