/**
 * `npm run elicence -- import <file.csv|file.xlsx|file.jsonl> --type <LicenceType>
 *    (--server <url> --token <token> | --local [--authority <id>]) [--map map.json] [--dry-run]
 *    [--report report.csv] [--out results.csv] [--batch-size N]`
 * Bulk digitisation of a paper register (docs/import.md). Exit codes: 0 all good rows issued (or a
 * clean dry run), 1 some rows are in the report, 2 stopped early (re-run to finish), 64 usage.
 */
import { basename, dirname, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ElicenceError } from '../core/errors.js';
import { readHeaderMap } from '../import/columns.js';
import { httpIssuer } from '../import/http-issuer.js';
import { type LicenceIssuer, offlineIssuer } from '../import/issuers.js';
import { localIssuer } from '../import/local-issuer.js';
import { createProgress } from '../import/progress.js';
import { type ImportSummary, runImport } from '../import/run-import.js';

const USAGE = `usage: npm run elicence -- import <file.csv|file.xlsx|file.jsonl> --type <LicenceType>
         (--server <url> --token <token> | --local [--authority <id>])
         [--map map.json] [--dry-run] [--report report.csv] [--out results.csv]
         [--batch-size N] [--concurrency N] [--import-id <id>] [--encoding auto|utf-8|gb18030] [--sheet <name>]
  --token may also come from ELICENCE_TOKEN. A dry run needs neither --server nor --local for built-in types.
  Re-running the same command after an interruption issues each row exactly once (docs/import.md).`;

const OPTIONS = {
  type: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
  local: { type: 'boolean', default: false },
  authority: { type: 'string' },
  map: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  report: { type: 'string' },
  out: { type: 'string' },
  'batch-size': { type: 'string' },
  concurrency: { type: 'string' },
  'import-id': { type: 'string' },
  encoding: { type: 'string' },
  sheet: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number`);
  return n;
}

class UsageError extends Error {}

function printSummary(s: ImportSummary, dryRun: boolean): void {
  const lines = [
    `${s.file}: ${s.rows} rows (${s.format}${s.encoding ? `, ${s.encoding}` : ''}), import id "${s.importId}"`,
    `  valid: ${s.goodRows}   in the report: ${s.badRows}${s.expiredRows ? ` (of which already expired: ${s.expiredRows})` : ''} -> ${s.reportPath}`,
    `  checked in ${s.validateSeconds.toFixed(1)} s`,
  ];
  if (dryRun) lines.push('  dry run: nothing issued');
  else if (s.interrupted && s.outPath === undefined) lines.push('  stopped before any row was sent: nothing issued');
  else {
    lines.push(
      `  licences: ${s.issuedRows} rows mapped to a licence in ${s.issueSeconds.toFixed(1)} s: ${s.newRows} new, ${s.alreadyIssuedRows} already issued by an earlier run${s.refusedByService ? `; ${s.refusedByService} refused by the service (see the report)` : ''}`,
    );
    lines.push(
      s.interrupted ? `  stopped early: every row the service acknowledged is in ${s.outPath}.partial; run the same command again to finish` : `  results -> ${s.outPath}`,
    );
  }
  console.error(lines.join('\n'));
}

export async function run(args: string[], _command = 'import'): Promise<number> {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) {
      console.error(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one file to import');
    if (!values.type) throw new UsageError('--type is required (e.g. BusinessLicence, FoodBusinessLicence)');
    if (values.local && values.server) throw new UsageError('choose --server or --local, not both');
    if (!values.local && !values.server && !values['dry-run']) throw new UsageError('choose --server <url> --token <token> or --local');
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${USAGE}`);
      return 64;
    }
    throw error;
  }

  const controller = new AbortController();
  const progress = createProgress(process.stderr);
  const file = positionals[0]!;
  const outPath = values.out ?? join(dirname(file), `${basename(file, extname(file))}.results.csv`);
  let interrupts = 0;
  const onSigint = () => {
    // First Ctrl-C: send nothing new, finish the batches in flight and write their results. Second: leave
    // now (still safe: every acknowledged row is already in the results file, and a re-run finishes).
    if (++interrupts > 1) {
      progress.interrupt(`quitting now: rows acknowledged so far are in ${outPath}.partial; run the same command again to finish`);
      process.exit(130);
    }
    progress.interrupt('stopping: no new batches; finishing the ones in flight (Ctrl-C again to quit at once; a re-run finishes the job)');
    controller.abort();
  };
  // From the start: a Ctrl-C while the file is read or checked stops cleanly too.
  process.on('SIGINT', onSigint);
  let issuer: LicenceIssuer | undefined;
  try {
    const batchSize = positiveInt(values['batch-size'], 'batch-size');
    const concurrency = positiveInt(values.concurrency, 'concurrency');
    const token = values.token ?? process.env['ELICENCE_TOKEN'];
    if (values.server && !token) throw new UsageError('--server needs --token (or ELICENCE_TOKEN)');
    issuer = values.local ? await localIssuer({ authority: values.authority }) : values.server ? httpIssuer({ server: values.server, token: token! }) : offlineIssuer();
    const summary = await runImport({
      file,
      type: values.type,
      issuer,
      ...(values.map ? { map: await readHeaderMap(values.map) } : {}),
      dryRun: values['dry-run'],
      ...(values.report ? { reportPath: values.report } : {}),
      ...(values.out ? { outPath: values.out } : {}),
      ...(batchSize ? { batchSize } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(values['import-id'] ? { importId: values['import-id'] } : {}),
      ...(values.encoding ? { encoding: values.encoding } : {}),
      ...(values.sheet ? { sheet: values.sheet } : {}),
      progress,
      signal: controller.signal,
    });
    printSummary(summary, values['dry-run']);
    if (summary.interrupted) return 2;
    return summary.badRows > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 64;
    }
    if (error instanceof ElicenceError) {
      console.error(`import failed: ${error.code}: ${error.message}`);
      if (Array.isArray(error.details) && error.code === 'ERR_IMPORT_COLUMNS') for (const p of error.details) console.error(`  - ${String(p)}`);
      if (!error.code.startsWith('ERR_IMPORT_')) console.error('Rows already sent keep their licences; running the same command again issues each row exactly once.');
      return 2;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    await issuer?.close();
  }
}
