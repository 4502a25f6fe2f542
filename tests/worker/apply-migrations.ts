/** workerd setup: applies migrations/ (read in Node by vitest.workers.config.ts) to the test D1, like `wrangler d1 migrations apply`. */
import { applyD1Migrations, env } from 'cloudflare:test';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
