/** The built verifier web app (dist/verifier/, or VERIFIER_DIST_DIR) and /docs files (dist/api-docs/) on disk, for the Node entry to serve. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AssetSource } from '../app/deps.js';

export const DEFAULT_VERIFIER_DIST = fileURLToPath(new URL('../../dist/verifier/', import.meta.url));
/** The /docs page's files (scripts/build-api-docs.ts). */
export const DEFAULT_API_DOCS_DIST = fileURLToPath(new URL('../../dist/api-docs/', import.meta.url));

/** Reads files below `directory`; the route only asks for allow-listed names, and nothing outside is read. */
export function createDistAssetSource(directory: string = process.env['VERIFIER_DIST_DIR'] || DEFAULT_VERIFIER_DIST): AssetSource {
  const root = resolve(directory);
  return {
    async read(relativePath) {
      const path = resolve(join(root, relativePath));
      if (!path.startsWith(`${root}/`)) return undefined;
      try {
        return new Uint8Array(await readFile(path));
      } catch {
        return undefined;
      }
    },
  };
}
