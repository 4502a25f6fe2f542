/**
 * Golomb-Rice coding of a sorted set of distinct indices (docs/trust-list.md, "Status patches"): the
 * gaps between consecutive indices (the first from -1), each minus one, split into a quotient in unary
 * (q ones then a zero) and the low `k` bits, most significant bit first. One byte of `k` leads. With
 * `k` near log2 of the mean gap this is within a fraction of a bit per index of the information floor
 * log2(C(n, m)) / m, where a varint would spend whole bytes.
 */

/** The Rice parameter for `count` indices spread over `span` positions. */
export function riceParameter(count: number, span: number): number {
  if (count === 0) return 0;
  const meanGap = span / count;
  // k = floor(log2(mean gap * ln 2)) is optimal for geometric gaps; clamp to a byte-sized range.
  return Math.max(0, Math.min(31, Math.floor(Math.log2(Math.max(1, meanGap * Math.LN2)))));
}

class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private used = 0;

  bit(value: number): void {
    this.current = (this.current << 1) | value;
    if (++this.used === 8) {
      this.bytes.push(this.current);
      this.current = 0;
      this.used = 0;
    }
  }

  bits(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
  }

  finish(): Uint8Array {
    if (this.used > 0) this.bytes.push(this.current << (8 - this.used));
    return Uint8Array.from(this.bytes);
  }
}

/** Encodes strictly increasing non-negative integers. Throws RangeError otherwise. */
export function encodeIndices(indices: readonly number[], span: number): Uint8Array {
  const k = riceParameter(indices.length, span);
  const out = new BitWriter();
  out.bits(k, 8);
  let previous = -1;
  for (const index of indices) {
    if (!Number.isSafeInteger(index) || index <= previous) throw new RangeError('indices must be strictly increasing non-negative integers');
    const value = index - previous - 1;
    previous = index;
    const quotient = Math.floor(value / 2 ** k);
    for (let i = 0; i < quotient; i++) out.bit(1);
    out.bit(0);
    out.bits(value % 2 ** k, k);
  }
  return out.finish();
}

/**
 * Decodes what `encodeIndices` wrote, given how many indices there are. Returns undefined for
 * anything malformed: a truncated stream, an index at or beyond `limit`, non-zero padding, or
 * trailing bytes. The caller decides what a malformed patch means.
 */
export function decodeIndices(bytes: Uint8Array, count: number, limit: number): number[] | undefined {
  if (bytes.length === 0 || !Number.isSafeInteger(count) || count < 0) return undefined;
  const k = bytes[0]!;
  if (k > 31) return undefined;
  let position = 8;
  const total = bytes.length * 8;
  const bit = () => (position < total ? (bytes[position >>> 3]! >>> (7 - (position++ & 7))) & 1 : -1);
  const indices: number[] = [];
  let previous = -1;
  for (let n = 0; n < count; n++) {
    let quotient = 0;
    for (let b = bit(); b !== 0; b = bit()) {
      if (b < 0 || ++quotient > limit) return undefined;
    }
    let remainder = 0;
    for (let i = 0; i < k; i++) {
      const b = bit();
      if (b < 0) return undefined;
      remainder = remainder * 2 + b;
    }
    const index = previous + 1 + quotient * 2 ** k + remainder;
    if (index >= limit) return undefined;
    indices.push(index);
    previous = index;
  }
  // Only zero padding up to the byte boundary may follow.
  if (total - position >= 8) return undefined;
  while (position < total) if (bit() !== 0) return undefined;
  return indices;
}
