/** The embedded default: a better-sqlite3 file in WAL mode, migrated at start-up. */

import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
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
  // NORMAL does not sync the WAL on commit: groupCommit does, off the event loop, before anything
  // is acknowledged (FULL's guarantee: an issued licence and its status slot survive a power cut).
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
  const group = groupCommit(sqlite, filename === ':memory:' || filename === '' ? undefined : `${filename}-wal`);
  const apply: Store['apply'] = async (statements) => {
    const durable = group.join();
    try {
      // Inside the group's open transaction better-sqlite3 runs this as a savepoint: all or nothing.
      runAll(statements);
    } catch (error) {
      group.failIfRolledBack(error);
      throw asConstraintViolation(error) ?? error;
    }
    return { durable };
  };
  return {
    db: db as unknown as Db,
    sqlite,
    exclusive,
    apply,
    commit: async (statements) => (await apply(statements)).durable,
    flushed: group.flushed,
    insert: preparedInserts(db as unknown as Db),
    bound: preparedBound(),
    close: () => {
      group.close();
      stopCheckpoints();
      sqlite.close();
    },
  };
}

/**
 * Group commit: the first write of an event-loop turn opens a transaction, every write in that turn
 * joins it as a savepoint (a failing write rolls back only its own), and at the end of the turn one
 * COMMIT and an fdatasync of the WAL make them all durable. The sync runs on a libuv thread, so the
 * event loop goes on serving while the disk works; callers answer only once `durable` settles.
 */
function groupCommit(sqlite: Database.Database, walFile: string | undefined) {
  type Group = { durable: Promise<void>; resolve: () => void; reject: (error: unknown) => void };
  let open: Group | undefined;
  /** The last group committed or open: a sync covers every write before it, so it settles last. */
  let latest: Promise<void> = Promise.resolve();
  let walFd: number | undefined;
  const walDescriptor = () => (walFd ??= openSync(walFile!, 'r'));
  /** Committed groups the sync in flight does not cover (they committed after it started). */
  let unsynced: Group[] = [];
  /** The groups the sync in flight covers. */
  let syncing: Group[] | undefined;
  // One sync at a time, covering every group committed before it starts: syncs that queued in the
  // kernel would also hold libuv's four threads, which signing needs.
  const sync = () => {
    if (syncing || unsynced.length === 0) return;
    const batch = unsynced;
    syncing = batch;
    unsynced = [];
    const settle = (error: unknown) => {
      if (syncing !== batch) return; // close() synced and settled them already
      syncing = undefined;
      for (const group of batch) error ? group.reject(error) : group.resolve();
      sync();
    };
    try {
      fdatasync(walDescriptor(), settle);
    } catch (error) {
      settle(error);
    }
  };
  const flush = () => {
    const group = open;
    if (!group) return;
    open = undefined;
    try {
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      group.reject(error);
      return;
    }
    if (walFile === undefined) return group.resolve();
    unsynced.push(group);
    sync();
  };
  return {
    /** Opens the turn's transaction if needed; the promise settles when it is durable. */
    join(): Promise<void> {
      if (!open) {
        sqlite.exec('BEGIN IMMEDIATE');
        let resolve!: () => void;
        let reject!: (error: unknown) => void;
        const durable = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        // Nobody may be waiting yet; a failed commit is reported to those who are.
        durable.catch(() => undefined);
        open = { durable, resolve, reject };
        latest = durable;
        setImmediate(flush);
      }
      return open.durable;
    },
    /**
     * Some errors (a full disk, I/O) make SQLite roll back the whole transaction, not only the
     * savepoint: the group's earlier writes are gone, so its writers fail now, and the next write
     * opens a new group instead of running outside any.
     */
    failIfRolledBack(error: unknown): void {
      if (!open || sqlite.inTransaction) return;
      const group = open;
      open = undefined;
      group.reject(error);
    },
    // A failed group already failed its writers; readers are not failed after the fact.
    flushed: (): Promise<void> => latest.catch(() => undefined),
    /** Commits what is open and syncs everything committed, synchronously (before closing). */
    close(): void {
      flush();
      const pending = [...(syncing ?? []), ...unsynced];
      syncing = undefined;
      unsynced = [];
      try {
        if (pending.length > 0) fdatasyncSync(walDescriptor());
        for (const group of pending) group.resolve();
      } catch (error) {
        for (const group of pending) group.reject(error);
      }
      if (walFd !== undefined) closeSync(walFd);
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
      const statement = db
        .insert(table)
        .values(placeholders as never)
        .prepare() as unknown as Prepared['statement'];
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

/** Store.bound for better-sqlite3: built and prepared once per key, then only bound. */
function preparedBound(): Store['bound'] {
  const cache = new Map<string, { run(values?: Record<string, unknown>): unknown }>();
  return (key, build, values) => {
    let statement = cache.get(key);
    if (!statement) {
      statement = build((name) => sql.placeholder(name)).prepare();
      cache.set(key, statement);
    }
    const prepared = statement;
    return { run: () => prepared.run({ ...values }) };
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
