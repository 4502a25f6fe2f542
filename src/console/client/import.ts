/**
 * The import page's script (its own bundle, loaded only there): the clerk picks a type and a file; the
 * file is read and checked here (import-session.ts) and the report shown (rows accepted; each refused
 * row with its column, code and reason); "Start" sends the good rows to the console's batch endpoint,
 * with a progress bar; the results and the refused rows can then be downloaded as CSV (cells that
 * would be formulas prefixed with '). Closing the page stops it: choosing the same file again resumes.
 */
import type { LicenceTypeDefinition } from '../../core/licence-types.js';
import type { RowProblem } from '../../import-core/prepare-rows.js';
import {
  batchSender,
  type CheckedRegister,
  checkRegister,
  type ImportProgress,
  readRegister,
  refusedCsv,
  resultsCsv,
  SendFailure,
  type SendResult,
  sendRegister,
} from './import-session.js';

interface PageData {
  csrf: string;
  batchUrl: string;
  batchSize: number;
  defaultValidityDays: number;
  types: LicenceTypeDefinition[];
  text: Record<'reading' | 'summary' | 'nothingToSend' | 'columns' | 'failed' | 'sending' | 'finished' | 'stopped' | 'signedOut', string>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
/** Shown for at most this many refused cells; the download has them all. */
const MAX_SHOWN = 500;

function start(): void {
  const source = document.getElementById('import-data');
  const form = document.getElementById('import-form') as HTMLFormElement | null;
  if (!source?.textContent || !form) return;
  const data = JSON.parse(source.textContent) as PageData;
  const t = data.text;
  const report = $<HTMLElement>('import-report');
  const summary = $<HTMLElement>('import-summary');
  const columns = $<HTMLUListElement>('import-columns');
  const table = $<HTMLTableElement>('import-refused');
  const startButton = $<HTMLButtonElement>('import-start');
  const stopButton = $<HTMLButtonElement>('import-stop');
  const run = $<HTMLElement>('import-run');
  const bar = $<HTMLProgressElement>('import-progress');
  const status = $<HTMLElement>('import-status');
  const downloads = $<HTMLElement>('import-downloads');
  const resultsLink = $<HTMLAnchorElement>('import-download-results');
  const refusedLink = $<HTMLAnchorElement>('import-download-refused');
  let checked: CheckedRegister | undefined;
  let stopper: AbortController | undefined;
  const urls: string[] = [];

  const offer = (link: HTMLAnchorElement, name: string, csv: string) => {
    const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    urls.push(url);
    link.href = url;
    link.download = name;
    link.hidden = false;
    downloads.hidden = false;
  };
  const stem = (file: string) => file.replace(/\.[^.]+$/, '');
  const clearDownloads = () => {
    for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    downloads.hidden = true;
    resultsLink.hidden = true;
    refusedLink.hidden = true;
  };
  const showRefused = (problems: readonly RowProblem[]) => {
    const body = table.tBodies[0]!;
    body.textContent = '';
    for (const p of [...problems].sort((a, b) => a.rowNumber - b.rowNumber).slice(0, MAX_SHOWN)) {
      const tr = body.insertRow();
      for (const text of [String(p.rowNumber), p.column, p.field, p.code, p.message]) tr.insertCell().textContent = text;
    }
    table.hidden = problems.length === 0;
  };
  const showProgress = (p: ImportProgress) => {
    bar.max = Math.max(1, p.total);
    bar.value = p.done;
    status.textContent = fill(t.sending, { done: p.done, total: p.total, new: p.newRows, already: p.alreadyIssued, refused: p.refusedByService });
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (stopper) return;
    const file = $<HTMLInputElement>('import-file').files?.[0];
    const type = data.types.find((d) => d.code === $<HTMLSelectElement>('import-type').value);
    if (!file || !type) return;
    checked = undefined;
    clearDownloads();
    run.hidden = true;
    startButton.hidden = true;
    columns.hidden = true;
    table.hidden = true;
    report.hidden = false;
    summary.textContent = fill(t.reading, { file: file.name });
    try {
      const table = await readRegister({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
      checked = checkRegister(file.name, table, type, { now: Date.now(), defaultValidityDays: data.defaultValidityDays });
    } catch (error) {
      const e = error as { code?: string; message: string; details?: unknown };
      summary.textContent = fill(t.failed, { message: e.message });
      if (e.code === 'ERR_IMPORT_COLUMNS' && Array.isArray(e.details)) {
        summary.textContent = t.columns;
        columns.textContent = '';
        for (const line of e.details) columns.appendChild(document.createElement('li')).textContent = String(line);
        columns.hidden = false;
      }
      $<HTMLElement>('import-report-title').focus();
      return;
    }
    const { prepared, table: rows } = checked;
    summary.textContent = fill(t.summary, { file: file.name, rows: rows.rows.length, good: prepared.good.length, bad: prepared.badRowCount });
    showRefused(prepared.problems);
    if (prepared.problems.length > 0) offer(refusedLink, `${stem(file.name)}.refused.csv`, refusedCsv(checked));
    if (prepared.good.length === 0) summary.append(' ', t.nothingToSend);
    startButton.hidden = prepared.good.length === 0;
    $<HTMLElement>('import-report-title').focus();
  });

  startButton.addEventListener('click', async () => {
    const current = checked;
    if (!current || stopper) return;
    stopper = new AbortController();
    startButton.hidden = true;
    stopButton.hidden = false;
    for (const control of Array.from(form.elements) as HTMLInputElement[]) control.disabled = true;
    run.hidden = false;
    clearDownloads();
    showProgress({ done: 0, total: current.prepared.good.length, newRows: 0, alreadyIssued: 0, refusedByService: 0 });
    let result: SendResult;
    let failure: string | undefined;
    try {
      const sender = batchSender(data.batchUrl, { 'X-CSRF-Token': data.csrf });
      result = await sendRegister(current, sender, { batchSize: data.batchSize, signal: stopper.signal, onProgress: showProgress });
    } catch (error) {
      if (!(error instanceof SendFailure)) throw error;
      result = error.partial;
      const code = (error.cause as { code?: string } | undefined)?.code;
      failure = code === 'ERR_UNAUTHENTICATED' ? t.signedOut : fill(t.failed, { message: error.message });
    }
    const issued = result.results.length;
    status.textContent = failure
      ? `${failure} ${fill(t.stopped, { issued })}`
      : result.stopped
        ? fill(t.stopped, { issued })
        : fill(t.finished, { issued, new: result.newRows, already: result.alreadyIssued, refused: current.prepared.badRowCount + result.refusedByService });
    if (issued > 0) offer(resultsLink, `${stem(current.file)}.results.csv`, resultsCsv(result.results));
    const refused = [...current.prepared.problems, ...result.refused];
    showRefused(refused);
    if (refused.length > 0) offer(refusedLink, `${stem(current.file)}.refused.csv`, refusedCsv(current, result.refused));
    stopButton.hidden = true;
    for (const control of Array.from(form.elements) as HTMLInputElement[]) control.disabled = false;
    stopper = undefined;
  });

  stopButton.addEventListener('click', () => stopper?.abort());
  // Leaving while sending: the browser asks first (the rows sent so far are issued; the same file resumes).
  window.addEventListener('beforeunload', (event) => {
    if (stopper) event.preventDefault();
  });
  document.body.setAttribute('data-ready', 'true');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
