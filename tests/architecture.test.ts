/**
 * The import rules of .dependency-cruiser.cjs (the layers of docs/architecture.md) bite: a small tree
 * that breaks each rule once is reported rule by rule, with nothing reported for the imports the rules
 * allow; and the real tree breaks none of them.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const RULE_NAMES = (createRequire(import.meta.url)(CONFIG) as { forbidden: { name: string }[] }).forbidden.map((r) => r.name);

interface Found {
  rule: string;
  from: string;
  to: string;
}

/** A package path (…/node_modules/name/…) shortened to the package name; anything else as reported. */
function shorten(path: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match ? match[1]! : path;
}

function found(violations: readonly IViolation[]): Found[] {
  return violations
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.cycle ? 'cycle' : shorten(v.to) }))
    .sort((a, b) => `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`));
}

async function cruiseWithProjectRules(baseDir: string): Promise<Found[]> {
  const options = await extractDepcruiseOptions(CONFIG);
  const result = await cruise(['src', 'verifier'], { ...options, baseDir, validate: true });
  return found((result.output as ICruiseResult).summary.violations);
}

describe('import rules', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-imports-'));
    // Packages resolve as in the project (the rules name them by their node_modules path).
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const files: Record<string, string> = {
      // Allowed: core -> core, core -> its packages.
      'src/core/pure.ts': "import { decodeJwt } from 'jose';\nimport { h } from './helpers.js';\nexport const pure = [decodeJwt, h];\n",
      'src/core/helpers.ts': 'export const h = 1;\n',
      // core-is-pure: a Node builtin, and a layer above.
      'src/core/impure.ts': "import { readFileSync } from 'node:fs';\nimport { y } from '../services/y.js';\nexport const impure = [readFileSync, y];\n",
      // no-circular.
      'src/core/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/core/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      // services-below-app-and-runtimes (the app, hono) and services-no-node-builtins.
      'src/services/y.ts':
        "import { createHash } from 'node:crypto';\nimport { Hono } from 'hono';\nimport { z } from '../app/z.js';\nimport { h } from '../core/helpers.js';\nexport const y = [createHash, Hono, z, h];\n",
      // app-below-runtimes.
      'src/app/z.ts': "import { main } from '../node/main.js';\nexport const z = main;\n",
      'src/node/main.ts': 'export const main = 1;\n',
      // runtimes-below-products: a runtime adapter reaching into the command line.
      'src/worker/entry.ts': "import { cli } from '../cli/main.js';\nexport const entry = cli;\n",
      'src/cli/main.ts': 'export const cli = 1;\n',
      // console-below-runtimes: the console reaching into a runtime entry.
      'src/console/page.ts': "import { main } from '../node/main.js';\nexport const page = main;\n",
      // holder-below-runtimes: the holder product reaching into a runtime entry; holder-web-only-own: its app reaching the server.
      'src/holder/routes.ts': "import { main } from '../node/main.js';\nexport const routes = main;\n",
      'src/holder/web/app.ts': "import { get } from 'idb-keyval';\nimport { own } from './own.js';\nimport { y } from '../../services/y.js';\nexport const app = [get, own, y];\n",
      'src/holder/web/own.ts': 'export const own = 1;\n',
      // import-core-is-neutral: the core is fine; a Node builtin and the services are not.
      'src/import-core/rows.ts':
        "import { readFileSync } from 'node:fs';\nimport { pure } from '../core/pure.js';\nimport { y } from '../services/y.js';\nexport const rows = [readFileSync, pure, y];\n",
      // db-below-services.
      'src/db/schema.ts': "import { y } from '../services/y.js';\nexport const schema = y;\n",
      // no-unresolvable.
      'src/app/missing.ts': "import { nothing } from './not-there.js';\nexport const missing = nothing;\n",
      // verifier-lib-only-core: the core is fine, the database schema is not.
      'verifier/lib.ts': "import { pure } from '../src/core/pure.js';\nimport { schema } from '../src/db/schema.js';\nexport const lib = [pure, schema];\n",
      // verifier-web-only-verifier-lib: the library and idb-keyval are fine; services and the core directly are not.
      'verifier/web/w.ts':
        "import { get } from 'idb-keyval';\nimport { lib } from '../lib.js';\nimport { y } from '../../src/services/y.js';\nimport { pure } from '../../src/core/pure.js';\nexport const w = [get, lib, y, pure];\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('report each rule broken in a small tree, and nothing the rules allow', async () => {
    const violations = await cruiseWithProjectRules(dir);
    expect(violations).toEqual([
      { rule: 'app-below-runtimes', from: 'src/app/z.ts', to: 'src/node/main.ts' },
      { rule: 'console-below-runtimes', from: 'src/console/page.ts', to: 'src/node/main.ts' },
      { rule: 'core-is-pure', from: 'src/core/impure.ts', to: 'fs' },
      { rule: 'core-is-pure', from: 'src/core/impure.ts', to: 'src/services/y.ts' },
      { rule: 'db-below-services', from: 'src/db/schema.ts', to: 'src/services/y.ts' },
      { rule: 'holder-below-runtimes', from: 'src/holder/routes.ts', to: 'src/node/main.ts' },
      { rule: 'holder-web-only-own', from: 'src/holder/web/app.ts', to: 'src/services/y.ts' },
      // A cycle is reported once, from its first module.
      { rule: 'import-core-is-neutral', from: 'src/import-core/rows.ts', to: 'fs' },
      { rule: 'import-core-is-neutral', from: 'src/import-core/rows.ts', to: 'src/services/y.ts' },
      { rule: 'no-circular', from: 'src/core/a.ts', to: 'cycle' },
      { rule: 'no-unresolvable', from: 'src/app/missing.ts', to: './not-there.js' },
      { rule: 'runtimes-below-products', from: 'src/worker/entry.ts', to: 'src/cli/main.ts' },
      { rule: 'services-below-app-and-runtimes', from: 'src/services/y.ts', to: 'hono' },
      { rule: 'services-below-app-and-runtimes', from: 'src/services/y.ts', to: 'src/app/z.ts' },
      { rule: 'services-no-node-builtins', from: 'src/services/y.ts', to: 'crypto' },
      { rule: 'verifier-lib-only-core', from: 'verifier/lib.ts', to: 'src/db/schema.ts' },
      { rule: 'verifier-web-only-verifier-lib', from: 'verifier/web/w.ts', to: 'src/core/pure.ts' },
      { rule: 'verifier-web-only-verifier-lib', from: 'verifier/web/w.ts', to: 'src/services/y.ts' },
    ]);
    // Every rule of the configuration is exercised above.
    expect(new Set(violations.map((v) => v.rule))).toEqual(new Set(RULE_NAMES));
  }, 60_000);

  it('find nothing in the real tree', async () => {
    expect(await cruiseWithProjectRules(ROOT)).toEqual([]);
  }, 60_000);
});
