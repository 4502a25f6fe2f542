/**
 * The command line's column mapping: the rules of src/import-core/columns.ts, and reading a `--map`
 * file (`{ "header text": "fieldName" | "validFrom" | "validUntil" | null }`).
 */
import { readFile } from 'node:fs/promises';
import { ElicenceError } from '../core/errors.js';
import { isRecord } from '../core/strict-json.js';
import type { HeaderMap } from '../import-core/columns.js';

export { type ColumnTarget, foldHeader, type HeaderMap, mapColumns } from '../import-core/columns.js';

export async function readHeaderMap(path: string): Promise<HeaderMap> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_FILE', `cannot read the --map file ${path}: ${(cause as Error).message}`, { field: 'map', cause });
  }
  if (!isRecord(parsed) || !Object.values(parsed).every((v) => v === null || typeof v === 'string')) {
    throw new ElicenceError('ERR_IMPORT_FILE', '--map must be a JSON object of "header": "fieldName" (or null to ignore the column)', { field: 'map' });
  }
  return parsed as HeaderMap;
}
