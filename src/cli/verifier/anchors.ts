/**
 * The pinned trust anchors (`--anchors`, repeatable, one file per anchor accepted): each file is what
 * /.well-known/trust-anchor.json serves (`{ "anchorId", "keys" }`), `[{ "id", "keys" }]`, or an older
 * bare JWKS / array of JWKs (bound to an anchor id on first use, remembered in the state). Read with
 * the core's rules: private key material refuses a file, keys of unknown algorithms are skipped.
 */

import { ElicenceError } from '../../core/errors.js';
import { parseStrictJson } from '../../core/strict-json.js';
import type { AnchorKeys } from '../../core/trust-list.js';
import { readPinnedAnchors } from '../../core/trust-list.js';
import { MAX_ANCHORS_BYTES, readUserFile, utf8Text } from './files.js';

export async function readAnchorFiles(paths: readonly string[], cwd: string): Promise<{ anchors: AnchorKeys; skipped: string[] }> {
  const groups: Array<{ id?: string; keys: import('jose').JWK[] }> = [];
  const skipped: string[] = [];
  for (const path of paths) {
    const label = `--anchors ${path}`;
    const text = utf8Text(readUserFile(path, { cwd, label: '--anchors', maxBytes: MAX_ANCHORS_BYTES }), label);
    let document: unknown;
    try {
      document = parseStrictJson(text, 'ERR_JWKS_INVALID');
    } catch (cause) {
      throw new ElicenceError('ERR_JWKS_INVALID', `${label}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`, { field: 'anchors', cause });
    }
    const read = await readPinnedAnchors(document, label);
    groups.push(...read.anchors);
    skipped.push(...read.skipped.map((s) => `${label}: ${s}`));
  }
  return { anchors: groups, skipped };
}
