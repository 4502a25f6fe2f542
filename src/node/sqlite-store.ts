/** The embedded default: a better-sqlite3 file in WAL mode, migrated at start-up. */
import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { getTableConfig, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
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
  cachePreparedStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
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
    close: () => sqlite.close(),
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
  const cache = new Map<string, { run(values: Record<string, unknown>): unknown }>();
  return (table, rows) => {
    const columns = Object.keys(rows[0] ?? {});
    const key = `${getTableConfig(table as SQLiteTable).name}|${columns.join(',')}|${rows.length}`;
    let prepared = cache.get(key);
    if (!prepared) {
      const placeholders = rows.map((_, r) => Object.fromEntries(columns.map((c) => [c, sql.placeholder(`${r}.${c}`)])));
      prepared = db.insert(table).values(placeholders as never).prepare() as unknown as { run(values: Record<string, unknown>): unknown };
      if (cache.size > 256) cache.clear();
      cache.set(key, prepared);
    }
    const values: Record<string, unknown> = {};
    rows.forEach((row, r) => {
      for (const c of columns) values[`${r}.${c}`] = (row as Record<string, unknown>)[c] ?? null;
    });
    const statement = prepared;
    return { run: () => statement.run(values) };
  };
}
