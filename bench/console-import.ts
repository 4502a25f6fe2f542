/**
 * The console's import against the command line's, in the same run: one Node service on loopback
 * (file database, file keys, the QR worker thread, as `npm start` runs it) and two generated
 * 10,000-row business-licence registers per run (different holders, so none refuses another's rows), after a
 * 300-row warm-up of each path; the CLI runs before and after the console runs and its better run counts.
 * - CLI: `elicence import --server` (runImport with the HTTP issuer: batches of 500, 2 in flight,
 *   bearer token to POST /v1/licences/batch);
 * - console: the import page's own code (src/console/client/import-session.ts: read the CSV, check
 *   every row, send batches with a signed-in clerk's session cookie and CSRF token to
 *   POST /console/import/batch), driven here in Node with the page's batch size (100) and with the CLI's (500).
 * Each prints rows/s for the whole run (read, check, issue, answers). Standalone: `npx tsx bench/console-import.ts [rows]`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { createApp } from '../src/app/app.js';
import { defaultConfig, systemClock } from '../src/app/deps.js';
import { batchSender, checkRegister, readRegister, sendRegister } from '../src/console/client/import-session.js';
import { IMPORT_BATCH_PATH } from '../src/console/routes.js';
import { BUSINESS_LICENCE } from '../src/core/licence-types.js';
import { httpIssuer } from '../src/import/http-issuer.js';
import { runImport } from '../src/import/run-import.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { startQrEncoder } from '../src/node/qr-worker.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { createAccount } from '../src/services/accounts.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { generateRegister, toCsv } from '../tests/fixtures/import/register.js';
import { ConsoleClient } from '../tests/helpers/console-client.js';

const TOKEN = 'elk_bench-console-import-token-with-every-scope';
const PASSWORD = 'bench-first-password-1';

export interface ConsoleImportBenchResult {
  rows: number;
  cliRowsPerSecond: number;
  consoleRowsPerSecond: number;
  consoleCliBatchRowsPerSecond: number;
}

export async function runConsoleImportBench(count = 10_000, log: (line: string) => void = () => {}): Promise<ConsoleImportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'elicence-console-import-bench-'));
  mkdirSync(join(dir, 'data'));
  const store = openSqliteStore(join(dir, 'data', 'elicence.db'));
  const qrEncoder = await startQrEncoder();
  const deps = {
    store,
    keys: createFileKeyStore(join(dir, 'keys')),
    clock: systemClock,
    config: { ...defaultConfig('http://127.0.0.1:8787'), passwordHashing: { scheme: 'pbkdf2-sha256' as const, iterations: 1000 } },
    qrEncoder,
  };
  const setup = await bootstrap(deps, { devToken: TOKEN });
  const authority = setup.authorities[0]!.id;
  await createAccount(deps, { authorityId: authority, login: 'bench-clerk', name: '导入', role: 'clerk', password: PASSWORD }, 'system');
  const server = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const register = (seed: number, rows: number) => {
      const file = join(dir, `register-${seed}.csv`);
      writeFileSync(file, toCsv(generateRegister(rows, { seed })));
      return file;
    };

    const throughCli = async (file: string, rows: number) => {
      const started = performance.now();
      const summary = await runImport({ file, type: 'BusinessLicence', issuer: httpIssuer({ server: base, token: TOKEN }), outPath: `${file}.results.csv` });
      if (summary.issuedRows !== rows) throw new Error(`CLI issued ${summary.issuedRows} of ${rows}`);
      return (performance.now() - started) / 1000;
    };

    // A clerk signs in; the page's code reads, checks and sends.
    const clerk = new ConsoleClient((url, init) => fetch(url, init), base);
    await clerk.signIn('bench-clerk', PASSWORD);
    await clerk.submit('/console/password', { current: PASSWORD, password: `${PASSWORD}-own`, repeat: `${PASSWORD}-own` });
    const page = await clerk.page('/console/import');
    const csrf = /"csrf":"([^"]+)"/.exec(page.html)?.[1];
    if (!csrf) throw new Error(`no import page (${page.status})`);
    const sender = batchSender(`${base}${IMPORT_BATCH_PATH}`, { 'X-CSRF-Token': csrf, cookie: clerk.cookieHeader(), origin: base });
    const throughConsole = async (file: string, rows: number, batchSize: number) => {
      const started = performance.now();
      const name = file.slice(file.lastIndexOf('/') + 1);
      const table = await readRegister({ name, bytes: readFileSync(file) });
      const checked = checkRegister(name, table, BUSINESS_LICENCE, { now: Date.now(), defaultValidityDays: deps.config.defaultValidityDays });
      const sent = await sendRegister(checked, sender, { batchSize });
      if (sent.results.length !== rows) throw new Error(`console issued ${sent.results.length} of ${rows}`);
      return (performance.now() - started) / 1000;
    };

    // Warm up both paths (JIT, keys, prepared statements), then alternate, so a busy minute on a
    // shared host does not favour one: the CLI runs before and after the console, and its better run counts.
    await throughCli(register(1, 300), 300);
    await throughConsole(register(2, 300), 300, 100);
    log(`warmed up; registers of ${count} rows`);
    const cliFirst = await throughCli(register(3, count), count);
    log(`CLI ${cliFirst.toFixed(1)} s`);
    const consoleSeconds = await throughConsole(register(4, count), count, 100);
    log(`console (100) ${consoleSeconds.toFixed(1)} s`);
    const consoleCliBatchSeconds = await throughConsole(register(5, count), count, 500);
    log(`console (500) ${consoleCliBatchSeconds.toFixed(1)} s`);
    const cliSecond = await throughCli(register(6, count), count);
    log(`CLI ${cliSecond.toFixed(1)} s`);
    const cliSeconds = Math.min(cliFirst, cliSecond);
    return { rows: count, cliRowsPerSecond: count / cliSeconds, consoleRowsPerSecond: count / consoleSeconds, consoleCliBatchRowsPerSecond: count / consoleCliBatchSeconds };
  } finally {
    server.close();
    await qrEncoder.close?.();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[] = process.argv.slice(2)): Promise<ConsoleImportBenchResult> {
  const rows = args[0] ? Number(args[0]) : 10_000;
  const r = await runConsoleImportBench(rows, (line) => console.error(line));
  console.log(`import of ${r.rows} rows through one Node service on loopback (read, check, issue, answers)`);
  console.log(`  CLI --server (batches of 500, 2 in flight)        ${Math.round(r.cliRowsPerSecond)} rows/s`);
  console.log(
    `  console import page (batches of 100, 2 in flight) ${Math.round(r.consoleRowsPerSecond)} rows/s  (${(r.consoleRowsPerSecond / r.cliRowsPerSecond).toFixed(2)}x the CLI)`,
  );
  console.log(
    `  console code, CLI's batches of 500                ${Math.round(r.consoleCliBatchRowsPerSecond)} rows/s  (${(r.consoleCliBatchRowsPerSecond / r.cliRowsPerSecond).toFixed(2)}x the CLI)`,
  );
  return r;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
