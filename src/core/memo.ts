/**
 * Small bounded memo used to keep verification fast on a bundle that does not change between calls:
 * a decoded or verified piece is remembered by its exact JWS text. Results depend only on that text
 * (and, for signatures, on the key, which is part of the inner key), never on the clock.
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): V {
    if (this.map.size >= this.capacity && !this.map.has(key)) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
    return value;
  }

  /** The cached value for `key`, computing and remembering it on a miss. */
  getOrSet(key: K, compute: () => V): V {
    const hit = this.map.get(key);
    return hit !== undefined ? hit : this.set(key, compute());
  }
}

/** What an attempt produced: a value or the error it threw (both worth remembering). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function outcomeOf<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

export function syncOutcomeOf<T>(run: () => T): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A stable identity for a public JWK (thumbprint inputs), used as a cache key. */
export function keyIdentity(jwk: { kid?: string | undefined; kty?: string | undefined; x?: string | undefined; y?: string | undefined }): string {
  return `${jwk.kid ?? ''}|${jwk.kty ?? ''}|${jwk.x ?? ''}|${jwk.y ?? ''}`;
}
