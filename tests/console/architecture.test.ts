/**
 * The console's .tsx views are left out of dependency-cruiser (its swc parser reads no JSX), so their
 * imports are checked here against the same rule: the console may use the app-level helpers, the
 * services, the core, its own modules and hono's JSX, never a runtime entry, the command line or the importer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CONSOLE = join(ROOT, 'src', 'console');
const ALLOWED_PACKAGES = [/^hono\/jsx$/, /^hono$/];
const ALLOWED_FOLDERS = /^src\/(console|app|services|core|db)\//;
const FORBIDDEN_FOLDERS = /^src\/(node|worker|cli|import)\//;

function tsxFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsxFiles(join(dir, entry.name)) : entry.name.endsWith('.tsx') ? [join(dir, entry.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports (static imports; the views have no dynamic ones). */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function violations(file: string, source: string): string[] {
  return importsOf(source).flatMap((specifier) => {
    if (!specifier.startsWith('.')) return ALLOWED_PACKAGES.some((p) => p.test(specifier)) ? [] : [`${specifier} (package)`];
    const target = relative(ROOT, resolve(dirname(file), specifier))
      .split('\\')
      .join('/');
    if (FORBIDDEN_FOLDERS.test(target) || !ALLOWED_FOLDERS.test(target)) return [target];
    return [];
  });
}

describe('console views (.tsx) keep the console rule', () => {
  it('finds the views and checks every import', () => {
    const files = tsxFiles(CONSOLE);
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((file) => violations(file, readFileSync(file, 'utf8')).map((v) => `${relative(ROOT, file)} -> ${v}`));
    expect(found).toEqual([]);
  });

  it('the check bites: a runtime entry, the command line or another package is refused', () => {
    const file = join(CONSOLE, 'pages', 'x.tsx');
    const source =
      "import { a } from '../../node/main.js';\nimport type { B } from '../../cli/main.js';\nimport { c } from 'better-sqlite3';\nimport { d } from '../../services/licences.js';\n";
    expect(violations(file, source)).toEqual(['src/node/main.js', 'src/cli/main.js', 'better-sqlite3 (package)']);
  });
});
