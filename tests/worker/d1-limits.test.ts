/** D1 facts the adapter and the services rely on, checked in workerd: the parameter limit, atomic batches, constraint errors. */
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { expect, test } from 'vitest';
import type { D1Database } from '../../src/worker/cloudflare.js';
import { createD1Store } from '../../src/worker/d1-store.js';

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

test('local D1 refuses more than 100 bound parameters per statement, as production D1 does', async () => {
  const db = env.DB as D1Database;
  const ok = await db
    .prepare(`select 1 as one where 1 in (${placeholders(100)})`)
    .bind(...Array(100).fill(1))
    .first();
  expect(ok).toEqual({ one: 1 });
  await expect(
    db
      .prepare(`select 1 where 1 in (${placeholders(101)})`)
      .bind(...Array(101).fill(1))
      .first(),
  ).rejects.toThrow(/too many SQL variables/);
});

test('commit is atomic and reports constraint failures as ConstraintViolation', async () => {
  const store = createD1Store(env.DB as D1Database);
  await store.commit([store.db.run(sql`create table if not exists t_atomic (id integer primary key)`) as never]);
  await expect(
    store.commit([store.db.run(sql`insert into t_atomic (id) values (1)`) as never, store.db.run(sql`insert into t_atomic (id) values (1)`) as never]),
  ).rejects.toMatchObject({ name: 'ConstraintViolation', kind: 'unique' });
  const rows = await store.db.all<{ n: number }>(sql`select count(*) as n from t_atomic`);
  expect(rows[0]!.n).toBe(0);
});
