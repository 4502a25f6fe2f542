/** The shared HTTP suite (tests/shared/suite.ts) on the Node entry's stack: hono + better-sqlite3 in memory. */
import { afterAll, beforeAll, describe } from 'vitest';
import { createTestContext, type TestContext } from './helpers/app.js';
import { sharedSuite } from './shared/suite.js';
import type { SharedTarget } from './shared/target.js';

let context: TestContext;
let target: SharedTarget;

beforeAll(async () => {
  context = await createTestContext();
  target = {
    name: 'node',
    publicUrl: context.deps.config.publicUrl,
    token: context.token,
    request: (method, path, options) => context.call(method, path, options),
  };
});
afterAll(() => context.close());

describe('shared HTTP suite on Node + better-sqlite3', () => sharedSuite(() => target));
