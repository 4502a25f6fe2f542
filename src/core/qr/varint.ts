/** Unsigned LEB128 varints (shortest form only) for the lengths in the EL1/EL2 binary layouts and EL2's slot. */
import { ElicenceError } from '../errors.js';

/** Lengths in EL1 never need more than 3 bytes (< 2^21). */
const MAX_VARINT_BYTES = 3;

export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Uint8Array.from(out);
}

/**
 * Reads a varint at the start of `bytes`. Returns undefined when the bytes end inside it; throws
 * ERR_QR_CORRUPT for a varint that is too long or not in its shortest form.
 */
export function decodeVarint(bytes: Uint8Array, what: string, maxBytes = MAX_VARINT_BYTES): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < maxBytes; i++) {
    if (i >= bytes.length) return undefined;
    const byte = bytes[i]!;
    // Multiplication, not <<: a 5-byte varint (EL2's slot, up to 2^32 - 1) would overflow 32-bit shifts.
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) break;
      return { value, size: i + 1 };
    }
  }
  throw new ElicenceError('ERR_QR_CORRUPT', `QR content has a malformed ${what}`);
}
