/**
 * Hands out status list indices: per authority and purpose, drawn uniformly at random from the free
 * indices of the current list (herd privacy), opening the next list when it fills. The database's
 * unique slot indexes and the lists' capacity CHECK make a double allocation impossible; a race only
 * costs a retry.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { StatusPurpose } from '../core/credential.js';
import { licences, statusLists } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';

export interface StatusSlot {
  purpose: StatusPurpose;
  listId: string;
  index: number;
}

export const statusListId = (authorityId: string, purpose: StatusPurpose, seq: number): string => `${authorityId}/${purpose}/${seq}`;
export const statusListUrl = (publicUrl: string, listId: string): string => `${publicUrl}/status/${listId}`;

/** Uniform integer in [0, n) from the platform CSPRNG, without modulo bias. */
export function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    if (buffer[0]! < limit) return buffer[0]! % n;
  }
}

const slotColumns = (purpose: StatusPurpose) =>
  purpose === 'revocation'
    ? { list: licences.revocationListId, index: licences.revocationIndex }
    : { list: licences.suspensionListId, index: licences.suspensionIndex };

async function usedIndices(db: Db, purpose: StatusPurpose, listId: string): Promise<Set<number>> {
  const columns = slotColumns(purpose);
  const rows = await db.select({ index: columns.index }).from(licences).where(eq(columns.list, listId));
  return new Set(rows.map((r) => r.index));
}

async function isUsed(db: Db, purpose: StatusPurpose, listId: string, index: number): Promise<boolean> {
  const columns = slotColumns(purpose);
  const rows = await db
    .select({ one: sql<number>`1` })
    .from(licences)
    .where(and(eq(columns.list, listId), eq(columns.index, index)))
    .limit(1);
  return rows.length > 0;
}

/** Draws `count` distinct free indices from one list that has at least `count` free. */
async function drawFromList(db: Db, purpose: StatusPurpose, list: { id: string; size: number; allocated: number }, count: number): Promise<number[]> {
  const picked = new Set<number>();
  const free = list.size - list.allocated;
  if (free - count < list.size / 64) {
    // Nearly full: enumerate the free indices and shuffle-pick, so the draw stays uniform and bounded.
    const used = await usedIndices(db, purpose, list.id);
    const candidates: number[] = [];
    for (let i = 0; i < list.size; i++) if (!used.has(i)) candidates.push(i);
    for (let i = 0; i < count; i++) {
      const j = i + randomBelow(candidates.length - i);
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
      picked.add(candidates[i]!);
    }
    return [...picked];
  }
  // Mostly empty: rejection sampling; a set of used indices only once the list is half full.
  const used = list.allocated > list.size / 2 ? await usedIndices(db, purpose, list.id) : undefined;
  while (picked.size < count) {
    const index = randomBelow(list.size);
    if (picked.has(index)) continue;
    if (used ? used.has(index) : await isUsed(db, purpose, list.id, index)) continue;
    picked.add(index);
  }
  return [...picked];
}

/**
 * Allocates `count` slots for one purpose. Returns the slots and the statements that record the
 * allocation (counter increments, new lists); they must commit with the licences that use the slots.
 */
export async function allocateSlots(
  db: Db,
  authorityId: string,
  purpose: StatusPurpose,
  count: number,
  listSize: number,
  now: number,
): Promise<{ slots: StatusSlot[]; statements: Statement[] }> {
  const slots: StatusSlot[] = [];
  const statements: Statement[] = [];
  const [latest] = await db
    .select()
    .from(statusLists)
    .where(and(eq(statusLists.authorityId, authorityId), eq(statusLists.purpose, purpose)))
    .orderBy(desc(statusLists.seq))
    .limit(1);
  let remaining = count;
  if (latest && latest.allocated < latest.size) {
    const take = Math.min(remaining, latest.size - latest.allocated);
    for (const index of await drawFromList(db, purpose, latest, take)) slots.push({ purpose, listId: latest.id, index });
    statements.push(
      db.update(statusLists).set({ allocated: sql`${statusLists.allocated} + ${take}` }).where(eq(statusLists.id, latest.id)),
    );
    remaining -= take;
  }
  let seq = latest?.seq ?? 0;
  while (remaining > 0) {
    seq++;
    const take = Math.min(remaining, listSize);
    const id = statusListId(authorityId, purpose, seq);
    for (const index of await drawFromList(db, purpose, { id, size: listSize, allocated: 0 }, take)) slots.push({ purpose, listId: id, index });
    statements.push(db.insert(statusLists).values({ id, authorityId, purpose, seq, size: listSize, allocated: take, createdAt: now }));
    remaining -= take;
  }
  return { slots, statements };
}
