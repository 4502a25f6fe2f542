/**
 * 1,000 issues fired at once through the HTTP app give 1,000 distinct status indices in each list,
 * also when the lists are small enough to fill and roll over to the next list mid-burst.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

interface Licence {
  id: string;
  credentialStatus: { purpose: 'revocation' | 'suspension'; statusListCredential: string; statusListIndex: number }[];
}

let t: TestContext | undefined;
afterEach(() => t?.close());

async function issueConcurrently(context: TestContext, count: number): Promise<Licence[]> {
  const responses = await Promise.all(Array.from({ length: count }, () => context.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })));
  expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
  return Promise.all(responses.map(async (r) => (await r.json()) as Licence));
}

/** Slots per purpose as "list#index" strings. */
const slots = (licences: Licence[], purpose: 'revocation' | 'suspension') =>
  licences.map((l) => {
    const entry = l.credentialStatus.find((s) => s.purpose === purpose)!;
    return `${entry.statusListCredential}#${entry.statusListIndex}`;
  });

/** Thousands of issues per test: a minute on a quiet 2-core machine, several when other test files share it. */
const LOADED_MACHINE_MS = 300_000;

describe('concurrent issuance', () => {
  it('1,000 concurrent issues: 1,000 distinct indices per list, counters agree with the rows', { timeout: LOADED_MACHINE_MS }, async () => {
    t = await createTestContext();
    const issued = await issueConcurrently(t, 1000);
    expect(new Set(issued.map((l) => l.id)).size).toBe(1000);
    for (const purpose of ['revocation', 'suspension'] as const) {
      const taken = slots(issued, purpose);
      expect(new Set(taken).size).toBe(1000);
      expect(new Set(taken.map((s) => s.split('#')[0]))).toEqual(new Set([`https://elicence.test/status/dev-city/${purpose}/1`]));
      const indices = taken.map((s) => Number(s.split('#')[1]));
      expect(indices.every((i) => Number.isInteger(i) && i >= 0 && i < 131_072)).toBe(true);
    }
    const lists = t.store.sqlite.prepare('SELECT id, allocated FROM status_lists ORDER BY id').all();
    expect(lists).toEqual([
      { id: 'dev-city/revocation/1', allocated: 1000 },
      { id: 'dev-city/suspension/1', allocated: 1000 },
    ]);
  });

  it('small lists fill and roll over without ever reusing an index', { timeout: LOADED_MACHINE_MS }, async () => {
    t = await createTestContext({ config: { statusListSize: 256 } });
    const issued = await issueConcurrently(t, 600);
    for (const purpose of ['revocation', 'suspension'] as const) {
      const taken = slots(issued, purpose);
      expect(new Set(taken).size).toBe(600);
      const perList = new Map<string, number>();
      for (const s of taken) perList.set(s.split('#')[0]!, (perList.get(s.split('#')[0]!) ?? 0) + 1);
      expect([...perList.values()].sort((a, b) => b - a)).toEqual([256, 256, 88]);
      // Every index inside its list: the first two lists hold 256, the third (new lists grow) 512.
      const sizes = Object.fromEntries((t.store.sqlite.prepare('SELECT id, size FROM status_lists').all() as Array<{ id: string; size: number }>).map((l) => [l.id, l.size]));
      expect(Object.values(sizes).sort()).toEqual([256, 256, 256, 256, 512, 512]);
      expect(taken.every((s) => Number(s.split('#')[1]) < sizes[s.split('#')[0]!.replace('https://elicence.test/status/', '')]!)).toBe(true);
    }
  });

  it('large batches, one after another and several at once, never collide into an error', { timeout: LOADED_MACHINE_MS }, async () => {
    t = await createTestContext();
    const context = t;
    const batch = (n: number) => ({ items: Array.from({ length: n }, () => ({ type: 'BusinessLicence', subject: businessSubject() })) });
    for (let i = 0; i < 6; i++) {
      const res = await context.call('POST', '/v1/licences/batch', { body: batch(200) });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    const concurrent = await Promise.all(Array.from({ length: 4 }, () => context.call('POST', '/v1/licences/batch', { body: batch(250) })));
    expect(concurrent.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const column of ['revocation', 'suspension']) {
      const row = context.store.sqlite.prepare(`SELECT count(*) AS n, count(DISTINCT ${column}_list_id || '#' || ${column}_index) AS d FROM licences`).get() as {
        n: number;
        d: number;
      };
      expect(row).toEqual({ n: 2200, d: 2200 });
    }
  });

  it('batches into small lists roll over without errors', { timeout: LOADED_MACHINE_MS }, async () => {
    t = await createTestContext({ config: { statusListSize: 300 } });
    const context = t;
    // Five batches of different holders (one active business licence per holder).
    const batch = () => ({ items: Array.from({ length: 120 }, () => ({ type: 'BusinessLicence', subject: businessSubject() })) });
    const responses = await Promise.all(Array.from({ length: 5 }, () => context.call('POST', '/v1/licences/batch', { body: batch() })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const lists = context.store.sqlite.prepare("SELECT allocated FROM status_lists WHERE purpose = 'revocation' ORDER BY seq").all();
    expect(lists).toEqual([{ allocated: 300 }, { allocated: 300 }]);
  });
});
