/**
 * The workerd test project: tests/worker/** run inside workerd (the Worker entry from wrangler.toml,
 * a local D1 with the migrations applied), via @cloudflare/vitest-pool-workers. A fresh signing key and
 * bootstrap token are made here, in Node, and handed to the Worker as its secrets.
 */
import { mkdirSync } from 'node:fs';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { generateSigningJwk, importablePrivateJwk } from './src/core/jws-sign.js';

export const WORKER_TEST_TOKEN = 'elk_workerd-test-token-with-every-scope';
export const WORKER_TEST_PUBLIC_URL = 'https://elicence.test';
export const WORKER_TEST_ADMIN_PASSWORD = 'workerd-first-admin-password';

export default defineConfig(async () => {
  // wrangler.toml's [assets] folder must exist for the pool to start; these tests do not use its files
  // (tests/worker-assets.test.ts serves the built app through `wrangler dev`).
  mkdirSync(new URL('./dist/worker-assets', import.meta.url), { recursive: true });
  const migrations = await readD1Migrations(new URL('./migrations', import.meta.url).pathname);
  const { privateJwk } = await generateSigningJwk('EdDSA');
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            PUBLIC_URL: WORKER_TEST_PUBLIC_URL,
            SIGNING_KEYS: JSON.stringify([{ owner: 'authority:dev-city', privateJwk: importablePrivateJwk(privateJwk) }]),
            BOOTSTRAP_TOKEN: WORKER_TEST_TOKEN,
            BOOTSTRAP_ADMIN_PASSWORD: WORKER_TEST_ADMIN_PASSWORD,
          },
        },
      }),
    ],
    test: {
      name: 'workerd',
      include: ['tests/worker/**/*.test.ts'],
      setupFiles: ['tests/worker/apply-migrations.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});
