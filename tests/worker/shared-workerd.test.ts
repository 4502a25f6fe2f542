/** The shared HTTP suite (tests/shared/suite.ts) on the Worker entry inside workerd, with D1. */
import { env, SELF } from 'cloudflare:test';
import { describe } from 'vitest';
import { sharedSuite } from '../shared/suite.js';
import { fetchTarget } from '../shared/target.js';

const target = fetchTarget('workerd', env.PUBLIC_URL, env.BOOTSTRAP_TOKEN, (url, init) => SELF.fetch(url, init), env.PUBLIC_URL);

describe('shared HTTP suite on workerd + D1', () => sharedSuite(() => target));
