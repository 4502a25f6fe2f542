/**
 * Builds the inspectors' web app (verifier/web/) with esbuild into a folder of plain static files
 * (default dist/verifier/, gitignored): index.html, sw.js, manifest, icon and content-hashed assets,
 * each with a precompressed .gz beside it.
 * Prints every file's gzipped size and fails when the page's total passes the 150 KB budget; also
 * measures the same app without the SM2 code (a second, unwritten build), so what SM2 costs stays visible.
 *
 *   npx tsx scripts/build-verifier.ts [--out dir] [--anchors anchors.jwks] [--api-base https://host/]
 *
 * Environment equivalents: VERIFIER_OUT_DIR, VERIFIER_ANCHORS, VERIFIER_API_BASE.
 */

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { readPinnedAnchors } from '../src/core/trust-list.js';
import { writePwaShell } from './pwa-shell.js';
import { layOutWorkerAssets } from './worker-assets.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'verifier', 'web');
export const DEFAULT_VERIFIER_OUT_DIR = join(ROOT, 'dist', 'verifier');
/** Everything the page loads, gzipped (the web app's 150 KB budget). */
export const VERIFIER_SIZE_BUDGET_BYTES = 150 * 1024;

export interface BuildVerifierOptions {
  outDir?: string;
  /** A JWKS file of trust anchor keys to build in (then the app never asks to pin keys). */
  anchorsFile?: string;
  /** Where the bundle and anchor keys are fetched from (default "/": the serving origin). */
  apiBase?: string;
  /** Print nothing. */
  quiet?: boolean;
}

export interface BuiltFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface VerifierBuildReport {
  outDir: string;
  buildId: string;
  files: BuiltFile[];
  /** Sum of the gzipped sizes of everything the page can load (jsQR and SM2 chunks included). */
  totalGzipBytes: number;
  /** The same sum for a build whose SM2 module (src/core/sm2.ts, sm-crypto-v2) is left out. */
  withoutSm2GzipBytes: number;
  millis: number;
}

/** Pinned anchors for a build with built-in keys, read by the core's rules (public keys only, ids kept). */
async function readAnchors(file: string | undefined): Promise<Array<{ id?: string; keys: unknown[] }> | null> {
  if (!file) return null;
  return (await readPinnedAnchors(JSON.parse(readFileSync(file, 'utf8')) as unknown, file)).anchors;
}

/** Resolves the algorithm table's lazily imported SM2 module to an empty one. */
const WITHOUT_SM2: Plugin = {
  name: 'without-sm2',
  setup(b) {
    b.onResolve({ filter: /^\.\/sm2\.js$/ }, (args) => (args.importer.endsWith(join('src', 'core', 'algorithms.ts')) ? { path: 'sm2', namespace: 'without-sm2' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'without-sm2' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/** Gzipped size of the app's scripts and styles built without SM2 (nothing written). */
async function gzipBytesWithoutSm2(options: BuildOptions): Promise<number> {
  const result = await build({ ...options, write: false, plugins: [WITHOUT_SM2] });
  return result.outputFiles.reduce((sum, file) => sum + gzipSync(file.contents, { level: 9 }).length, 0);
}

export async function buildVerifierApp(options: BuildVerifierOptions = {}): Promise<VerifierBuildReport> {
  const started = performance.now();
  const outDir = resolve(options.outDir ?? DEFAULT_VERIFIER_OUT_DIR);
  // Built next to the target and swapped in at the end, so a running server never serves half a build.
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'assets'), { recursive: true });

  const appOptions = {
    entryPoints: { app: join(SOURCE, 'main.ts'), style: join(SOURCE, 'styles.css') },
    outdir: join(staging, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'safari15.4', 'firefox100'],
    minify: true,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    logLevel: 'silent',
    define: {
      __ELICENCE_ANCHORS__: JSON.stringify(await readAnchors(options.anchorsFile)),
      __ELICENCE_API_BASE__: JSON.stringify(options.apiBase ?? '/'),
    },
  } satisfies BuildOptions;
  const app = await build(appOptions);
  const { buildId, files } = await writePwaShell(SOURCE, staging, app.metafile);
  const totalGzipBytes = files.reduce((sum, f) => sum + f.gzipBytes, 0);
  const shellGzipBytes = files.filter((f) => !f.path.startsWith('assets/')).reduce((sum, f) => sum + f.gzipBytes, 0);
  const withoutSm2GzipBytes = shellGzipBytes + (await gzipBytesWithoutSm2(appOptions));
  const report: VerifierBuildReport = { outDir, buildId, files, totalGzipBytes, withoutSm2GzipBytes, millis: Math.round(performance.now() - started) };
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify({ ...report, outDir: basename(outDir) }, null, 2)}\n`);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(staging, outDir);

  if (!options.quiet) printReport(report);
  if (totalGzipBytes > VERIFIER_SIZE_BUDGET_BYTES) {
    throw new Error(`verifier app is ${kb(totalGzipBytes)} gzipped, over the ${kb(VERIFIER_SIZE_BUDGET_BYTES)} budget`);
  }
  return report;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function printReport(report: VerifierBuildReport): void {
  const width = Math.max(...report.files.map((f) => f.path.length));
  const lines = report.files.map((f) => `  ${f.path.padEnd(width)}  ${kb(f.bytes).padStart(9)}  ${kb(f.gzipBytes).padStart(9)} gz`);
  console.log(
    [
      `verifier app -> ${relative(process.cwd(), report.outDir) || '.'} (build ${report.buildId}, ${report.millis} ms)`,
      ...lines,
      `  total gzipped: ${kb(report.totalGzipBytes)} of ${kb(VERIFIER_SIZE_BUDGET_BYTES)} budget` +
        ` (without the SM2 code: ${kb(report.withoutSm2GzipBytes)}; SM2 adds ${kb(report.totalGzipBytes - report.withoutSm2GzipBytes)})`,
    ].join('\n'),
  );
}

function argValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const outDir = argValue(args, '--out') ?? process.env.VERIFIER_OUT_DIR;
  const anchorsFile = argValue(args, '--anchors') ?? process.env.VERIFIER_ANCHORS;
  const apiBase = argValue(args, '--api-base') ?? process.env.VERIFIER_API_BASE;
  buildVerifierApp({ ...(outDir ? { outDir } : {}), ...(anchorsFile ? { anchorsFile } : {}), ...(apiBase ? { apiBase } : {}) })
    // The same build laid out for a Worker's static assets (wrangler.toml [assets]).
    .then((report) => layOutWorkerAssets(report.outDir))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
