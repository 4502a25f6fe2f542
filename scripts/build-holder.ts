/**
 * Builds the holder app (src/holder/web/) with esbuild into a folder of plain static files (default
 * dist/holder/, gitignored): index.html, sw.js, manifest, icon and content-hashed assets, each with a
 * precompressed .gz beside it. Prints every file's gzipped size and fails when their total passes the
 * 150 KB budget (every chunk counts), like the inspectors' app.
 *
 *   npx tsx scripts/build-holder.ts [--out dir]
 */

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { writePwaShell } from './pwa-shell.js';
import { layOutWorkerAssets } from './worker-assets.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'src', 'holder', 'web');
export const DEFAULT_HOLDER_OUT_DIR = join(ROOT, 'dist', 'holder');
/** Everything the page can load, gzipped. */
export const HOLDER_SIZE_BUDGET_BYTES = 150 * 1024;

export interface HolderBuildReport {
  outDir: string;
  buildId: string;
  files: { path: string; bytes: number; gzipBytes: number }[];
  totalGzipBytes: number;
  millis: number;
}

export async function buildHolderApp(options: { outDir?: string; quiet?: boolean; budgetBytes?: number } = {}): Promise<HolderBuildReport> {
  const started = performance.now();
  const outDir = resolve(options.outDir ?? DEFAULT_HOLDER_OUT_DIR);
  const budget = options.budgetBytes ?? HOLDER_SIZE_BUDGET_BYTES;
  // Built next to the target and swapped in at the end, so a running server never serves half a build.
  const staging = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'assets'), { recursive: true });

  const app = await build({
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
  });
  const { buildId, files } = await writePwaShell(SOURCE, staging, app.metafile);
  const totalGzipBytes = files.reduce((sum, f) => sum + f.gzipBytes, 0);
  const report: HolderBuildReport = { outDir, buildId, files, totalGzipBytes, millis: Math.round(performance.now() - started) };
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify({ ...report, outDir: basename(outDir) }, null, 2)}\n`);

  if (!options.quiet) printReport(report, budget);
  if (totalGzipBytes > budget) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`holder app is ${kb(totalGzipBytes)} gzipped, over the ${kb(budget)} budget`);
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  renameSync(staging, outDir);
  return report;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function printReport(report: HolderBuildReport, budget: number): void {
  const width = Math.max(...report.files.map((f) => f.path.length));
  const lines = report.files.map((f) => `  ${f.path.padEnd(width)}  ${kb(f.bytes).padStart(9)}  ${kb(f.gzipBytes).padStart(9)} gz`);
  console.log(
    [
      `holder app -> ${relative(process.cwd(), report.outDir) || '.'} (build ${report.buildId}, ${report.millis} ms)`,
      ...lines,
      `  total gzipped: ${kb(report.totalGzipBytes)} of ${kb(budget)} budget`,
    ].join('\n'),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const index = args.indexOf('--out');
  const outDir = index === -1 ? process.env.HOLDER_OUT_DIR : args[index + 1];
  buildHolderApp(outDir ? { outDir } : {})
    // The same build laid out for a Worker's static assets (wrangler.toml [assets]).
    .then(() => layOutWorkerAssets())
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
