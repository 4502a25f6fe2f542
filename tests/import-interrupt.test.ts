/**
 * Stopping an import: Ctrl-C prints one clear line that the progress bar does not overwrite and stops
 * after the batches in flight; the results file lists every row the service acknowledged (also when a
 * batch fails while others are in flight); a re-run says how many rows were new and how many an earlier
 * run had issued.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { type AppDeps, defaultConfig, systemClock } from '../src/app/deps.js';
import { ElicenceError } from '../src/core/errors.js';
import { BUSINESS_LICENCE } from '../src/core/licence-types.js';
import type { BatchItem, BatchOutcome, LicenceIssuer } from '../src/import/issuers.js';
import { createProgress } from '../src/import/progress.js';
import { runImport } from '../src/import/run-import.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { openSqliteStore, type SqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { generateRegister, toCsv } from './fixtures/import/register.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'elk_interrupt-test-token-with-every-scope';
const readCsv = (path: string) => parseCsv(readFileSync(path, 'utf8'), { bom: true, columns: true }) as Record<string, string>[];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-interrupt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('progress', () => {
  it('interrupt() stops the bar on its own line and nothing redraws over the message', () => {
    let out = '';
    const stream = {
      isTTY: true,
      columns: 100,
      write: (text: string) => {
        out += text;
        return true;
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => stream,
      removeListener: () => stream,
    };
    const progress = createProgress(stream as never);
    progress.start(100);
    progress.update(10);
    progress.interrupt('stopping: no new batches');
    const at = out.length;
    progress.update(50);
    progress.stop();
    expect(out.slice(at)).toBe('');
    expect(out.endsWith('stopping: no new batches\n')).toBe(true);
    expect(out.split('stopping: no new batches')[0]!.endsWith('\n')).toBe(true);
  });
});

/** An issuer whose batches answer after `delay` ms; `fail` makes the batch starting at that row throw. */
function slowIssuer(options: { delay: number; fail?: number; seen?: Set<string> }): LicenceIssuer & { issued: number } {
  const seen = options.seen ?? new Set<string>();
  const issuer = {
    label: 'test',
    maxBatchSize: 1000,
    concurrency: 3,
    defaultValidityDays: 1825,
    issued: 0,
    licenceType: async () => BUSINESS_LICENCE,
    async issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome> {
      const first = items[0]!.idempotencyKey;
      await new Promise((resolve) => setTimeout(resolve, options.delay));
      if (options.fail !== undefined && items.some((_, i) => i === 0 && seen.size === options.fail)) throw new ElicenceError('ERR_INTERNAL', `batch at ${first} failed`);
      let already = 0;
      const licences = items.map((item) => {
        if (seen.has(item.idempotencyKey)) already++;
        else issuer.issued++;
        seen.add(item.idempotencyKey);
        return { id: `id-${item.idempotencyKey.slice(5, 17)}`, credential: 'x.y.z', qrText: 'EL1:TEST', validFrom: '2026-01-01T00:00:00Z', validUntil: '2031-01-01T00:00:00Z' };
      });
      return { ok: true, licences, alreadyIssued: already };
    },
    async close() {},
  };
  return issuer;
}

describe('runImport, stopped', () => {
  it('stops after the batches in flight, writes every acknowledged row, and a re-run counts new and already issued rows', async () => {
    const file = join(dir, 'stop.csv');
    writeFileSync(file, toCsv(generateRegister(1000, { seed: 3 })));
    const seen = new Set<string>();
    const controller = new AbortController();
    const issuer = slowIssuer({ delay: 30, seen });
    const first = await runImport({
      file,
      type: 'BusinessLicence',
      issuer,
      batchSize: 50,
      outPath: join(dir, 'stop.results.csv'),
      signal: controller.signal,
      afterBatch: (n) => (n >= 200 ? controller.abort() : undefined),
    });
    expect(first.interrupted).toBe(true);
    const partial = readCsv(join(dir, 'stop.results.csv.partial'));
    expect(partial.length).toBe(issuer.issued);
    expect(partial.length).toBe(first.issuedRows);
    expect(first).toMatchObject({ newRows: issuer.issued, alreadyIssuedRows: 0 });
    expect(issuer.issued).toBeLessThan(1000);

    const again = await runImport({ file, type: 'BusinessLicence', issuer: slowIssuer({ delay: 1, seen }), batchSize: 50, outPath: join(dir, 'stop.results.csv') });
    expect(again).toMatchObject({ interrupted: false, issuedRows: 1000, alreadyIssuedRows: first.issuedRows, newRows: 1000 - first.issuedRows });
    expect(readCsv(join(dir, 'stop.results.csv')).length).toBe(1000);
  });

  it('on a failed batch, still writes the rows of the batches in flight that the service acknowledged', async () => {
    const file = join(dir, 'fail.csv');
    writeFileSync(file, toCsv(generateRegister(600, { seed: 4 })));
    const seen = new Set<string>();
    const issuer = slowIssuer({ delay: 20, fail: 100, seen });
    await expect(runImport({ file, type: 'BusinessLicence', issuer, batchSize: 50, outPath: join(dir, 'fail.results.csv') })).rejects.toThrow('failed');
    expect(readCsv(join(dir, 'fail.results.csv.partial')).length).toBe(seen.size);
  });

  it('stopped while the file is read and checked, sends nothing', async () => {
    const file = join(dir, 'early.csv');
    writeFileSync(file, toCsv(generateRegister(10, { seed: 5 })));
    const issuer = slowIssuer({ delay: 1 });
    const summary = await runImport({ file, type: 'BusinessLicence', issuer, signal: AbortSignal.abort() });
    expect(summary).toMatchObject({ interrupted: true, issuedRows: 0, outPath: undefined });
    expect(issuer.issued).toBe(0);
  });
});

describe('the import command, Ctrl-C over HTTP', () => {
  let store: SqliteStore;
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    store = openSqliteStore(join(dataDir, 'elicence.db'));
    const deps: AppDeps = { store, keys: createFileKeyStore(join(dir, 'keys')), clock: systemClock, config: defaultConfig('http://localhost:8787') };
    await bootstrap(deps, { devToken: TOKEN });
    const server = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = async () => {
      await new Promise((resolve) => server.close(resolve));
      store.close();
    };
  });
  afterAll(async () => close());
  const count = () => (store.sqlite.prepare('SELECT count(*) AS n FROM licences').get() as { n: number }).n;

  const run = (file: string, results: string, interruptAt?: number) =>
    new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'import', file, '--type', 'BusinessLicence', '--server', url, '--token', TOKEN, '--batch-size', '50', '--out', results],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      let sent = false;
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const done = [...stderr.matchAll(/issuing: (\d+)\//gu)].map((m) => Number(m[1]));
        if (interruptAt !== undefined && !sent && done.some((n) => n >= interruptAt)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stderr }));
    });

  it('one Ctrl-C: one clear line, exit 2, every acknowledged row in the results; the re-run says what was new', async () => {
    const file = join(dir, 'cli.csv');
    writeFileSync(file, toCsv(generateRegister(3000, { seed: 6 })));
    const results = join(dir, 'cli.results.csv');
    const first = await run(file, results, 300);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stderr.match(/^stopping: /gmu)).toHaveLength(1);
    expect(first.stderr).toContain('every row the service acknowledged is in');
    const issued = count();
    expect(issued).toBeGreaterThan(0);
    expect(issued).toBeLessThan(3000);
    // The client waited for its batches in flight: each licence the service issued is in the results.
    const rows = readCsv(`${results}.partial`);
    expect(rows.length).toBe(issued);
    const stored = new Set((store.sqlite.prepare('SELECT id FROM licences').all() as { id: string }[]).map((r) => r.id));
    expect(rows.every((r) => stored.has(r['licenceId']!))).toBe(true);

    const second = await run(file, results);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`3000 rows mapped to a licence`);
    expect(second.stderr).toContain(`${3000 - issued} new, ${issued} already issued by an earlier run`);
    expect(count()).toBe(3000);
  }, 120_000);
});
