/**
 * The small state file kept next to a bundle (`<bundle>.state.json`, or `--state`): the highest trust
 * list sequence seen per anchor and the newest status list seen per URL, so a later run refuses an
 * older list (a replay) even from another bundle file, and what the last sync got (source URL, ETag,
 * generatedAt) for incremental refresh.
 * A missing file is an empty state; a corrupt one is an error, never silently reset (that would
 * re-open the replay window).
 */
import { ElicenceError } from '../../core/errors.js';
import { isRecord, parseStrictJson } from '../../core/strict-json.js';
import { MAX_STATE_BYTES, readUserFile, userPath, utf8Text, writeFileAtomic } from './files.js';

export interface SyncRecord {
  /** The bundle URL fetched. */
  url: string;
  etag?: string;
  /** generatedAt of the last full or delta response (the next `since`). */
  generatedAt: string;
}

export interface VerifierState {
  version: 1;
  trustListSequences: Record<string, number>;
  /** Per status list URL: when the newest copy used was signed (ms since the epoch). */
  statusListsSeen: Record<string, number>;
  sync?: SyncRecord;
}

export const stateFileFor = (bundlePath: string): string => `${bundlePath}.state.json`;

function corrupt(path: string, why: string): ElicenceError {
  return new ElicenceError('ERR_VALIDATION', `state file ${path}: ${why}; fix or delete it (deleting forgets the trust list sequences seen)`, { field: 'state' });
}

export function readState(path: string, cwd: string): VerifierState {
  let bytes: Uint8Array;
  try {
    bytes = readUserFile(path, { cwd, label: '--state', maxBytes: MAX_STATE_BYTES });
  } catch (error) {
    if (error instanceof ElicenceError && error.code === 'ERR_FILE_NOT_FOUND') return { version: 1, trustListSequences: {}, statusListsSeen: {} };
    throw error;
  }
  let value: unknown;
  try {
    value = parseStrictJson(utf8Text(bytes, '--state'));
  } catch {
    throw corrupt(path, 'not JSON');
  }
  if (!isRecord(value) || value.version !== 1 || !isRecord(value.trustListSequences)) throw corrupt(path, 'not a verifier state (version 1)');
  const sequences: Record<string, number> = {};
  for (const [anchor, sequence] of Object.entries(value.trustListSequences)) {
    if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) throw corrupt(path, `bad sequence for ${anchor}`);
    sequences[anchor] = sequence;
  }
  // Absent in state files written before status lists were remembered: start empty.
  const statusListsSeen: Record<string, number> = {};
  if (value.statusListsSeen !== undefined) {
    if (!isRecord(value.statusListsSeen)) throw corrupt(path, 'bad statusListsSeen');
    for (const [url, issuedAt] of Object.entries(value.statusListsSeen)) {
      if (typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt) || issuedAt < 0) throw corrupt(path, `bad time for status list ${url}`);
      statusListsSeen[url] = issuedAt;
    }
  }
  const state: VerifierState = { version: 1, trustListSequences: sequences, statusListsSeen };
  const sync = value.sync;
  if (sync !== undefined) {
    if (!isRecord(sync) || typeof sync.url !== 'string' || typeof sync.generatedAt !== 'string' || (sync.etag !== undefined && typeof sync.etag !== 'string')) {
      throw corrupt(path, 'bad sync record');
    }
    state.sync = { url: sync.url, generatedAt: sync.generatedAt, ...(typeof sync.etag === 'string' ? { etag: sync.etag } : {}) };
  }
  return state;
}

export function writeState(path: string, cwd: string, state: VerifierState): void {
  writeFileAtomic(userPath(path, cwd, '--state'), `${JSON.stringify(state, null, 2)}\n`, '--state');
}

/** Raises the stored sequences to those seen; true when anything changed. */
export function raiseSequences(state: VerifierState, seen: ReadonlyArray<{ anchorId: string; sequence: number }>): boolean {
  let changed = false;
  for (const { anchorId, sequence } of seen) {
    const known = state.trustListSequences[anchorId];
    if (known === undefined || sequence > known) {
      state.trustListSequences[anchorId] = sequence;
      changed = true;
    }
  }
  return changed;
}

/** Raises the stored status list times to those used; true when anything changed. */
export function raiseStatusListsSeen(state: VerifierState, used: ReadonlyArray<{ url: string; issuedAt: number }>): boolean {
  let changed = false;
  for (const { url, issuedAt } of used) {
    const known = state.statusListsSeen[url];
    if (known === undefined || issuedAt > known) {
      state.statusListsSeen[url] = issuedAt;
      changed = true;
    }
  }
  return changed;
}
