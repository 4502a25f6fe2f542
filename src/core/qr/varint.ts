/** Unsigned LEB128 varints (shortest form only) for the lengths in the EL1 binary layout. */
import { ElicenceError } from '../errors.js';

/** Lengths in EL1 never need more than 3 bytes (< 2^21). */
const MAX_VARINT_BYTES = 3;

export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Uint8Array.from(out);
}

/**
 * Reads a varint at the start of `bytes`. Returns undefined when the bytes end inside it; throws
 * ERR_QR_CORRUPT for a varint that is too long or not in its shortest form.
 */
export function decodeVarint(bytes: Uint8Array, what: string): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (i >= bytes.length) return undefined;
    const byte = bytes[i]!;
    value |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) break;
      return { value, size: i + 1 };
    }
  }
  throw new ElicenceError('ERR_QR_CORRUPT', `QR content has a malformed ${what}`);
}
