/**
 * The database handed to the app: a drizzle SQLite database (better-sqlite3 or D1) plus the two things
 * that differ between them: how a set of writes commits atomically, and how a constraint failure looks.
 */
import type { BaseSQLiteDatabase, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

export type Db = BaseSQLiteDatabase<'sync' | 'async', unknown, typeof schema>;

/** A drizzle insert/update/delete builder, not yet executed. */
export type Statement = { run(): unknown };

export interface Store {
  readonly db: Db;
  /** Commits every statement or none (a transaction on better-sqlite3, a batch on D1); resolves once durable. */
  commit(statements: readonly Statement[]): Promise<void>;
  /**
   * Applies every statement or none now, so later reads on this store see them, and hands back when
   * they will be durable. better-sqlite3 commits the writes of one event-loop turn together (group
   * commit): a caller inside `exclusive` releases it before awaiting `durable`, so the next section can
   * join the same commit. On D1 `durable` has already settled.
   */
  apply(statements: readonly Statement[]): Promise<{ durable: Promise<void> }>;
  /** Settles once everything applied so far is durable: a response built from such reads waits for it. */
  flushed(): Promise<void>;
  /**
   * Runs `fn` exclusively within this process, so a read-then-commit section (the audit chain head,
   * status list capacity) does not interleave with another request's. Across processes the unique
   * constraints still decide, and callers retry on ConstraintViolation.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * An insert of `rows` (every row with the same columns) for a later `commit`. Same effect as
   * `db.insert(table).values(rows)`; better-sqlite3 prepares it once per table and shape, because
   * building the SQL costs more than running it on the issuing hot path.
   */
  insert<T extends SQLiteTable>(table: T, rows: readonly T['$inferInsert'][]): Statement;
  /**
   * The statement `build` makes, with `values` as its parameters (`param(name)` where a value goes).
   * better-sqlite3 builds and prepares it once per `key` with placeholders and binds the values; a D1
   * batch needs the builder itself, so there `param` gives the values.
   */
  bound(key: string, build: (param: (name: string) => unknown) => PreparableStatement, values: Readonly<Record<string, unknown>>): Statement;
}

/** A drizzle builder that can also be prepared with placeholders. */
export type PreparableStatement = Statement & { prepare(): { run(values?: Record<string, unknown>): unknown } };

/** The portable form of Store.bound: the builder made with the values. */
export function boundBuilder(build: (param: (name: string) => unknown) => Statement, values: Readonly<Record<string, unknown>>): Statement {
  return build((name) => {
    if (!(name in values)) throw new TypeError(`no value for parameter ${name}`);
    return values[name];
  });
}

/** The portable form of Store.insert: a drizzle insert builder. */
export function insertBuilder<T extends SQLiteTable>(db: Db, table: T, rows: readonly T['$inferInsert'][]): Statement {
  return db.insert(table).values(rows as T['$inferInsert'][]);
}

export class ConstraintViolation extends Error {
  override readonly name = 'ConstraintViolation';
  constructor(
    readonly kind: 'unique' | 'check' | 'other',
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`constraint failed: ${detail}`, options);
  }
}

/** Normalises the drivers' constraint errors (better-sqlite3 and D1 word them the same way). */
export function asConstraintViolation(error: unknown): ConstraintViolation | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const match = /(UNIQUE|PRIMARY KEY|CHECK|FOREIGN KEY|NOT NULL) constraint failed: ?([^\n]*)/.exec(e.message);
    if (match) {
      const kind = match[1] === 'UNIQUE' || match[1] === 'PRIMARY KEY' ? 'unique' : match[1] === 'CHECK' ? 'check' : 'other';
      return new ConstraintViolation(kind, match[2]!.trim(), { cause: error });
    }
  }
  return undefined;
}

/** A promise-chain mutex: one per store instance, never a module singleton. */
export function createExclusiveRunner(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
