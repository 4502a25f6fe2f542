/**
 * Console name search at scale: `npm run bench -- console-search`.
 * Builds a database of BENCH_LICENCES licences (default 1,000,000; realistic Chinese company names,
 * their bigram index written as issuance writes it) and measures, through the service the console
 * calls (`listLicences` with `name`, one page of 20), the p50/p95 of searches by two characters and by
 * four characters of names that exist, and of a two-character search with a status filter. The floor,
 * measured in the same run: a licence read by primary key (`requireLicence`). Target: p95 < 50 ms for a
 * name search at 1,000,000 licences. The database lives in a temporary folder and is deleted afterwards.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7obj } from 'uuidv7';
import { creditCodeCheckCharacter } from '../src/core/credit-code.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { listLicences, requireLicence } from '../src/services/licences.js';
import { nameBigrams } from '../src/services/name-search.js';

const COUNT = Number(process.env.BENCH_LICENCES ?? 1_000_000);
const QUERIES = 400;
const AUTHORITY = 'bench-city';

const CITIES = ['杭州', '宁波', '温州', '嘉兴', '湖州', '绍兴', '金华', '衢州', '舟山', '台州', '丽水', '义乌', '余姚', '慈溪', '瑞安', '乐清'];
const WORDS = '云栖智算华信恒达鑫源瑞丰天成宏图博远嘉禾锦程明德安泰永盛金鼎海纳百川正通合力新创卓越东方盛世长青春晖晨光晓阳银河星辰绿源清风雅韵和美福满兴隆昌盛祥和欣荣德仁'.match(
  /../g,
)!;
const TRADES = ['科技', '贸易', '餐饮管理', '信息技术', '文化传媒', '建筑工程', '物流', '电子商务', '食品', '服装', '机械制造', '医药', '教育咨询', '旅游', '农业开发', '环保'];
const FORMS = ['有限公司', '股份有限公司', '有限责任公司', '商行', '经营部', '工作室'];

/** A deterministic pseudo-random generator (mulberry32), so every run builds the same names. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;

function companyName(rnd: () => number): string {
  const words = pick(rnd, WORDS) + (rnd() < 0.5 ? pick(rnd, WORDS) : '');
  return `${pick(rnd, CITIES)}${words}${pick(rnd, TRADES)}${pick(rnd, FORMS)}`;
}

function creditCode(n: number): string {
  const first17 = `91330${String(n).padStart(12, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timed(queries: (() => Promise<unknown>)[]): Promise<{ p50: number; p95: number; mean: number }> {
  const times: number[] = [];
  for (const q of queries) {
    const started = performance.now();
    await q();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

export async function benchConsoleSearch(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'console-search-'));
  const file = join(dir, 'bench.db');
  const store = openSqliteStore(file);
  try {
    const sqlite = store.sqlite;
    sqlite.pragma('cache_size = -1048576'); // 1 GiB of page cache for the build
    const insertLicence = sqlite.prepare(
      `INSERT INTO licences (id, authority_id, type, holder_credit_code, holder_name, status, status_reason, valid_from, valid_until, issued_at, updated_at, kid, jws,
        revocation_list_id, revocation_index, suspension_list_id, suspension_index) VALUES (?, ?, 'BusinessLicence', ?, ?, ?, NULL, ?, ?, ?, ?, 'bench-kid', ?, ?, ?, ?, ?)`,
    );
    const insertBigram = sqlite.prepare('INSERT INTO licence_name_bigrams (authority_id, bigram, licence_id) VALUES (?, ?, ?)');
    const rnd = random(20261202);
    const samples: { id: string; name: string }[] = [];
    const started = performance.now();
    const now = Date.now();
    const batch = sqlite.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = uuidv7obj().toString();
        const name = companyName(rnd);
        const status = i % 50 === 0 ? 'revoked' : i % 97 === 0 ? 'suspended' : 'active';
        const issued = now - (COUNT - i) * 1000;
        // A stand-in for the 2 KB credential: the search never reads it.
        insertLicence.run(
          id,
          AUTHORITY,
          creditCode(i),
          name,
          status,
          issued,
          issued + 5 * 365 * 86_400_000,
          issued,
          issued,
          'x'.repeat(64),
          `${AUTHORITY}/revocation/${1 + (i >> 17)}`,
          i & 131071,
          `${AUTHORITY}/suspension/${1 + (i >> 17)}`,
          i & 131071,
        );
        for (const bigram of nameBigrams(name)) insertBigram.run(AUTHORITY, bigram, id);
        if (i % Math.max(1, Math.floor(COUNT / QUERIES)) === 0) samples.push({ id, name });
      }
    });
    const STEP = 20_000;
    for (let i = 0; i < COUNT; i += STEP) {
      batch(i, Math.min(COUNT, i + STEP));
      if (process.stdout.isTTY) process.stdout.write(`\r  building: ${Math.min(COUNT, i + STEP).toLocaleString()} licences`);
    }
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const bigramRows = (sqlite.prepare('SELECT count(*) AS n FROM licence_name_bigrams').get() as { n: number }).n;
    console.log(
      `\n  built ${COUNT.toLocaleString()} licences and ${bigramRows.toLocaleString()} bigram rows in ${((performance.now() - started) / 1000).toFixed(1)} s; database ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`,
    );
    sqlite.pragma('cache_size = -65536'); // measure with a modest 64 MiB cache, as a server would run

    const db = store.db;
    const at = Date.now();
    const two = samples.map((s) => {
      const chars = Array.from(s.name);
      const i = Math.floor(rnd() * (chars.length - 1));
      return chars.slice(i, i + 2).join('');
    });
    const four = samples.map((s) => {
      const chars = Array.from(s.name);
      const i = Math.floor(rnd() * Math.max(1, chars.length - 3));
      return chars.slice(i, i + 4).join('');
    });
    const page = (name: string, status?: 'revoked') => () => listLicences(db, AUTHORITY, { name, limit: 20, ...(status ? { status } : {}) }, at);
    // Warm-up: one of each shape, not counted.
    await page(two[0]!)();
    await requireLicence(db, AUTHORITY, samples[0]!.id);

    const floor = await timed(samples.map((s) => () => requireLicence(db, AUTHORITY, s.id)));
    const byTwo = await timed(two.map((q) => page(q)));
    const byFour = await timed(four.map((q) => page(q)));
    const filtered = await timed(two.map((q) => page(q, 'revoked')));
    const rows = [
      ['primary-key read (floor)', floor],
      ['name, 2 characters', byTwo],
      ['name, 4 characters', byFour],
      ['name, 2 characters, status revoked', filtered],
    ] as const;
    console.log(`\n  ${QUERIES} queries each, one page of 20, at ${COUNT.toLocaleString()} licences (p95 target for a name search: < 50 ms)`);
    console.log('  | query | p50 ms | p95 ms | p95 / floor p95 |');
    console.log('  | --- | ---: | ---: | ---: |');
    for (const [label, r] of rows) console.log(`  | ${label} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${(r.p95 / floor.p95).toFixed(1)} |`);
    const worst = Math.max(byTwo.p95, byFour.p95);
    console.log(`\n  name search p95 ${worst.toFixed(1)} ms: ${worst < 50 ? 'meets' : 'MISSES'} the 50 ms target`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await benchConsoleSearch();
