/**
 * Golomb-Rice coding of a sorted set of distinct indices (docs/trust-list.md, "Status patches"): the
 * gaps between consecutive indices (the first from -1), each minus one, split into a quotient in unary
 * (q ones then a zero) and the low `k` bits, most significant bit first. One byte of `k` leads. With
 * `k` near log2 of the mean gap this is within a fraction of a bit per index of the information floor
 * log2(C(n, m)) / m, where a varint would spend whole bytes. Also the compact form a verifier stores
 * a whole list in (the set indices of a status copy, status-set.ts): millions of indices, so both
 * directions work on 32-bit words rather than bit by bit.
 */

/** The Rice parameter for `count` indices spread over `span` positions. */
export function riceParameter(count: number, span: number): number {
  if (count === 0) return 0;
  const meanGap = span / count;
  // k = floor(log2(mean gap * ln 2)) is optimal for geometric gaps; clamp to a byte-sized range.
  return Math.max(0, Math.min(31, Math.floor(Math.log2(Math.max(1, meanGap * Math.LN2)))));
}

class BitWriter {
  private bytes: Uint8Array;
  private length = 0;
  /** Pending bits, most significant first, in the low `used` bits of `current` (used < 8 between calls). */
  private current = 0;
  private used = 0;

  constructor(expectedBits: number) {
    this.bytes = new Uint8Array(Math.max(16, Math.ceil(expectedBits / 8) + 8));
  }

  private push(byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  /** `width` (<= 24) low bits of `value`. */
  private small(value: number, width: number): void {
    this.current = (this.current << width) | (value & ((1 << width) - 1));
    this.used += width;
    while (this.used >= 8) {
      this.used -= 8;
      this.push((this.current >>> this.used) & 0xff);
    }
    this.current &= (1 << this.used) - 1;
  }

  bits(value: number, width: number): void {
    if (width > 16) {
      this.small(Math.floor(value / 65536), width - 16);
      this.small(value & 0xffff, 16);
    } else if (width > 0) {
      this.small(value, width);
    }
  }

  ones(count: number): void {
    for (let left = count; left > 0; left -= 16) this.small(0xffff, Math.min(16, left));
  }

  finish(): Uint8Array {
    if (this.used > 0) this.push((this.current << (8 - this.used)) & 0xff);
    return this.bytes.slice(0, this.length);
  }
}

/** Encodes strictly increasing non-negative integers. Throws RangeError otherwise. */
export function encodeIndices(indices: ArrayLike<number>, span: number): Uint8Array {
  const count = indices.length;
  const k = riceParameter(count, span);
  const out = new BitWriter(8 + count * (k + 2));
  out.bits(k, 8);
  const divisor = 2 ** k;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const index = indices[i]!;
    if (!Number.isSafeInteger(index) || index <= previous) throw new RangeError('indices must be strictly increasing non-negative integers');
    const value = index - previous - 1;
    previous = index;
    const quotient = Math.floor(value / divisor);
    const remainder = value - quotient * divisor;
    if (quotient + 1 + k <= 24) {
      // The usual case in one write: q ones, the zero, the k low bits.
      out.bits(((((1 << quotient) - 1) << 1) << k) | remainder, quotient + 1 + k);
    } else {
      out.ones(quotient);
      out.bits(0, 1);
      out.bits(remainder, k);
    }
  }
  return out.finish();
}

/**
 * Decodes what `encodeIndices` wrote, given how many indices there are. Returns undefined for
 * anything malformed: a truncated stream, an index at or beyond `limit`, non-zero padding, or
 * trailing bytes. The caller decides what a malformed patch means.
 */
export function decodeIndices(bytes: Uint8Array, count: number, limit: number): number[] | undefined {
  const out = decodeIndicesInto(bytes, count, limit);
  return out === undefined ? undefined : Array.from(out);
}

/** As `decodeIndices`, into a Uint32Array (indices below 2^32). */
export function decodeIndicesInto(bytes: Uint8Array, count: number, limit: number): Uint32Array | undefined {
  if (bytes.length === 0 || !Number.isSafeInteger(count) || count < 0 || limit > 2 ** 32) return undefined;
  const k = bytes[0]!;
  if (k > 31) return undefined;
  const total = bytes.length * 8;
  // Every index takes at least k + 1 bits: a count beyond that is malformed before anything is allocated.
  if (count * (k + 1) > total - 8) return undefined;
  const indices = new Uint32Array(count);
  let position = 8;
  let previous = -1;
  const divisor = 2 ** k;
  for (let n = 0; n < count; n++) {
    // Unary quotient: count the ones up to the next zero.
    let quotient = 0;
    for (;;) {
      if (position >= total) return undefined;
      const byte = bytes[position >>> 3]!;
      const offset = position & 7;
      // The bits of this byte from `offset` on, left-aligned in 8 bits.
      const rest = (byte << offset) & 0xff;
      const ones = Math.clz32(~rest << 24);
      const available = 8 - offset;
      if (ones < available) {
        quotient += ones;
        position += ones + 1;
        break;
      }
      quotient += available;
      position += available;
      if (quotient > limit) return undefined;
    }
    if (position + k > total) return undefined;
    let remainder = 0;
    for (let left = k; left > 0; ) {
      const byte = bytes[position >>> 3]!;
      const offset = position & 7;
      const room = 8 - offset;
      const take = Math.min(left, room);
      remainder = remainder * (1 << take) + ((byte >>> (room - take)) & ((1 << take) - 1));
      position += take;
      left -= take;
    }
    const index = previous + 1 + quotient * divisor + remainder;
    if (index >= limit) return undefined;
    indices[n] = index;
    previous = index;
  }
  // Only zero padding up to the byte boundary may follow.
  if (total - position >= 8) return undefined;
  if (position < total && (bytes[bytes.length - 1]! & (0xff >>> (position & 7))) !== 0) return undefined;
  return indices;
}
