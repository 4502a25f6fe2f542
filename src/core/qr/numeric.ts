/**
 * Bytes <-> decimal digits for the QR numeric mode (10 bits per 3 digits, the densest QR mode).
 * Bytes are cut into 7-byte chunks, each written as a 17-digit big-endian number; a last chunk of
 * n < 7 bytes takes the fewest digits that can hold 256^n - 1. Seven bytes keep every chunk below 2^56,
 * so implementations without big integers can use 64-bit ones; longer chunks would save under 1%.
 */
import { ElicenceError } from '../errors.js';

export const CHUNK_BYTES = 7;

/** Digits used by a chunk of n bytes (n = 0..7): ceil(n * log10(256)). */
export const DIGITS_FOR_BYTES: readonly number[] = Object.freeze([0, 3, 5, 8, 10, 13, 15, 17]);

export const CHUNK_DIGITS = DIGITS_FOR_BYTES[CHUNK_BYTES]!;
const DIGITS_RE = /^[0-9]*$/;

export function isDigits(text: string): boolean {
  return DIGITS_RE.test(text);
}

/**
 * A full chunk is up to 2^56 - 1, past a double's exact integers, so it is taken as high 3 bytes and
 * low 4 bytes and written as two base-10^9 halves; shorter chunks fit a double whole. (BigInt did the
 * same at a fifth of the speed.)
 */
export function bytesToDigits(bytes: Uint8Array): string {
  let digits = '';
  for (let start = 0; start < bytes.length; start += CHUNK_BYTES) {
    const size = Math.min(CHUNK_BYTES, bytes.length - start);
    if (size < CHUNK_BYTES) {
      let value = 0;
      for (let i = 0; i < size; i++) value = value * 256 + bytes[start + i]!;
      digits += String(value).padStart(DIGITS_FOR_BYTES[size]!, '0');
      continue;
    }
    const high = (bytes[start]! << 16) | (bytes[start + 1]! << 8) | bytes[start + 2]!;
    const low = ((bytes[start + 3]! << 24) >>> 0) + ((bytes[start + 4]! << 16) | (bytes[start + 5]! << 8) | bytes[start + 6]!);
    // value = high * 2^32 + low = high * 4 * 10^9 + (high * 294,967,296 + low); the bracket < 2^53.
    const rest = high * 294_967_296 + low;
    // Exact: rest / 10^9 < 2^23, where doubles are 2^-30 apart, and a non-integer quotient is at least
    // 10^-9 from the next integer, so rounding cannot carry floor() past it.
    const restHigh = Math.floor(rest / 1e9);
    const lower = rest - restHigh * 1e9;
    const upper = high * 4 + restHigh;
    digits += String(upper).padStart(CHUNK_DIGITS - 9, '0') + String(lower).padStart(9, '0');
  }
  return digits;
}

/** Digits that n bytes encode to. */
export function digitCountForBytes(byteCount: number): number {
  return Math.floor(byteCount / CHUNK_BYTES) * CHUNK_DIGITS + DIGITS_FOR_BYTES[byteCount % CHUNK_BYTES]!;
}

/**
 * Inverse of bytesToDigits. The caller has checked that `digits` holds only 0-9 and has the length
 * the layout declares. A digit count no layout produces, or a chunk too big for its bytes, cannot come
 * from an encoder (ERR_QR_CORRUPT), so each byte string has exactly one digit string.
 */
export function digitsToBytes(digits: string): Uint8Array {
  const fullChunks = Math.floor(digits.length / CHUNK_DIGITS);
  const tailBytes = DIGITS_FOR_BYTES.indexOf(digits.length % CHUNK_DIGITS);
  if (tailBytes < 0) {
    throw new ElicenceError('ERR_QR_CORRUPT', `QR text has ${digits.length} digits, which no byte string encodes to`);
  }
  const bytes = new Uint8Array(fullChunks * CHUNK_BYTES + tailBytes);
  let offset = 0;
  for (let start = 0; start < digits.length; ) {
    const size = Math.min(CHUNK_BYTES, bytes.length - offset);
    const width = DIGITS_FOR_BYTES[size]!;
    let value = BigInt(digits.slice(start, start + width));
    if (value >> BigInt(8 * size) !== 0n) {
      throw new ElicenceError('ERR_QR_CORRUPT', `QR digit chunk at ${start} is too large for ${size} bytes`);
    }
    for (let i = size - 1; i >= 0; i--) {
      bytes[offset + i] = Number(value & 0xffn);
      value >>= 8n;
    }
    offset += size;
    start += width;
  }
  return bytes;
}
