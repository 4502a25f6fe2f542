/**
 * A short-lived per-database cache for rows read on every request that change rarely (an authority,
 * its active key, an agency token). Writers in this process invalidate it at once; other processes
 * (Worker isolates) see a change within `ttlMs`. Only for data where a few seconds of staleness is
 * acceptable: a rotated-out key stays published and valid, so a licence it signs in that window still
 * verifies; a revoked token may still be honoured by another isolate for up to 5 s.
 */
import type { Db } from '../db/store.js';

const TTL_MS = 5_000;
const caches = new WeakMap<Db, Map<string, { value: unknown; expires: number }>>();

function cacheOf(db: Db) {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

/** Cached `load()` under `key`; undefined results are not cached. Uses wall time on purpose: this is about freshness, not business time. */
export async function cached<T>(db: Db, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
  const cache = cacheOf(db);
  const hit = cache.get(key);
  const now = Date.now();
  if (hit && hit.expires > now) return hit.value as T;
  const value = await load();
  if (value === undefined) cache.delete(key);
  else cache.set(key, { value, expires: now + TTL_MS });
  return value;
}

/** Drops every entry whose key starts with `prefix` (e.g. after a key rotation). */
export function invalidate(db: Db, prefix = ''): void {
  const cache = cacheOf(db);
  for (const key of cache.keys()) if (key.startsWith(prefix)) cache.delete(key);
}
