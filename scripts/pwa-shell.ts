/**
 * The part of building a web app that the inspectors' app and the holder app share: given the esbuild
 * output of its script and style in `staging/assets/`, write the page, manifest and icon, the service
 * worker (its build id hashing every file, its precache list), and a precompressed .gz beside each file.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';

export interface ShellFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

export async function writePwaShell(source: string, staging: string, metafile: Metafile): Promise<{ buildId: string; files: ShellFile[] }> {
  const assets = Object.keys(metafile.outputs).map((file) => relative(staging, resolve(file)).split('\\').join('/'));
  const script = assets.find((a) => /^assets\/app-[^/]+\.js$/.test(a));
  const style = assets.find((a) => /^assets\/style-[^/]+\.css$/.test(a));
  if (!script || !style) throw new Error(`build output lacks the app script or style: ${assets.join(', ')}`);

  const html = readFileSync(join(source, 'index.html'), 'utf8').replace('%APP_JS%', script).replace('%APP_CSS%', style);
  writeFileSync(join(staging, 'index.html'), html);
  for (const file of ['manifest.webmanifest', 'icon.svg']) copyFileSync(join(source, file), join(staging, file));

  const hash = createHash('sha256');
  for (const file of [...assets, 'index.html', 'manifest.webmanifest', 'icon.svg'].sort()) hash.update(file).update(readFileSync(join(staging, file)));
  const buildId = hash.digest('hex').slice(0, 16);
  await build({
    entryPoints: [join(source, 'sw.ts')],
    outfile: join(staging, 'sw.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    logLevel: 'silent',
    define: {
      __ELICENCE_BUILD_ID__: JSON.stringify(buildId),
      __ELICENCE_PRECACHE__: JSON.stringify(['./', 'manifest.webmanifest', 'icon.svg', ...assets]),
    },
  });

  const files = ['index.html', 'sw.js', 'manifest.webmanifest', 'icon.svg', ...assets].map((path) => {
    const bytes = readFileSync(join(staging, path));
    const gzipped = gzipSync(bytes, { level: 9 });
    // Precompressed copies (nginx gzip_static convention); the Node route serves them too.
    writeFileSync(join(staging, `${path}.gz`), gzipped);
    return { path, bytes: bytes.length, gzipBytes: gzipped.length };
  });
  return { buildId, files };
}
