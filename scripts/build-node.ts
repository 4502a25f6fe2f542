/**
 * Builds the Node runtime's JavaScript with esbuild into dist/node/ (gitignored): the service
 * (`main.js`), the command line (`cli.js`, each command split into its own chunk and loaded only when
 * it runs) and the QR worker thread (`qr-worker-thread.js`), shared code in `chunk-*.js`, a source map
 * beside each file. Packages stay external (better-sqlite3 is native; the rest load from node_modules
 * as they do from source), so dist/node/ runs only inside a project with its dependencies installed.
 *
 *   npx tsx scripts/build-node.ts [--quiet]
 *
 * Every output file sits flat in dist/node/, two levels below the root as its source does in src/node/,
 * so the paths resolved from `import.meta.url` (`../../migrations`, `../../dist/verifier/`,
 * `./qr-worker-thread.js`) hold for the source and the build alike: keep it that way.
 * Files whose content did not change are not rewritten, and a changed file is replaced by a rename, so
 * a build (every `npm run elicence` makes one) never disturbs a service or a command already running.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_OUT_DIR = join(ROOT, 'dist', 'node');

/** Output name (without .js) -> source entry. */
export const NODE_ENTRIES = {
  main: 'src/node/main.ts',
  cli: 'src/cli/main.ts',
  'qr-worker-thread': 'src/node/qr-worker-thread.ts',
} as const;

export interface NodeBuildReport {
  outDir: string;
  files: string[];
  /** Files written because they were new or changed. */
  written: string[];
  /** Files of an earlier build that this one no longer has, deleted. */
  removed: string[];
  millis: number;
}

export async function buildNode(options: { quiet?: boolean } = {}): Promise<NodeBuildReport> {
  const started = performance.now();
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(NODE_ENTRIES).map(([name, source]) => [name, join(ROOT, source)])),
    outdir: NODE_OUT_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunk-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    write: false,
    logLevel: 'warning',
  });

  mkdirSync(NODE_OUT_DIR, { recursive: true });
  const files: string[] = [];
  const written: string[] = [];
  for (const output of result.outputFiles) {
    const name = relative(NODE_OUT_DIR, output.path);
    if (name.includes('/') || name.includes('\\')) throw new Error(`build output must stay flat in dist/node: ${name}`);
    files.push(name);
    if (sameContent(output.path, output.contents)) continue;
    const staging = `${output.path}.tmp-${process.pid}`;
    writeFileSync(staging, output.contents);
    renameSync(staging, output.path);
    written.push(name);
  }
  const keep = new Set(files);
  const removed = readdirSync(NODE_OUT_DIR).filter((name) => !keep.has(name) && !name.includes('.tmp-'));
  for (const name of removed) rmSync(join(NODE_OUT_DIR, name), { recursive: true, force: true });

  const report: NodeBuildReport = { outDir: NODE_OUT_DIR, files: files.sort(), written, removed, millis: Math.round(performance.now() - started) };
  if (!options.quiet) {
    const entries = Object.keys(NODE_ENTRIES)
      .map((name) => `${name}.js`)
      .join(', ');
    console.log(`node build -> ${relative(process.cwd(), NODE_OUT_DIR) || '.'}: ${entries} (${files.length} files, ${written.length} written, ${report.millis} ms)`);
  }
  return report;
}

function sameContent(path: string, contents: Uint8Array): boolean {
  try {
    return Buffer.from(contents).equals(readFileSync(path));
  } catch {
    return false;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildNode({ quiet: process.argv.includes('--quiet') }).catch((error: unknown) => {
    // esbuild has already printed each error with its location.
    console.error(`${basename(fileURLToPath(import.meta.url))}: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    process.exit(1);
  });
}
