/**
 * The verifier's state, one per installation (docs/verifier.md, "State"): the highest trust list
 * sequence seen per anchor, the newest status list seen per URL (its signing time and its version),
 * the anchor id each bare pinned key was bound to, and per bundle file what its last sync got (source
 * URL, ETag, generatedAt, whether it was synced province-only). Whatever
 * bundle file a later run is given, an older list than one already seen is refused: a replay cannot
 * hide behind another file name.
 *
 * Default `$XDG_STATE_HOME/elicence/verifier-state.json` (else `~/.local/state/elicence/…`); `--state`
 * overrides. Updated read-modify-write under a lock and written atomically. State files of earlier
 * versions, kept next to a bundle (`<bundle>.state.json`), are merged in (the maximum per key) the first
 * time that bundle is used. A missing file is an empty state; a corrupt one is an error, never silently
 * reset (that would re-open the replay window).
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ElicenceError } from '../../core/errors.js';
import { isRecord, parseStrictJson } from '../../core/strict-json.js';
import { MAX_STATE_BYTES, readUserFile, userPath, utf8Text, writeFileAtomic } from './files.js';

export interface SyncRecord {
  /** The bundle URL fetched. */
  url: string;
  etag?: string;
  /** generatedAt of the last full or delta response (the next `since`). */
  generatedAt: string;
  /** Synced in province-only mode (only the pinned anchors' own authorities' status data). */
  provinceOnly?: boolean;
}

export interface VerifierState {
  version: 1;
  trustListSequences: Record<string, number>;
  /** Per status list URL: when the newest copy used was signed (ms since the epoch). */
  statusListsSeen: Record<string, number>;
  /** Per status list URL: the highest version used (a replayed patch can never move a list back). */
  statusVersionsSeen: Record<string, number>;
  /** Per pinned key given without an anchor id: the anchor id it was bound to on first use. */
  anchorBindings: Record<string, string>;
  /** Per bundle file (absolute path): what its last sync got. */
  syncs: Record<string, SyncRecord>;
  /** Legacy `<bundle>.state.json` files already merged in (absolute paths). */
  merged: string[];
}

export const emptyState = (): VerifierState => ({ version: 1, trustListSequences: {}, statusListsSeen: {}, statusVersionsSeen: {}, anchorBindings: {}, syncs: {}, merged: [] });

/** Where the state lives unless `--state` says otherwise. */
export function defaultStatePath(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'elicence', 'verifier-state.json');
}

export const legacyStateFileFor = (bundlePath: string): string => `${bundlePath}.state.json`;

function corrupt(path: string, why: string): ElicenceError {
  return new ElicenceError('ERR_VALIDATION', `state file ${path}: ${why}; fix or delete it (deleting forgets the trust list sequences seen)`, { field: 'state' });
}

function numbers(value: unknown, path: string, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (value === undefined) return out;
  if (!isRecord(value)) throw corrupt(path, `bad ${what}`);
  for (const [key, n] of Object.entries(value)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw corrupt(path, `bad ${what} for ${key}`);
    out[key] = n;
  }
  return out;
}

function syncRecord(value: unknown, path: string): SyncRecord {
  if (
    !isRecord(value) ||
    typeof value.url !== 'string' ||
    typeof value.generatedAt !== 'string' ||
    (value.etag !== undefined && typeof value.etag !== 'string') ||
    (value.provinceOnly !== undefined && typeof value.provinceOnly !== 'boolean')
  ) {
    throw corrupt(path, 'bad sync record');
  }
  return {
    url: value.url,
    generatedAt: value.generatedAt,
    ...(typeof value.etag === 'string' ? { etag: value.etag } : {}),
    ...(value.provinceOnly === true ? { provinceOnly: true } : {}),
  };
}

/** Reads a state file (this version's or a legacy per-bundle one); undefined when there is none. */
function readStateFile(path: string, cwd: string, legacyBundle?: string): VerifierState | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readUserFile(path, { cwd, label: '--state', maxBytes: MAX_STATE_BYTES });
  } catch (error) {
    if (error instanceof ElicenceError && error.code === 'ERR_FILE_NOT_FOUND') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = parseStrictJson(utf8Text(bytes, '--state'));
  } catch {
    throw corrupt(path, 'not JSON');
  }
  if (!isRecord(value) || value.version !== 1 || !isRecord(value.trustListSequences)) throw corrupt(path, 'not a verifier state (version 1)');
  const state = emptyState();
  state.trustListSequences = numbers(value.trustListSequences, path, 'sequence');
  state.statusListsSeen = numbers(value.statusListsSeen, path, 'status list time');
  state.statusVersionsSeen = numbers(value.statusVersionsSeen, path, 'status list version');
  if (value.anchorBindings !== undefined) {
    if (!isRecord(value.anchorBindings) || !Object.values(value.anchorBindings).every((id) => typeof id === 'string')) throw corrupt(path, 'bad anchorBindings');
    state.anchorBindings = value.anchorBindings as Record<string, string>;
  }
  if (value.syncs !== undefined) {
    if (!isRecord(value.syncs)) throw corrupt(path, 'bad syncs');
    for (const [file, record] of Object.entries(value.syncs)) state.syncs[file] = syncRecord(record, path);
  }
  // A legacy per-bundle file kept one sync record, for its bundle.
  if (value.sync !== undefined && legacyBundle !== undefined) state.syncs[legacyBundle] = syncRecord(value.sync, path);
  if (Array.isArray(value.merged)) state.merged = value.merged.filter((p): p is string => typeof p === 'string');
  return state;
}

/** Folds `other` into `state`: the highest sequence and newest status list per key; known bindings kept. */
function mergeInto(state: VerifierState, other: VerifierState): void {
  raiseSequences(
    state,
    Object.entries(other.trustListSequences).map(([anchorId, sequence]) => ({ anchorId, sequence })),
  );
  raiseStatusListsSeen(
    state,
    Object.entries(other.statusListsSeen).map(([url, issuedAt]) => ({ url, issuedAt })),
  );
  raiseStatusListsSeen(
    state,
    Object.entries(other.statusVersionsSeen).map(([url, version]) => ({ url, issuedAt: 0, version })),
  );
  for (const [kid, id] of Object.entries(other.anchorBindings)) state.anchorBindings[kid] ??= id;
  for (const [file, record] of Object.entries(other.syncs)) state.syncs[file] ??= record;
}

export interface StateOptions {
  /** `--state`, else the per-installation default. */
  path: string | undefined;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Bundle files this run uses: their legacy `<bundle>.state.json` are merged in on first use. */
  bundles: readonly string[];
  /** Called instead of throwing when the updated state cannot be written (the run's answer stands). */
  onWriteFailure?: (error: ElicenceError) => void;
}

/**
 * Reads the state under a lock, lets `update` change it, writes it back atomically if it changed, and
 * releases the lock. `update` returns what the caller wants; a throw writes nothing.
 */
export async function withState<T>(options: StateOptions, update: (state: VerifierState, bundlePath: (bundle: string) => string) => Promise<T>): Promise<T> {
  const path = userPath(options.path ?? defaultStatePath(options.env), options.cwd, '--state');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let release: () => void;
  try {
    // realpath false: the state file need not exist yet. A lock older than 30 s is stale (a killed run).
    release = lockfile.lockSync(path, { realpath: false, stale: 30_000 });
  } catch (cause) {
    throw new ElicenceError('ERR_FILE_UNREADABLE', `state file ${path} is locked by another run; try again`, { field: 'state', cause });
  }
  try {
    const state = readStateFile(path, options.cwd) ?? emptyState();
    const before = JSON.stringify(state);
    for (const bundle of options.bundles) {
      const absolute = userPath(bundle, options.cwd, '--bundle');
      const legacy = legacyStateFileFor(absolute);
      if (legacy === path || state.merged.includes(legacy)) continue;
      const old = readStateFile(legacy, options.cwd, absolute);
      if (old) mergeInto(state, old);
      state.merged.push(legacy);
    }
    const result = await update(state, (bundle) => userPath(bundle, options.cwd, '--bundle'));
    if (JSON.stringify(state) !== before) {
      try {
        writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, '--state');
      } catch (error) {
        if (!(error instanceof ElicenceError) || !options.onWriteFailure) throw error;
        options.onWriteFailure(error);
      }
    }
    return result;
  } finally {
    release();
  }
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

/** Raises the stored status list times (and versions) to those used; true when anything changed. */
export function raiseStatusListsSeen(state: VerifierState, used: ReadonlyArray<{ url: string; issuedAt: number; version?: number }>): boolean {
  let changed = false;
  for (const { url, issuedAt, version } of used) {
    const known = state.statusListsSeen[url];
    if (issuedAt > 0 && (known === undefined || issuedAt > known)) {
      state.statusListsSeen[url] = issuedAt;
      changed = true;
    }
    const knownVersion = state.statusVersionsSeen[url];
    if (version !== undefined && (knownVersion === undefined || version > knownVersion)) {
      state.statusVersionsSeen[url] = version;
      changed = true;
    }
  }
  return changed;
}

/** Keeps the anchor ids bare pinned keys were bound to; an existing binding is never replaced. */
export function keepBindings(state: VerifierState, bindings: Readonly<Record<string, string>>): void {
  for (const [kid, id] of Object.entries(bindings)) state.anchorBindings[kid] ??= id;
}
