/**
 * Idempotency keys for imported rows. A row's key is a hash of the import scope (by default the file's
 * name, so a re-run of the same file, even after fixing other rows or moving it, matches) and the
 * row's normalised licence request, so the same licence content under the same scope always gets the
 * same key, whatever its row number, date spelling or column order. The server keeps each key with
 * the licence it issued in the same commit, so a re-sent row is answered with that licence: a run
 * killed at any point, even with a batch in flight, issues each row exactly once when run again.
 * SHA-256 from @noble/hashes: synchronous and the same in Node and in the browser, so the console's
 * import page and the command line derive the same key for the same row.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJson } from '../core/canonical-json.js';
import { base64url, utf8 } from '../core/encoding.js';

/** One licence request, as the batch endpoint takes it (without its key). */
export interface ImportItem {
  type: string;
  subject: Record<string, unknown>;
  validFrom?: string;
  /** null: no expiry (有效期 长期 in the register). */
  validUntil?: string | null;
}

/** Bump when the normalisation changes what a row hashes to, so old and new keys cannot collide. */
const KEY_VERSION = 'imp1';

export function rowIdempotencyKey(scope: string, item: ImportItem): string {
  return `${KEY_VERSION}-${base64url(sha256(utf8(canonicalJson({ scope, item }))))}`;
}
