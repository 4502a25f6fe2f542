/**
 * Status registry benchmark.
 * 1. Time to publish a list after a change (`publishedStatusList`: read the set bits from the licences
 *    table, GZIP, sign, cache), for 131,072 and 1,048,576 entries with 1% set, beside the floor: raw
 *    `gzipSync` (level 6) of the same bitstring.
 * 2. Status changes per second over HTTP (suspend/reinstate, 32 keep-alive connections, a few seconds)
 *    against the app on @hono/node-server in a child process on a temp database, beside the floor: the
 *    same three writes (licence update, list version bump, hashed audit insert) as raw better-sqlite3
 *    transactions, one at a time.
 * Standalone: `npx tsx bench/status.ts`; a runner calls `benchStatus()`.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createApp } from '../src/app/app.js';
import { type AppDeps, defaultConfig, systemClock } from '../src/app/deps.js';
import { Bitstring } from '../src/core/status-list.js';
import { openSqliteStore, type SqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { DEV_AUTHORITY } from '../src/services/dev-setup.js';
import { publishedStatusList } from '../src/services/status-publishing.js';
import { createMemoryKeyStore } from '../tests/helpers/memory-key-store.js';
import { creditCodeOf } from './lib/credit-codes.js';

const BENCH_TOKEN = 'elk_bench-token-with-every-scope-000000';

export interface PublishRow {
  entries: number;
  /** Licences holding an index of the list (1% = only the revoked ones; all = a list that filled up). */
  allocated: number;
  setBits: number;
  /** Median ms of publishedStatusList after a version bump. */
  publishMs: number;
  /** Median ms of gzipSync(level 6) of the same bitstring: the floor. */
  gzipMs: number;
  encodedChars: number;
  ratio: number;
}

export interface StatusBenchResult {
  publish: PublishRow[];
  http: { connections: number; durationMs: number; changes: number; errors: number; perSecond: number; readsPerSecond: number };
  rawCommitsPerSecond: number;
  httpRatio: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'elicence-bench-status-'));
}

/**
 * Inserts `count` revoked licences at distinct random indices of one list, straight into the table;
 * with `full`, every other index is taken by an active licence (a list that has filled up).
 */
function seedList(store: SqliteStore, listId: string, size: number, count: number, kid: string, full: boolean): Bitstring {
  const bits = new Bitstring(size);
  const insert = store.sqlite.prepare(
    `INSERT INTO licences (id, authority_id, type, holder_credit_code, holder_name, status, status_reason, valid_from, valid_until, issued_at, updated_at, kid, jws,
       revocation_list_id, revocation_index, suspension_list_id, suspension_index)
     VALUES (?, ?, 'BusinessLicence', '91330106MA2CFX7K5Y', NULL, ?, NULL, 0, 4102444800000, 0, 0, ?, 'x', ?, ?, ?, ?)`,
  );
  store.sqlite.transaction(() => {
    let n = 0;
    while (n < count) {
      const index = Math.floor(Math.random() * size);
      if (bits.get(index)) continue;
      bits.set(index);
      insert.run(`${listId}-${index}`, DEV_AUTHORITY.id, 'revoked', kid, listId, index, `${listId}-s`, index);
      n++;
    }
    if (full)
      for (let index = 0; index < size; index++) if (!bits.get(index)) insert.run(`${listId}-${index}`, DEV_AUTHORITY.id, 'active', kid, listId, index, `${listId}-s`, index);
  })();
  return bits;
}

async function benchPublish(deps: AppDeps & { store: SqliteStore }, entries: number, rounds: number, full: boolean): Promise<PublishRow> {
  const { store } = deps;
  const seq = entries + (full ? 1 : 0);
  const listId = `${DEV_AUTHORITY.id}/revocation/${seq}`;
  store.sqlite
    .prepare(`INSERT INTO status_lists (id, authority_id, purpose, seq, size, allocated, version, created_at) VALUES (?, ?, 'revocation', ?, ?, ?, 0, 0)`)
    .run(listId, DEV_AUTHORITY.id, seq, entries, full ? entries : Math.floor(entries / 100));
  const kid = (store.sqlite.prepare(`SELECT kid FROM signing_keys WHERE owner_kind = 'authority' AND status = 'active'`).get() as { kid: string }).kid;
  const bits = seedList(store, listId, entries, Math.floor(entries / 100), kid, full);
  const bump = store.sqlite.prepare('UPDATE status_lists SET version = version + 1 WHERE id = ?');
  await publishedStatusList(deps, listId); // warm-up
  const publish: number[] = [];
  const gzip: number[] = [];
  let encodedChars = 0;
  for (let r = 0; r < rounds; r++) {
    bump.run(listId); // a change: the next publication must rebuild
    const t0 = performance.now();
    const list = await publishedStatusList(deps, listId);
    publish.push(performance.now() - t0);
    encodedChars = String((list!.credential['credentialSubject'] as Record<string, unknown>)['encodedList']).length;
    const t1 = performance.now();
    gzipSync(bits.bytes, { level: 6 });
    gzip.push(performance.now() - t1);
  }
  const publishMs = median(publish);
  const gzipMs = median(gzip);
  return { entries, allocated: full ? entries : bits.count(), setBits: bits.count(), publishMs, gzipMs, encodedChars, ratio: publishMs / gzipMs };
}

/** The writes of one status change, as raw prepared statements in one transaction each. */
function rawCommitRate(durationMs: number): number {
  const dir = tempDir();
  const store = openSqliteStore(join(dir, 'raw.db'));
  try {
    const db = store.sqlite;
    db.prepare(
      `INSERT INTO status_lists (id, authority_id, purpose, seq, size, allocated, version, created_at) VALUES ('a/suspension/1', 'a', 'suspension', 1, 131072, 0, 0, 0)`,
    ).run();
    const seed = db.prepare(
      `INSERT INTO licences (id, authority_id, type, holder_credit_code, status, valid_from, valid_until, issued_at, updated_at, kid, jws, revocation_list_id, revocation_index, suspension_list_id, suspension_index)
       VALUES (?, 'a', 'BusinessLicence', '91330106MA2CFX7K5Y', 'active', 0, 4102444800000, 0, 0, 'k', 'x', 'a/revocation/1', ?, 'a/suspension/1', ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) seed.run(`l${i}`, i, i);
    })();
    const update = db.prepare('UPDATE licences SET status = ?, status_reason = ?, updated_at = ? WHERE id = ? AND status = ?');
    const bump = db.prepare('UPDATE status_lists SET version = version + 1 WHERE id = ?');
    const audit = db.prepare('INSERT INTO audit_log (seq, at, authority_id, actor, action, subject_id, content_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    let seq = 0;
    let prev = '0'.repeat(64);
    const change = db.transaction((id: string, from: string, to: string) => {
      const now = Date.now();
      update.run(to, to === 'active' ? null : 'investigation', now, id, from);
      bump.run('a/suspension/1');
      const content = JSON.stringify({ from, to, reason: 'investigation' });
      const hash = bytesToHex(sha256(new TextEncoder().encode(`${prev}\n${JSON.stringify({ seq: seq + 1, at: now, content })}`)));
      audit.run(++seq, now, 'a', 'bench', 'licence.changed', id, content, prev, hash);
      prev = hash;
    });
    let done = 0;
    const start = performance.now();
    while (performance.now() - start < durationMs) {
      const i = done % 2000;
      const suspend = Math.floor(done / 2000) % 2 === 0;
      change(`l${i}`, suspend ? 'active' : 'suspended', suspend ? 'suspended' : 'active');
      done++;
    }
    return (done / (performance.now() - start)) * 1000;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Reply {
  status: number;
  body: string;
}

function send(agent: Agent, base: URL, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { Authorization: `Bearer ${BENCH_TOKEN}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Child mode: serve the app on a temp database and print the port. */
async function serveChild(databaseFile: string): Promise<void> {
  const store = openSqliteStore(databaseFile);
  const deps: AppDeps = { store, keys: createMemoryKeyStore(), clock: systemClock, config: defaultConfig('http://127.0.0.1') };
  await bootstrap(deps, { devToken: BENCH_TOKEN });
  const app = createApp(deps);
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`));
}

async function benchHttp(durationMs: number, connections: number, licenceCount: number): Promise<StatusBenchResult['http']> {
  const dir = tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', join(dir, 'bench.db')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const base = await new Promise<URL>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`bench server did not start: ${out}`)), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(new URL(match[1]!));
        }
      });
      child.on('exit', (code) => reject(new Error(`bench server exited with ${code}: ${out}`)));
    });
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    const subject = {
      name: '杭州示例科技有限公司',
      entityType: '有限责任公司',
      legalRepresentative: '张三',
      registeredCapital: '500万元人民币',
      establishedOn: '2020-05-18',
      address: '浙江省杭州市西湖区文三路100号',
      businessScope: '技术开发、技术服务。',
    };
    const ids: string[] = [];
    while (ids.length < licenceCount) {
      // A holder of its own per licence: a business has one active business licence.
      const items = Array.from({ length: Math.min(500, licenceCount - ids.length) }, (_, i) => ({
        type: 'BusinessLicence',
        subject: { ...subject, creditCode: creditCodeOf(ids.length + i) },
      }));
      const res = await send(agent, base, 'POST', '/v1/licences/batch', { items });
      if (res.status !== 201) throw new Error(`batch issue failed: ${res.status} ${res.body}`);
      ids.push(...(JSON.parse(res.body) as { items: { id: string }[] }).items.map((l) => l.id));
    }
    // Reference on the same server and connections: authenticated GET of one licence (no write).
    let reads = 0;
    const readStart = performance.now();
    const readEnd = readStart + Math.min(1000, durationMs / 3);
    await Promise.all(
      Array.from({ length: connections }, async (_, worker) => {
        for (let i = worker; performance.now() < readEnd; i += connections) {
          if ((await send(agent, base, 'GET', `/v1/licences/${ids[i % ids.length]}`)).status === 200) reads++;
        }
      }),
    );
    const readsPerSecond = (reads / (performance.now() - readStart)) * 1000;
    let changes = 0;
    let errors = 0;
    const start = performance.now();
    const end = start + durationMs;
    await Promise.all(
      Array.from({ length: connections }, async (_, worker) => {
        // Each connection owns every `connections`-th licence and alternates suspend / reinstate passes.
        const mine = ids.filter((_, i) => i % connections === worker);
        for (let pass = 0; performance.now() < end; pass++) {
          const action = pass % 2 === 0 ? { path: 'suspend', reason: 'investigation' } : { path: 'reinstate', reason: 'investigation_closed' };
          for (const id of mine) {
            if (performance.now() >= end) break;
            const res = await send(agent, base, 'POST', `/v1/licences/${id}/${action.path}`, { reason: action.reason });
            if (res.status === 200) changes++;
            else errors++;
          }
        }
      }),
    );
    const elapsed = performance.now() - start;
    agent.destroy();
    return { connections, durationMs: Math.round(elapsed), changes, errors, perSecond: (changes / elapsed) * 1000, readsPerSecond };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStatus(options: { durationMs?: number; rounds?: number; connections?: number; log?: boolean } = {}): Promise<StatusBenchResult> {
  const durationMs = options.durationMs ?? 3000;
  const rounds = options.rounds ?? 9;
  const connections = options.connections ?? 32;
  const log = options.log ?? false;

  const dir = tempDir();
  const store = openSqliteStore(join(dir, 'publish.db'));
  const publish: PublishRow[] = [];
  try {
    const deps = { store, keys: createMemoryKeyStore(), clock: systemClock, config: defaultConfig('http://127.0.0.1') };
    await bootstrap(deps, {});
    for (const entries of [131_072, 1_048_576]) publish.push(await benchPublish(deps, entries, rounds, false));
    // The realistic case for a list in service: every index allocated, 1% revoked.
    publish.push(await benchPublish(deps, 131_072, rounds, true));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const http = await benchHttp(durationMs, connections, 2000);
  const rawCommitsPerSecond = rawCommitRate(Math.min(durationMs, 2000));
  const result: StatusBenchResult = { publish, http, rawCommitsPerSecond, httpRatio: http.perSecond / rawCommitsPerSecond };

  if (log) {
    console.log('publish after a change (1% set)                      publish ms   floor: gzipSync L6 ms    ratio   encodedList chars');
    for (const row of publish) {
      const label = `${row.entries.toLocaleString('en')} entries, ${row.setBits} set, ${row.allocated.toLocaleString('en')} allocated`;
      console.log(
        `  ${label.padEnd(50)} ${row.publishMs.toFixed(2).padStart(8)}   ${row.gzipMs.toFixed(2).padStart(18)}   ${row.ratio.toFixed(1).padStart(5)}x   ${row.encodedChars}`,
      );
    }
    console.log(`status changes over HTTP (${http.connections} connections, ${http.durationMs} ms): ${http.perSecond.toFixed(0)} /s (${http.changes} ok, ${http.errors} errors)`);
    console.log(
      `reference: GET /v1/licences/{id} on the same server and connections: ${http.readsPerSecond.toFixed(0)} /s (changes / reads ${((http.perSecond / http.readsPerSecond) * 100).toFixed(0)}%)`,
    );
    console.log(`floor: raw better-sqlite3 transaction of the same writes, one at a time: ${rawCommitsPerSecond.toFixed(0)} /s`);
    console.log(`HTTP / raw: ${(result.httpRatio * 100).toFixed(1)}%`);
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const serveAt = process.argv.indexOf('--serve');
  if (serveAt >= 0) await serveChild(process.argv[serveAt + 1]!);
  else await benchStatus({ log: true });
}
