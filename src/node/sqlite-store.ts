/** The embedded default: a better-sqlite3 file in WAL mode, migrated at start-up. */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import * as schema from '../db/schema.js';
import { asConstraintViolation, createExclusiveRunner, type Db, type Store } from '../db/store.js';

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
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const exclusive = createExclusiveRunner();
  return {
    db: db as unknown as Db,
    sqlite,
    exclusive,
    async commit(statements) {
      try {
        sqlite.transaction(() => {
          for (const statement of statements) statement.run();
        })();
      } catch (error) {
        throw asConstraintViolation(error) ?? error;
      }
    },
    close: () => sqlite.close(),
  };
}
