/**
 * Hands out status list indices: per authority and purpose, drawn uniformly at random from the free
 * indices of the current list (herd privacy), opening the next list when it fills. The database's
 * unique slot indexes and the lists' capacity CHECK make a double allocation impossible; a race only
 * costs a retry. Revocation slots are also held by bound copies and agent authorisations (their own
 * entry): every check of a used revocation index looks at the three tables.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { StatusPurpose } from '../core/credential.js';
import { agentAuthorisations, boundCopies, licences, statusLists } from '../db/schema.js';
import type { Db, Statement, Store } from '../db/store.js';
import { prepared } from './prepared.js';

export interface StatusSlot {
  purpose: StatusPurpose;
  listId: string;
  index: number;
}

export const statusListId = (authorityId: string, purpose: StatusPurpose, seq: number): string => `${authorityId}/${purpose}/${seq}`;

/** The largest list opened (2^24 entries, 2 MiB: what a verifier inflates at most). */
export const MAX_NEW_STATUS_LIST_SIZE = 16_777_216;

/**
 * Entries of an authority's `seq`-th list of a purpose (docs/trust-list.md, "List size"): the first two
 * hold `base` (the configured size, at least the W3C 131,072), then each new list doubles, up to 2^24.
 * An authority's capacity thus doubles with every list it opens: N licences need at most
 * 2 + log2(N / base) lists (6 for 3 million) instead of N / 131,072 (23), while a small authority keeps
 * one list of the minimum size. Lists already opened keep their size (and their licences their URLs
 * and indices): only new lists grow.
 */
export function statusListSizeFor(seq: number, base: number): number {
  if (seq <= 2) return base;
  return Math.max(base, Math.min(MAX_NEW_STATUS_LIST_SIZE, base * 2 ** (seq - 2)));
}
export const statusListUrl = (publicUrl: string, listId: string): string => `${publicUrl}/status/${listId}`;

/** CSPRNG words fetched 256 at a time: one getRandomValues call costs as much as a whole slot draw. */
const randomWords = new Uint32Array(256);
let nextWord = randomWords.length;

function randomUint32(): number {
  if (nextWord === randomWords.length) {
    crypto.getRandomValues(randomWords);
    nextWord = 0;
  }
  return randomWords[nextWord++]!;
}

/** Uniform integer in [0, n) from the platform CSPRNG, without modulo bias. */
export function randomBelow(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const word = randomUint32();
    if (word < limit) return word % n;
  }
}

const slotColumns = (purpose: StatusPurpose) =>
  purpose === 'revocation' ? { list: licences.revocationListId, index: licences.revocationIndex } : { list: licences.suspensionListId, index: licences.suspensionIndex };

/** A bitmap of the list's used indices: read from the database once, then kept up to date by this process. */
async function usedBitmap(db: Db, purpose: StatusPurpose, list: ListState): Promise<Uint8Array> {
  if (list.used) return list.used;
  const columns = slotColumns(purpose);
  const rows = await db.select({ index: columns.index }).from(licences).where(eq(columns.list, list.id));
  const used = new Uint8Array(Math.ceil(list.size / 8));
  for (const { index } of rows) used[index >> 3]! |= 1 << (index & 7);
  if (purpose === 'revocation') for (const index of await ownSlotsIn(db, list.id)) used[index >> 3]! |= 1 << (index & 7);
  list.used = used;
  return used;
}

const isSet = (bitmap: Uint8Array, index: number) => (bitmap[index >> 3]! & (1 << (index & 7))) !== 0;

async function isUsed(db: Db, purpose: StatusPurpose, listId: string, index: number): Promise<boolean> {
  const queries = prepared(db);
  const query = purpose === 'revocation' ? queries.revocationSlotUsed : queries.suspensionSlotUsed;
  if ((await query.all({ list: listId, index })).length > 0) return true;
  return purpose === 'revocation' && (await queries.ownRevocationSlotUsed.all({ list: listId, index })).length > 0;
}

/** Revocation indices of a list held by bound copies and agent authorisations (all of them, or those among `among`). */
async function ownSlotsIn(db: Db, listId: string, among?: readonly number[]): Promise<number[]> {
  const out: number[] = [];
  for (const table of [boundCopies, agentAuthorisations]) {
    const where = among === undefined ? eq(table.revocationListId, listId) : and(eq(table.revocationListId, listId), inArray(table.revocationIndex, [...among]));
    for (const row of await db.select({ index: table.revocationIndex }).from(table).where(where)) out.push(row.index);
  }
  return out;
}

/** Draws `count` distinct free indices from one list that has at least `count` free. */
async function drawFromList(db: Db, purpose: StatusPurpose, list: ListState, count: number, checkEach = false): Promise<number[]> {
  const picked = new Set<number>();
  const free = list.size - list.allocated;
  if (free - count < list.size / 64) {
    // Nearly full: enumerate the free indices and shuffle-pick, so the draw stays uniform and bounded.
    const used = await usedBitmap(db, purpose, list);
    const candidates: number[] = [];
    for (let i = 0; i < list.size; i++) if (!isSet(used, i)) candidates.push(i);
    for (let i = 0; i < count; i++) {
      const j = i + randomBelow(candidates.length - i);
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
      picked.add(candidates[i]!);
    }
    return [...picked];
  }
  // Mostly empty: rejection sampling. While the chance that any drawn slot is taken stays under 1/64
  // (count x fill), a collision is left to the unique slot index (the commit fails and the caller
  // draws again, checking); otherwise candidates are checked, a round of them per query.
  const check = checkEach || count * list.allocated * 64 >= list.size;
  if (check && !list.used) list.checkedDraws = (list.checkedDraws ?? 0) + 1;
  // Past half full, for a large batch, or once this process keeps drawing from the list (a
  // long-running server rather than a short-lived isolate), the bitmap of used indices beats a query per round.
  const wantsBitmap = list.allocated > list.size / 2 || (count >= 256 && list.allocated > 0) || (list.checkedDraws ?? 0) > BITMAP_AFTER_CHECKED_DRAWS;
  const used = list.used ?? (wantsBitmap ? await usedBitmap(db, purpose, list) : undefined);
  while (picked.size < count) {
    const round = new Set<number>();
    while (round.size < count - picked.size) {
      const index = randomBelow(list.size);
      if (!picked.has(index) && !(used && isSet(used, index))) round.add(index);
    }
    const taken = check && !used ? await takenAmong(db, purpose, list.id, [...round]) : new Set<number>();
    for (const index of round) if (!taken.has(index)) picked.add(index);
  }
  return [...picked];
}

/** Which of `candidates` are already used in the list: one query per 90 (D1 binds at most 100). */
async function takenAmong(db: Db, purpose: StatusPurpose, listId: string, candidates: number[]): Promise<Set<number>> {
  if (candidates.length === 1) return (await isUsed(db, purpose, listId, candidates[0]!)) ? new Set(candidates) : new Set();
  const columns = slotColumns(purpose);
  const taken = new Set<number>();
  for (let i = 0; i < candidates.length; i += 90) {
    const rows = await db
      .select({ index: columns.index })
      .from(licences)
      .where(and(eq(columns.list, listId), inArray(columns.index, candidates.slice(i, i + 90))));
    for (const row of rows) taken.add(row.index);
    if (purpose === 'revocation') for (const index of await ownSlotsIn(db, listId, candidates.slice(i, i + 90))) taken.add(index);
  }
  return taken;
}

/** What this process knows of an authority's current list per purpose; the database stays the judge. */
interface ListState {
  id: string;
  seq: number;
  size: number;
  allocated: number;
  /** Used indices, once loaded (large draws and fuller lists); updated as this process commits. */
  used?: Uint8Array;
  /** Draws checked against the database so far (without the bitmap). */
  checkedDraws?: number;
}

const BITMAP_AFTER_CHECKED_DRAWS = 64;

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
/** `listSize`: the configured base size; new lists grow from it (`statusListSizeFor`). */
export async function planSlots(db: Db, authorityId: string, purpose: StatusPurpose, count: number, listSize: number, options: { fresh?: boolean } = {}): Promise<SlotPlan> {
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
    const size = statusListSizeFor(seq, listSize);
    const take = Math.min(remaining, size);
    const id = statusListId(authorityId, purpose, seq);
    for (const index of await drawFromList(db, purpose, { id, seq, size, allocated: 0, used: new Uint8Array(Math.ceil(size / 8)) }, take)) {
      plan.slots.push({ purpose, listId: id, index });
    }
    plan.lists.push({ id, seq, take, isNew: true, size });
    remaining -= take;
  }
  return plan;
}

/** The statements that record a plan: counter increments (capacity CHECKed) and new lists (seq unique). */
export function slotPlanStatements(store: Store, plan: SlotPlan, now: number): Statement[] {
  const { db } = store;
  return plan.lists.map((list) =>
    list.isNew
      ? db.insert(statusLists).values({ id: list.id, authorityId: plan.authorityId, purpose: plan.purpose, seq: list.seq, size: list.size, allocated: list.take, createdAt: now })
      : store.bound(
          'status_lists.allocate',
          (param) =>
            db
              .update(statusLists)
              .set({ allocated: sql`${statusLists.allocated} + ${param('take')}` })
              .where(eq(statusLists.id, sql`${param('id')}`)),
          { take: list.take, id: list.id },
        ),
  );
}

/** After a plan committed: this process now knows the lists' new counts and used indices. */
export function recordCommittedPlan(db: Db, plan: SlotPlan): void {
  const key = `${plan.authorityId}/${plan.purpose}`;
  const states = statesOf(db);
  for (const list of plan.lists) {
    let known = states.get(key);
    if (list.isNew) {
      known = { id: list.id, seq: list.seq, size: list.size, allocated: list.take, used: new Uint8Array(Math.ceil(list.size / 8)) };
      states.set(key, known);
    } else if (known?.id === list.id) {
      known.allocated += list.take;
    } else {
      continue;
    }
    if (known.used) for (const slot of plan.slots) if (slot.listId === list.id) known.used[slot.index >> 3]! |= 1 << (slot.index & 7);
  }
}

/** After a failed commit: forget what this process believed, so the next plan reads the database. */
export function forgetListStates(db: Db, authorityId: string): void {
  for (const key of statesOf(db).keys()) if (key.startsWith(`${authorityId}/`)) statesOf(db).delete(key);
}
