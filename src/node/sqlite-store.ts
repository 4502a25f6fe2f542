/** The embedded default: a better-sqlite3 file in WAL mode, migrated at start-up. */
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as schema from '../db/schema.js';
import { asConstraintViolation, createExclusiveRunner, type Db, type Statement, type Store } from '../db/store.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface SqliteStore extends Store {
  readonly sqlite: Database.Database;
  close(): void;
}

/** Opens (creating if needed) and migrates a database; `:memory:` gives a private in-memory one. */
export function openSqliteStore(filename: string): SqliteStore {
  const sqlite = new Database(filename);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // A 64 MB page cache and memory-mapped reads: index pages of a large register stay in memory.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('mmap_size = 268435456');
  cachePreparedStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const stopCheckpoints = startBackgroundCheckpoints(filename, sqlite);
  const exclusive = createExclusiveRunner();
  const runAll = sqlite.transaction((statements: readonly Statement[]) => {
    for (const statement of statements) statement.run();
  });
  return {
    db: db as unknown as Db,
    sqlite,
    exclusive,
    async commit(statements) {
      try {
        runAll(statements);
      } catch (error) {
        throw asConstraintViolation(error) ?? error;
      }
    },
    insert: preparedInserts(db as unknown as Db),
    close: () => {
      stopCheckpoints();
      sqlite.close();
    },
  };
}

/**
 * drizzle prepares a fresh better-sqlite3 statement for every query; preparing costs more than most
 * of our queries take to run. Statements are reusable, so cache them by SQL text (bounded). drizzle
 * switches statements into raw (array) mode when it maps rows itself, so reset that on every hand-out.
 */
function cachePreparedStatements(sqlite: Database.Database, limit = 512): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      if (cache.size >= limit) cache.clear();
      statement = prepare(source);
      cache.set(source, statement);
    } else if (statement.reader) {
      statement.raw(false);
    }
    return statement;
  }) as typeof sqlite.prepare;
}

/**
 * Store.insert for better-sqlite3: one prepared multi-row insert per (table, columns, row count), with
 * a placeholder per cell, so the hot path binds values instead of rebuilding SQL.
 */
function preparedInserts(db: Db): Store['insert'] {
  type Prepared = { statement: { run(values: Record<string, unknown>): unknown }; names: string[][] };
  const cache = new Map<string, Prepared>();
  return (table, rows) => {
    const columns = Object.keys(rows[0] ?? {});
    const key = `${getTableConfig(table as SQLiteTable).name}|${columns.join(',')}|${rows.length}`;
    let prepared = cache.get(key);
    if (!prepared) {
      const names = rows.map((_, r) => columns.map((c) => `${r}.${c}`));
      const placeholders = names.map((rowNames) => Object.fromEntries(columns.map((c, i) => [c, sql.placeholder(rowNames[i]!)])));
      const statement = db.insert(table).values(placeholders as never).prepare() as unknown as Prepared['statement'];
      if (cache.size > 256) cache.clear();
      prepared = { statement, names };
      cache.set(key, prepared);
    }
    const { statement, names } = prepared;
    const values: Record<string, unknown> = {};
    rows.forEach((row, r) => {
      const rowNames = names[r]!;
      columns.forEach((c, i) => {
        values[rowNames[i]!] = (row as Record<string, unknown>)[c] ?? null;
      });
    });
    return { run: () => statement.run(values) };
  };
}

const CHECKPOINT_WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename);
db.pragma('busy_timeout = 5000');
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy or closing: next round */ }
}, workerData.intervalMs);
`;

/**
 * WAL checkpoints copy pages into the database file and fsync it; done by the serving connection they
 * stall every request behind them. A worker thread with its own connection checkpoints instead
 * (PASSIVE: it never blocks writers), and the serving connection's auto-checkpoint only remains as a
 * backstop for a WAL that grows past ~200 MB. In-memory databases have no WAL to checkpoint.
 */
function startBackgroundCheckpoints(filename: string, sqlite: Database.Database, intervalMs = 500): () => void {
  if (filename === ':memory:' || filename === '') return () => undefined;
  sqlite.pragma('wal_autocheckpoint = 50000');
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { filename, driver, intervalMs } });
  worker.unref();
  worker.on('error', (error) => {
    console.warn('background WAL checkpoints stopped; falling back to automatic ones:', error.message);
    sqlite.pragma('wal_autocheckpoint = 1000');
  });
  return () => void worker.terminate();
}
