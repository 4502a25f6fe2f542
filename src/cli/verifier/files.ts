/**
 * Reading the files named on the command line, and writing output files atomically. A path is read
 * only if it is a regular file (symlinks are followed to one, directories and devices refused) below
 * a size cap; the size is checked on the open descriptor, so a file swapped in between cannot slip
 * past. Every failure is a typed ElicenceError naming the option.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ElicenceError } from '../../core/errors.js';

/** `details` of the error a failed write raises (exit 73 rather than 66). */
export const WRITE_FAILURE = 'write';

export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
export const MAX_ANCHORS_BYTES = 256 * 1024;
export const MAX_STATE_BYTES = 1024 * 1024;
export const MAX_INPUT_BYTES = 20 * 1024 * 1024;

function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Resolves a user-given path against `cwd` after basic checks (no empty path, no NUL). */
export function userPath(path: string, cwd: string, label: string): string {
  if (path.length === 0 || path.includes('\0')) throw new ElicenceError('ERR_FILE_NOT_FOUND', `${label}: not a file path`, { field: label });
  return resolve(cwd, path);
}

/** Reads a regular file of at most `maxBytes`; `label` (e.g. `--bundle`) names it in errors. */
export function readUserFile(path: string, options: { cwd: string; label: string; maxBytes: number }): Uint8Array {
  const { label, maxBytes } = options;
  const full = userPath(path, options.cwd, label);
  let fd: number;
  try {
    fd = openSync(full, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT' || errno === 'ENOTDIR') throw new ElicenceError('ERR_FILE_NOT_FOUND', `${label}: ${full} does not exist`, { field: label, cause: error });
    if (errno === 'EISDIR') throw new ElicenceError('ERR_FILE_NOT_REGULAR', `${label}: ${full} is a directory, not a file`, { field: label, cause: error });
    throw new ElicenceError('ERR_FILE_UNREADABLE', `${label}: cannot open ${full} (${errno ?? String(error)})`, { field: label, cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new ElicenceError('ERR_FILE_NOT_REGULAR', `${label}: ${full} is a directory, not a file`, { field: label });
    if (!stat.isFile()) throw new ElicenceError('ERR_FILE_NOT_REGULAR', `${label}: ${full} is not a regular file`, { field: label });
    if (stat.size > maxBytes) throw new ElicenceError('ERR_FILE_TOO_LARGE', `${label}: ${full} is ${stat.size} bytes, more than the ${maxBytes} allowed`, { field: label });
    // Read one byte past the cap: a file that grew after fstat is still caught.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw new ElicenceError('ERR_FILE_TOO_LARGE', `${label}: ${full} is more than ${maxBytes} bytes`, { field: label });
      if (length === buffer.length) break;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } catch (error) {
    if (error instanceof ElicenceError) throw error;
    throw new ElicenceError('ERR_FILE_UNREADABLE', `${label}: cannot read ${full} (${errnoOf(error) ?? String(error)})`, { field: label, cause: error });
  } finally {
    closeSync(fd);
  }
}

/** Strict UTF-8 text of a file's bytes. */
export function utf8Text(bytes: Uint8Array, label: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ElicenceError('ERR_VALIDATION', `${label}: not UTF-8 text`, { field: label, cause });
  }
}

/**
 * Writes a file atomically: a temporary file in the same directory, then a rename over the target,
 * so a reader (or a crash) never sees half a file. Failures are ERR_FILE_UNREADABLE naming the path,
 * marked with `details: WRITE_FAILURE`.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, label: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, content, { flag: 'wx', mode: 0o644 });
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new ElicenceError('ERR_FILE_UNREADABLE', `${label}: cannot write ${path} (${errnoOf(error) ?? String(error)})`, { field: label, cause: error, details: WRITE_FAILURE });
  }
}
