/**
 * The Store on Cloudflare D1: the same drizzle schema, a batch for atomic commits (D1 runs a batch
 * as one transaction and rolls it all back if any statement fails), the per-isolate mutex for
 * read-then-commit sections, and D1's constraint errors normalised like better-sqlite3's.
 */
import type { BatchItem } from 'drizzle-orm/batch';
import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../db/schema.js';
import { asConstraintViolation, boundBuilder, createExclusiveRunner, type Db, insertBuilder, type Statement, type Store } from '../db/store.js';
import type { D1Database } from './cloudflare.js';

export function createD1Store(binding: D1Database): Store {
  const db = drizzle(binding as never, { schema });
  const exclusive = createExclusiveRunner();
  const commit = async (statements: readonly Statement[]): Promise<void> => {
    if (statements.length === 0) return;
    try {
      await db.batch(statements as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
    } catch (error) {
      throw asConstraintViolation(error) ?? error;
    }
  };
  return {
    db: db as unknown as Db,
    exclusive,
    insert: (table, rows) => insertBuilder(db as unknown as Db, table, rows),
    bound: (_key, build, values) => boundBuilder(build, values),
    commit,
    apply: async (statements) => {
      await commit(statements);
      return { durable: Promise.resolve() };
    },
    flushed: () => Promise.resolve(),
  };
}
