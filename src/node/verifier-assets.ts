/** The built web apps on disk (dist/verifier/ or VERIFIER_DIST_DIR; dist/holder/ or HOLDER_DIST_DIR) and the /docs files (dist/api-docs/), for the Node entry to serve. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AssetSource } from '../app/deps.js';

export const DEFAULT_VERIFIER_DIST = fileURLToPath(new URL('../../dist/verifier/', import.meta.url));
export const DEFAULT_HOLDER_DIST = fileURLToPath(new URL('../../dist/holder/', import.meta.url));

/** The holder app's build (src/holder/web/, scripts/build-holder.ts). */
export const createHolderAssetSource = (directory: string = process.env['HOLDER_DIST_DIR'] || DEFAULT_HOLDER_DIST): AssetSource => createDistAssetSource(directory);

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
