/**
 * Group commit on better-sqlite3: writes of one event-loop turn share a transaction and one WAL sync;
 * each write is still all-or-nothing on its own, and nothing counts as done before it is durable.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { apiTokens } from '../src/db/schema.js';
import { ConstraintViolation } from '../src/db/store.js';
import { openSqliteStore, type SqliteStore } from '../src/node/sqlite-store.js';
import { verifyAuditChain } from '../src/services/audit.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

let dir: string;
let store: SqliteStore | undefined;
let t: TestContext | undefined;
afterEach(() => {
  t?.close();
  store?.close();
  t = store = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const token = (id: string, hash = `hash-${id}`) => ({ id, tokenHash: hash, authorityId: 'a', name: id, actions: '["read"]', createdAt: 1 });
const tokenIds = (db: Database.Database) => (db.prepare('SELECT id FROM api_tokens ORDER BY id').all() as { id: string }[]).map((r) => r.id);

function openFileStore(): { store: SqliteStore; file: string } {
  dir = mkdtempSync(join(tmpdir(), 'elicence-group-'));
  const file = join(dir, 'db.sqlite');
  return { store: openSqliteStore(file), file };
}

/** Counts the COMMITs the store's connection runs. */
function countCommits(sqlite: Database.Database): () => number {
  let commits = 0;
  const exec = sqlite.exec.bind(sqlite);
  sqlite.exec = ((source: string) => {
    if (source === 'COMMIT') commits++;
    return exec(source);
  }) as typeof sqlite.exec;
  return () => commits;
}

describe('group commit (better-sqlite3)', () => {
  it('writes of one turn share one commit, and other connections see them only once durable', async () => {
    const opened = openFileStore();
    store = opened.store;
    const commits = countCommits(store.sqlite);
    const reader = new Database(opened.file, { readonly: true });
    try {
      const applied = await Promise.all(['t1', 't2', 't3'].map((id) => store!.apply([store!.insert(apiTokens, [token(id)])])));
      // Applied: this connection sees them; nothing is committed yet, so another connection does not.
      expect(tokenIds(store.sqlite)).toEqual(['t1', 't2', 't3']);
      expect(tokenIds(reader)).toEqual([]);
      await Promise.all(applied.map((a) => a.durable));
      expect(tokenIds(reader)).toEqual(['t1', 't2', 't3']);
      expect(commits()).toBe(1);
    } finally {
      reader.close();
    }
  });

  it('a failing write rolls back only itself; the rest of its group commits', async () => {
    store = openFileStore().store;
    const first = store.apply([store.insert(apiTokens, [token('t1')])]);
    // Two statements, the second a duplicate token hash: neither may land.
    const failing = store.apply([store.insert(apiTokens, [token('t2')]), store.insert(apiTokens, [token('t3', 'hash-t1')])]);
    const third = store.apply([store.insert(apiTokens, [token('t4')])]);
    await expect(failing).rejects.toBeInstanceOf(ConstraintViolation);
    await (await first).durable;
    await (await third).durable;
    expect(tokenIds(store.sqlite)).toEqual(['t1', 't4']);
  });

  it('when SQLite rolls back the whole group (disk full), every writer in it fails and later writes start afresh', async () => {
    store = openFileStore().store;
    await store.commit([store.insert(apiTokens, [token('t0')])]);
    const pages = (store.sqlite.pragma('page_count', { simple: true }) as number) + 1;
    store.sqlite.pragma(`max_page_count = ${pages}`);
    const first = await store.apply([store.insert(apiTokens, [token('t1')])]);
    // Far more than one page: SQLITE_FULL.
    const huge = { ...token('t2'), name: 'x'.repeat(200_000) };
    const failing = store.apply([store.insert(apiTokens, [huge])]);
    await expect(failing).rejects.toThrow(/full/);
    // SQLite rolled back the whole transaction, not only the failing savepoint.
    expect(store.sqlite.inTransaction).toBe(false);
    store.sqlite.pragma('max_page_count = 1073741823');
    const later = await store.apply([store.insert(apiTokens, [token('t3')])]);
    await later.durable;
    await expect(first.durable).rejects.toThrow(/full/);
    expect(tokenIds(store.sqlite)).toEqual(['t0', 't3']);
  });

  it('commit() resolves only when durable; flushed() waits for what is applied', async () => {
    store = openFileStore().store;
    const { durable } = await store.apply([store.insert(apiTokens, [token('t1')])]);
    let settled = false;
    const flushed = store.flushed().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await durable;
    await flushed;
    expect(settled).toBe(true);
    await store.commit([store.insert(apiTokens, [token('t2')])]);
    expect(tokenIds(store.sqlite)).toEqual(['t1', 't2']);
  });

  it('groups committed while a sync is in flight are all made durable by the next one', async () => {
    store = openFileStore().store;
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      pending.push((await store.apply([store.insert(apiTokens, [token(`t${String(i).padStart(2, '0')}`)])])).durable);
      await new Promise((resolve) => setImmediate(resolve)); // next turn: a new group
    }
    await Promise.all(pending);
    expect(tokenIds(store.sqlite)).toHaveLength(40);
  });

  it('close() syncs groups whose sync is still in flight or queued', async () => {
    const opened = openFileStore();
    const first = await opened.store.apply([opened.store.insert(apiTokens, [token('t1')])]);
    await new Promise((resolve) => setImmediate(resolve)); // committed, its sync started
    const second = await opened.store.apply([opened.store.insert(apiTokens, [token('t2')])]);
    opened.store.close();
    await Promise.all([first.durable, second.durable]);
    const again = new Database(opened.file, { readonly: true });
    try {
      expect(tokenIds(again)).toEqual(['t1', 't2']);
    } finally {
      again.close();
    }
  });

  it('close() commits and syncs an open group', async () => {
    const opened = openFileStore();
    await opened.store.apply([opened.store.insert(apiTokens, [token('t1')])]);
    opened.store.close();
    const again = new Database(opened.file, { readonly: true });
    try {
      expect(tokenIds(again)).toEqual(['t1']);
    } finally {
      again.close();
    }
  });

  // (Under real HTTP load the crash test checks the chain too, with many issues per commit.)
  it('concurrent issues through the app keep one unbroken audit chain', { timeout: 30_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-group-'));
    t = await createTestContext({ filename: join(dir, 'db.sqlite') });
    const responses = await Promise.all(Array.from({ length: 64 }, () => t!.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })));
    expect(responses.map((r) => r.status)).toEqual(Array(64).fill(201));
    const chain = await verifyAuditChain(t.store.db);
    expect(chain.ok).toBe(true);
    expect((t.store.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'licence.issued'").get() as { n: number }).n).toBe(64);
  });
});
