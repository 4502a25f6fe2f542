/** Byte and text helpers shared by the pure core (Web standard APIs only). */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strict UTF-8 decode: invalid sequences throw a TypeError instead of turning into U+FFFD. */
export function fromUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// Table-driven both ways: tokens are encoded on every signature and decoded on every verification.
const BASE64URL_VALUES = new Int8Array(128).fill(-1);
ALPHABET.split('').forEach((c, i) => {
  BASE64URL_VALUES[c.charCodeAt(0)] = i;
});

const CODES = new Uint8Array(64).map((_, i) => ALPHABET.charCodeAt(i));

/** base64url without padding. Writes ASCII codes into a buffer and decodes it once (no string concatenation). */
export function base64url(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil((n * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODES[v >> 18]!;
    out[o++] = CODES[(v >> 12) & 63]!;
    out[o++] = CODES[(v >> 6) & 63]!;
    out[o++] = CODES[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]!;
    out[o++] = CODES[v >> 2]!;
    out[o++] = CODES[(v & 3) << 4]!;
  } else if (rest === 2) {
    const v = (bytes[i]! << 8) | bytes[i + 1]!;
    out[o++] = CODES[v >> 10]!;
    out[o++] = CODES[(v >> 4) & 63]!;
    out[o++] = CODES[(v & 15) << 2]!;
  }
  // ASCII is valid UTF-8, and TextDecoder is native everywhere (Node, browsers, workerd).
  return utf8Decoder.decode(out.subarray(0, o));
}

function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? BASE64URL_VALUES[code]! : -1;
}

/**
 * Strict base64url decode (RFC 4648 §5, no padding). Returns undefined for any other spelling,
 * stray low bits in the last character included, so one value has exactly one encoding.
 */
export function fromBase64url(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 === 1) return undefined;
  const out = new Uint8Array((n * 3) >> 2);
  let o = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = n - i;
  if (rest >= 2) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if ((a | b) < 0) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 2) {
      if ((b & 0x0f) !== 0) return undefined;
    } else {
      const c = sextet(text, i + 2);
      if (c < 0 || (c & 0x03) !== 0) return undefined;
      out[o++] = ((b & 0x0f) << 4) | (c >> 2);
    }
  }
  return out;
}

/** The bytes of `parts`, one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Reads a byte stream to its end, or stops and cancels it as soon as it passes `maxBytes` (undefined):
 * an inflating stream or a hostile server's body is never buffered past the cap.
 */
export async function readStreamCapped(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/** RFC 4648 base32 alphabet (no padding written; `=` and white space ignored when read). */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}
