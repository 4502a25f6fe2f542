/**
 * A status list as a verifier holds it once verified (docs/trust-list.md, "Status copies"): its size
 * and the sorted indices of its set bits, plus, for a revocation list with reasons, the reason code
 * of each set bit in index order. Lookups are a binary search (the rank of a set bit is its position,
 * so its reason is found in the same step); a national set of lists takes a few bytes per set bit
 * instead of one bit per entry.
 *
 * Also here: applying a patch's flips to such a list, the SHA-256 of the bitstring it stands for (what
 * a status patch signs), the 3-bit packing of reason codes (as a reasons document packs them), and the
 * compact copy a bundle carries a list in (Rice-coded set indices, rice.ts).
 */
import { base64url, fromBase64url } from './encoding.js';
import { ElicenceError } from './errors.js';
import { decodeIndicesInto, encodeIndices } from './rice.js';
import { Bitstring, MAX_STATUS_LIST_BYTES } from './status-list.js';
import { isRecord } from './strict-json.js';

/** Largest list a copy may describe: as for a W3C list, 2 MiB of bits. */
export const MAX_STATUS_LIST_ENTRIES = MAX_STATUS_LIST_BYTES * 8;

export interface SparseStatusList {
  /** Entries (bits) of the list, a positive multiple of 8. */
  readonly size: number;
  /** Indices of the set bits, strictly increasing. */
  readonly set: Uint32Array;
  /** Revocation lists with reasons: the 3-bit reason code of each set bit, aligned with `set`. */
  readonly reasons?: Uint8Array | undefined;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, n) => {
  let c = 0;
  for (let v = n; v !== 0; v &= v - 1) c++;
  return c;
});

/** The set indices of a bitstring (bit 0 = most significant bit of byte 0). */
export function setIndicesOf(bits: Bitstring | Uint8Array): Uint32Array {
  const bytes = bits instanceof Bitstring ? bits.bytes : bits;
  let count = 0;
  for (let i = 0; i < bytes.length; i++) count += POPCOUNT[bytes[i]!]!;
  const set = new Uint32Array(count);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    let byte = bytes[i]!;
    while (byte !== 0) {
      const bit = Math.clz32(byte) - 24;
      set[n++] = i * 8 + bit;
      byte &= ~(0x80 >>> bit);
    }
  }
  return set;
}

export function sparseOf(bits: Bitstring, reasons?: Uint8Array): SparseStatusList {
  return { size: bits.length, set: setIndicesOf(bits), ...(reasons === undefined ? {} : { reasons }) };
}

/** The bitstring a sparse list stands for. */
export function bitstringBytes(list: Pick<SparseStatusList, 'size' | 'set'>): Uint8Array {
  const bytes = new Uint8Array(list.size / 8);
  for (const index of list.set) bytes[index >>> 3]! |= 0x80 >>> (index & 7);
  return bytes;
}

/** Position of `index` among the set bits, or -1 when its bit is clear. */
export function positionOf(list: Pick<SparseStatusList, 'set'>, index: number): number {
  const set = list.set;
  let low = 0;
  let high = set.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = set[middle]!;
    if (value === index) return middle;
    if (value < index) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

export function isSet(list: Pick<SparseStatusList, 'set'>, index: number): boolean {
  return positionOf(list, index) >= 0;
}

// A national set of lists is tens of MB of bitstrings: each is built in one of a few reused buffers
// just to be hashed, instead of as garbage.
const SCRATCH_BUFFERS = 4;
const scratch: Uint8Array[] = [];
const waiting: Array<() => void> = [];
let scratchInUse = 0;

async function withScratch<T>(length: number, use: (bytes: Uint8Array) => Promise<T>): Promise<T> {
  while (scratchInUse >= SCRATCH_BUFFERS) await new Promise<void>((resume) => waiting.push(resume));
  scratchInUse++;
  let buffer = scratch.pop();
  if (!buffer || buffer.length < length) buffer = new Uint8Array(Math.max(length, buffer?.length ?? 0));
  try {
    const bytes = buffer.subarray(0, length);
    bytes.fill(0);
    return await use(bytes);
  } finally {
    scratch.push(buffer);
    scratchInUse--;
    waiting.shift()?.();
  }
}

/** base64url SHA-256 of the bitstring (WebCrypto: native in every runtime the verifier runs in). */
export async function sparseDigest(list: Pick<SparseStatusList, 'size' | 'set'>): Promise<string> {
  return withScratch(list.size / 8, (bytes) => {
    for (const index of list.set) bytes[index >>> 3]! |= 0x80 >>> (index & 7);
    return digestOf(bytes);
  });
}

export async function digestOf(bytes: Uint8Array): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)));
}

/** Packs reason codes (0-7), 3 bits each, most significant bit first, zero-padded to whole bytes. */
export function packReasonCodes(codes: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(Math.ceil((codes.length * 3) / 8));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    for (let b = 0; b < 3; b++) {
      if ((code >> (2 - b)) & 1) {
        const bit = i * 3 + b;
        bytes[bit >>> 3]! |= 0x80 >>> (bit & 7);
      }
    }
  }
  return bytes;
}

/** Unpacks exactly `count` codes; undefined on a wrong length or non-zero padding. */
export function unpackReasonCodes(bytes: Uint8Array, count: number): Uint8Array | undefined {
  if (!Number.isSafeInteger(count) || count < 0 || bytes.length !== Math.ceil((count * 3) / 8)) return undefined;
  const used = count * 3;
  if (used % 8 !== 0 && (bytes[bytes.length - 1]! & (0xff >>> (used % 8))) !== 0) return undefined;
  const codes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    let code = 0;
    for (let b = 0; b < 3; b++) {
      const bit = i * 3 + b;
      code = (code << 1) | ((bytes[bit >>> 3]! >>> (7 - (bit & 7))) & 1);
    }
    codes[i] = code;
  }
  return codes;
}

/** base64url SHA-256 of a list's packed reasons (what a patch's `reasonsDigest` names). */
export function reasonsDigest(codes: ArrayLike<number>): Promise<string> {
  return digestOf(packReasonCodes(codes));
}

const mismatch = (message: string) => new ElicenceError('ERR_STATUS_PATCH_MISMATCH', message);

/**
 * Flips `indices` (strictly increasing) in `list`. `added`: the reason codes of the indices that end up
 * set, in index order (revocation lists that carry reasons); without it the result carries no reasons.
 * Throws ERR_STATUS_PATCH_MISMATCH for an index beyond the list or a wrong number of reasons.
 */
export function flipIndices(list: SparseStatusList, indices: ArrayLike<number>, added?: Uint8Array): SparseStatusList {
  const old = list.set;
  const out = new Uint32Array(old.length + indices.length);
  const keepReasons = list.reasons !== undefined && added !== undefined;
  const reasons = keepReasons ? new Uint8Array(out.length) : undefined;
  let i = 0;
  let j = 0;
  let n = 0;
  let a = 0;
  while (i < old.length || j < indices.length) {
    const next = j < indices.length ? indices[j]! : Number.POSITIVE_INFINITY;
    if (j < indices.length && next >= list.size) throw mismatch(`index ${next} is beyond the list's ${list.size} entries`);
    if (i < old.length && old[i]! < next) {
      if (reasons) reasons[n] = list.reasons![i]!;
      out[n++] = old[i++]!;
    } else if (i < old.length && old[i] === next) {
      // Set -> clear: dropped, with its reason.
      i++;
      j++;
    } else {
      // Clear -> set.
      if (reasons) {
        if (a >= added!.length) throw mismatch('the patch gives fewer reasons than it sets bits');
        reasons[n] = added![a]!;
      }
      a++;
      out[n++] = next;
      j++;
    }
  }
  if (added !== undefined && a !== added.length) throw mismatch(`the patch gives ${added.length} reasons for ${a} bits it sets`);
  return { size: list.size, set: out.slice(0, n), ...(reasons ? { reasons: reasons.slice(0, n) } : {}) };
}

/** The reasons of the indices of `indices` that are set in `after`, in index order. */
export function reasonsOfSet(after: SparseStatusList, indices: ArrayLike<number>): Uint8Array {
  const codes: number[] = [];
  for (let j = 0; j < indices.length; j++) {
    const position = positionOf(after, indices[j]!);
    if (position >= 0) codes.push(after.reasons?.[position] ?? 0);
  }
  return Uint8Array.from(codes);
}

/** How a bundle carries a list compactly (docs/trust-list.md, "Status copies"). */
export interface StatusCopyJson {
  /** The list URL (the licences' `statusListCredential`). */
  url: string;
  /** Entries of the list. */
  size: number;
  /** Number of set bits. */
  count: number;
  /** The set indices, Rice-coded (rice.ts), base64url. */
  set: string;
  /** Revocation lists: the reason code of each set bit in index order, 3 bits each, base64url. */
  reasons?: string;
}

export function encodeStatusCopy(url: string, list: SparseStatusList): StatusCopyJson {
  return {
    url,
    size: list.size,
    count: list.set.length,
    set: base64url(encodeIndices(list.set, list.size)),
    ...(list.reasons === undefined ? {} : { reasons: base64url(packReasonCodes(list.reasons)) }),
  };
}

const malformedCopy = (message: string, field: string) => new ElicenceError('ERR_BUNDLE_MALFORMED', message, { field });

/** Checks a copy's shape (not its content: the attesting patch's digest does). Throws ERR_BUNDLE_MALFORMED. */
export function checkStatusCopyShape(value: unknown, field: string): StatusCopyJson {
  if (!isRecord(value)) throw malformedCopy(`${field} must be an object`, field);
  const { url, size, count, set, reasons } = value;
  if (typeof url !== 'string' || url.length === 0 || url.length > 2048) throw malformedCopy(`${field}.url must be a URL`, `${field}.url`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0 || size % 8 !== 0 || size > MAX_STATUS_LIST_ENTRIES) {
    throw malformedCopy(`${field}.size must be a positive multiple of 8, at most ${MAX_STATUS_LIST_ENTRIES}`, `${field}.size`);
  }
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > size) throw malformedCopy(`${field}.count must be 0..size`, `${field}.count`);
  if (typeof set !== 'string' || set.length > 16 * 1024 * 1024) throw malformedCopy(`${field}.set must be base64url`, `${field}.set`);
  if (reasons !== undefined && (typeof reasons !== 'string' || reasons.length > 8 * 1024 * 1024)) throw malformedCopy(`${field}.reasons must be base64url`, `${field}.reasons`);
  return { url, size, count, set, ...(reasons === undefined ? {} : { reasons: reasons as string }) };
}

/** Decodes a copy's set and reasons; undefined when they do not decode (the copy is then unusable). */
export function decodeStatusCopy(copy: StatusCopyJson): SparseStatusList | undefined {
  const bytes = fromBase64url(copy.set);
  const set = bytes && decodeIndicesInto(bytes, copy.count, copy.size);
  if (!set) return undefined;
  if (copy.reasons === undefined) return { size: copy.size, set };
  const packed = fromBase64url(copy.reasons);
  const reasons = packed && unpackReasonCodes(packed, copy.count);
  return reasons ? { size: copy.size, set, reasons } : undefined;
}
