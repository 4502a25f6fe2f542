/**
 * The few Workers runtime types the adapter uses, imported from @cloudflare/workers-types' module
 * form so its globals do not clash with the DOM types the rest of the project compiles against.
 */
export type { D1Database, ExecutionContext } from '@cloudflare/workers-types/index';

/** The Workers Cache API's default cache (`caches.default`), typed with the standard Cache. */
export function defaultCache(): Cache | undefined {
  const storage = (globalThis as { caches?: { default?: Cache } }).caches;
  return storage?.default;
}
