/**
 * Bulk import benchmark: a generated 100,000-row business-licence register imported end to
 * end with `--local` (read the CSV, map and check every row, issue in 1000-row batches through the
 * service's issueLicences, write results with licence ids and QR texts), beside the floor: node:crypto
 * Ed25519 signatures over the same rows plus better-sqlite3 inserts in 1000-row transactions.
 * Standalone: `npx tsx bench/import.ts [rows]`; a bench runner calls `runImportBench()`.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { defaultConfig, systemClock } from '../src/app/deps.js';
import { localIssuer } from '../src/import/local-issuer.js';
import { runImport } from '../src/import/run-import.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { generateRegister, toCsv } from '../tests/fixtures/import/register.js';

export interface ImportBenchResult {
  rows: number;
  /** Whole import: read, check, issue, write results. */
  endToEndSeconds: number;
  checkSeconds: number;
  issueSeconds: number;
  /** Ed25519 signing of each row's credential-sized payload plus 1000-row insert transactions. */
  floorSeconds: number;
  ratio: number;
  rowsPerSecond: number;
}

/** The floor: what signing and storing these rows costs with nothing else around it. */
function floorSeconds(rows: string[][], header: string[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'elicence-floor-'));
  try {
    const db = new Database(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL'); // durable per transaction, like the service
    db.exec('CREATE TABLE licences (id TEXT PRIMARY KEY, holder TEXT NOT NULL, jws TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO licences (id, holder, jws) VALUES (?, ?, ?)');
    const insertMany = db.transaction((batch: [string, string, string][]) => {
      for (const row of batch) insert.run(...row);
    });
    const { privateKey } = generateKeyPairSync('ed25519');
    const protectedHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k'.repeat(43), typ: 'vc+jwt', cty: 'vc' })).toString('base64url');
    const started = performance.now();
    let batch: [string, string, string][] = [];
    rows.forEach((row, i) => {
      const subject = Object.fromEntries(header.map((h, j) => [h, row[j]]));
      const payload = Buffer.from(JSON.stringify({ '@context': ['https://www.w3.org/ns/credentials/v2'], id: `urn:uuid:${i}`, credentialSubject: subject })).toString('base64url');
      const input = `${protectedHeader}.${payload}`;
      const signature = sign(null, Buffer.from(input), privateKey).toString('base64url');
      batch.push([String(i).padStart(12, '0'), row[0]!, `${input}.${signature}`]);
      if (batch.length === 1000) {
        insertMany(batch);
        batch = [];
      }
    });
    if (batch.length > 0) insertMany(batch);
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runImportBench(options: { rows?: number; log?: (line: string) => void } = {}): Promise<ImportBenchResult> {
  const count = options.rows ?? 100_000;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'elicence-import-bench-'));
  try {
    const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys') };
    mkdirSync(env.DATA_DIR, { recursive: true });
    const store = openSqliteStore(join(env.DATA_DIR, 'elicence.db'));
    await bootstrap({ store, keys: createFileKeyStore(env.KEYS_DIR), clock: systemClock, config: defaultConfig('http://localhost:8787') });
    store.close();
    const register = generateRegister(count);
    const file = join(dir, 'register.csv');
    writeFileSync(file, toCsv(register));
    log(`generated ${count} rows`);

    const started = performance.now();
    const issuer = await localIssuer({ env });
    let summary: Awaited<ReturnType<typeof runImport>>;
    try {
      summary = await runImport({ file, type: 'BusinessLicence', issuer, batchSize: 1000 });
    } finally {
      await issuer.close();
    }
    const endToEndSeconds = (performance.now() - started) / 1000;
    if (summary.issuedRows !== count) throw new Error(`issued ${summary.issuedRows} of ${count} rows`);
    log(`end to end ${endToEndSeconds.toFixed(1)} s`);
    const floor = floorSeconds(register.rows, register.header);
    return {
      rows: count,
      endToEndSeconds,
      checkSeconds: summary.validateSeconds,
      issueSeconds: summary.issueSeconds,
      floorSeconds: floor,
      ratio: endToEndSeconds / floor,
      rowsPerSecond: count / endToEndSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[] = process.argv.slice(2)): Promise<ImportBenchResult> {
  const rows = args[0] ? Number(args[0]) : 100_000;
  const result = await runImportBench({ rows, log: (line) => console.error(line) });
  console.log(`import of ${result.rows} rows (--local, batches of 1000)`);
  console.log(
    `  end to end        ${result.endToEndSeconds.toFixed(1)} s  (${Math.round(result.rowsPerSecond)} rows/s; check ${result.checkSeconds.toFixed(1)} s, issue+results ${result.issueSeconds.toFixed(1)} s)`,
  );
  console.log(`  floor             ${result.floorSeconds.toFixed(1)} s  (Ed25519 sign + 1000-row insert transactions)`);
  console.log(`  ratio             ${result.ratio.toFixed(1)}x   target: end to end at most 30 s`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
