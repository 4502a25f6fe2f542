/**
 * The two-character holder-name index. SQLite's FTS5 trigram tokenizer needs three characters and FTS
 * tables are awkward on D1, so every licence gets one row per distinct pair of adjacent characters of
 * its holder name (`licence_name_bigrams`, keyed by authority, bigram, licence). A search intersects
 * the query's bigrams, driven by the rarest, and confirms longer queries with LIKE
 * (`listLicences` in licences.ts). The same SQL runs on better-sqlite3 and D1.
 *
 * Rows are written in the same commit as the licence (`nameIndexStatements`, called by issuance), and
 * migration 0002 backfills licences issued before: both lower-case ASCII letters only (SQLite's lower()
 * does exactly that), so the two always agree.
 */
import { and, eq, sql } from 'drizzle-orm';
import { licenceNameBigrams } from '../db/schema.js';
import type { Db, Statement, Store } from '../db/store.js';

/** ASCII letters lower-cased, everything else as is (what SQLite's lower() does). */
export const nameKey = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Distinct pairs of adjacent characters (code points) of a name, in order of first appearance. */
export function nameBigrams(name: string): string[] {
  const chars = Array.from(nameKey(name));
  const seen = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) seen.add(chars[i]! + chars[i + 1]!);
  return [...seen];
}

/** Licences per statement: a JSON array of pairs is one bound parameter, so a statement stays small. */
const LICENCES_PER_STATEMENT = 100;

/**
 * The index rows of newly written licences, as statements for the same commit: one INSERT ... SELECT
 * over json_each per hundred licences (a 1,000-licence batch adds ten statements, not 11,000 rows of
 * parameters).
 */
export function nameIndexStatements(store: Store, rows: readonly { id: string; authorityId: string; holderName: string | null }[]): Statement[] {
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += LICENCES_PER_STATEMENT) {
    const triples: [string, string, string][] = [];
    for (const row of rows.slice(i, i + LICENCES_PER_STATEMENT)) {
      if (row.holderName) for (const bigram of nameBigrams(row.holderName)) triples.push([row.authorityId, bigram, row.id]);
    }
    if (triples.length === 0) continue;
    statements.push(
      store.bound(
        'licence_name_bigrams.insert',
        (param) =>
          store.db
            .insert(licenceNameBigrams)
            .select(sql`SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(${param('triples')}) WHERE true`),
        { triples: JSON.stringify(triples) },
      ),
    );
  }
  return statements;
}

/** Postings counted up to this many: enough to tell a rare bigram from a common one, cheap either way. */
const COUNT_CAP = 1000;
/** Bigrams intersected in SQL; LIKE confirms the rest of a long query. */
const MAX_INTERSECTED = 4;

/** The query's bigrams, rarest first (by postings counted up to COUNT_CAP), at most MAX_INTERSECTED. */
export async function rarestBigrams(db: Db, authorityId: string, query: string): Promise<string[]> {
  const bigrams = nameBigrams(query);
  if (bigrams.length <= 1) return bigrams;
  const counted = await Promise.all(
    bigrams.map(async (bigram) => {
      const postings = db
        .select({ one: sql`1` })
        .from(licenceNameBigrams)
        .where(and(eq(licenceNameBigrams.authorityId, authorityId), eq(licenceNameBigrams.bigram, bigram)))
        .limit(COUNT_CAP)
        .as('postings');
      const [row] = await db.select({ n: sql<number>`count(*)` }).from(postings);
      return { bigram, n: Number(row?.n ?? 0) };
    }),
  );
  return counted
    .sort((a, b) => a.n - b.n)
    .slice(0, MAX_INTERSECTED)
    .map((c) => c.bigram);
}

/** `%text%` for LIKE with `\` as the escape character. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
