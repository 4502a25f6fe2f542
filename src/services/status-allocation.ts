/**
 * Hands out status list indices: per authority and purpose, drawn uniformly at random from the free
 * indices of the current list (herd privacy), opening the next list when it fills. The database's
 * unique slot indexes and the lists' capacity CHECK make a double allocation impossible; a race only
 * costs a retry.
 */
import { eq, sql } from 'drizzle-orm';
import type { StatusPurpose } from '../core/credential.js';
import { licences, statusLists } from '../db/schema.js';
import type { Db, Statement } from '../db/store.js';
import { prepared } from './prepared.js';

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
  const queries = prepared(db);
  const query = purpose === 'revocation' ? queries.revocationSlotUsed : queries.suspensionSlotUsed;
  return (await query.all({ list: listId, index })).length > 0;
}

/** Draws `count` distinct free indices from one list that has at least `count` free. */
async function drawFromList(
  db: Db,
  purpose: StatusPurpose,
  list: { id: string; size: number; allocated: number },
  count: number,
  checkEach = false,
): Promise<number[]> {
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
  // Mostly empty: rejection sampling. While the chance that any drawn slot is taken stays under 1/64
  // (count x fill), a collision is left to the unique slot index (the commit fails and the caller
  // draws again, checking); otherwise every candidate is checked.
  const used = list.allocated > list.size / 2 ? await usedIndices(db, purpose, list.id) : undefined;
  const check = checkEach || count * list.allocated * 64 >= list.size;
  while (picked.size < count) {
    const index = randomBelow(list.size);
    if (picked.has(index)) continue;
    if (used ? used.has(index) : check && (await isUsed(db, purpose, list.id, index))) continue;
    picked.add(index);
  }
  return [...picked];
}

/** What this process knows of an authority's current list per purpose; the database stays the judge. */
interface ListState {
  id: string;
  seq: number;
  size: number;
  allocated: number;
}

const listStates = new WeakMap<Db, Map<string, ListState>>();

function statesOf(db: Db): Map<string, ListState> {
  let states = listStates.get(db);
  if (!states) {
    states = new Map();
    listStates.set(db, states);
  }
  return states;
}

async function currentList(db: Db, authorityId: string, purpose: StatusPurpose, fresh: boolean): Promise<ListState | undefined> {
  const key = `${authorityId}/${purpose}`;
  const known = statesOf(db).get(key);
  if (known && !fresh) return known;
  const [latest] = await prepared(db).latestList.all({ authorityId, purpose });
  if (!latest) return undefined;
  const state = { id: latest.id, seq: latest.seq, size: latest.size, allocated: latest.allocated };
  statesOf(db).set(key, state);
  return state;
}

/** Slots chosen for one purpose, not yet committed. */
export interface SlotPlan {
  authorityId: string;
  purpose: StatusPurpose;
  slots: StatusSlot[];
  /** Per list: how many slots it gives, and whether the plan opens it. */
  lists: { id: string; seq: number; take: number; isNew: boolean; size: number }[];
}

/**
 * Draws `count` free slots for one purpose from the current list (opening the next list when it
 * fills). Uses what this process knows of the lists unless `fresh`; a plan drawn from stale knowledge
 * fails at commit on the unique slot index or the capacity CHECK, and the caller draws again fresh.
 */
export async function planSlots(
  db: Db,
  authorityId: string,
  purpose: StatusPurpose,
  count: number,
  listSize: number,
  options: { fresh?: boolean } = {},
): Promise<SlotPlan> {
  const plan: SlotPlan = { authorityId, purpose, slots: [], lists: [] };
  const latest = await currentList(db, authorityId, purpose, options.fresh ?? false);
  let remaining = count;
  if (latest && latest.allocated < latest.size) {
    const take = Math.min(remaining, latest.size - latest.allocated);
    for (const index of await drawFromList(db, purpose, latest, take, options.fresh)) plan.slots.push({ purpose, listId: latest.id, index });
    plan.lists.push({ id: latest.id, seq: latest.seq, take, isNew: false, size: latest.size });
    remaining -= take;
  }
  let seq = latest?.seq ?? 0;
  while (remaining > 0) {
    seq++;
    const take = Math.min(remaining, listSize);
    const id = statusListId(authorityId, purpose, seq);
    for (const index of await drawFromList(db, purpose, { id, size: listSize, allocated: 0 }, take)) plan.slots.push({ purpose, listId: id, index });
    plan.lists.push({ id, seq, take, isNew: true, size: listSize });
    remaining -= take;
  }
  return plan;
}

/** The statements that record a plan: counter increments (capacity CHECKed) and new lists (seq unique). */
export function slotPlanStatements(db: Db, plan: SlotPlan, now: number): Statement[] {
  return plan.lists.map((list) =>
    list.isNew
      ? db.insert(statusLists).values({ id: list.id, authorityId: plan.authorityId, purpose: plan.purpose, seq: list.seq, size: list.size, allocated: list.take, createdAt: now })
      : db.update(statusLists).set({ allocated: sql`${statusLists.allocated} + ${list.take}` }).where(eq(statusLists.id, list.id)),
  );
}

/** After a plan committed: this process now knows the lists' new counts. */
export function recordCommittedPlan(db: Db, plan: SlotPlan): void {
  const key = `${plan.authorityId}/${plan.purpose}`;
  const states = statesOf(db);
  for (const list of plan.lists) {
    const known = states.get(key);
    if (list.isNew) states.set(key, { id: list.id, seq: list.seq, size: list.size, allocated: list.take });
    else if (known?.id === list.id) known.allocated += list.take;
  }
}

/** After a failed commit: forget what this process believed, so the next plan reads the database. */
export function forgetListStates(db: Db, authorityId: string): void {
  for (const key of statesOf(db).keys()) if (key.startsWith(`${authorityId}/`)) statesOf(db).delete(key);
}
