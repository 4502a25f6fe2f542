/**
 * Raw DEFLATE (RFC 1951) with the EL1 preset dictionary, and an inflater that enforces a size cap
 * while it runs: input is fed in small slices and output counted, so a decompression bomb is refused
 * after at most the cap plus one slice's worth of output, never inflated in full.
 */
import { deflateSync, Inflate } from 'fflate';
import { concatBytes } from '../encoding.js';
import { ElicenceError } from '../errors.js';
import { QR_DICTIONARY } from './dictionary.js';

/**
 * The compressor settings are part of the canonical form (see docs/qr-format.md): the decoder
 * recompresses to check that a text is the one its encoder would have produced.
 */
const DEFLATE_OPTIONS = { level: 9, mem: 4, dictionary: QR_DICTIONARY } as const;

/**
 * DEFLATE emits at most 258 bytes per 2 bits (ratio < 1032), so one slice yields at most ~132 KB,
 * about the headroom fflate reserves per block anyway. Smaller slices cost time (each push copies
 * the 32 KB window) without bounding memory any better.
 */
const INFLATE_SLICE_BYTES = 128;

/** `dictionary` defaults to EL1's; EL2 (live.ts) passes its own. */
export function deflateWithDictionary(plain: Uint8Array, dictionary: Uint8Array = QR_DICTIONARY): Uint8Array {
  return deflateSync(plain, dictionary === QR_DICTIONARY ? DEFLATE_OPTIONS : { ...DEFLATE_OPTIONS, dictionary });
}

class CapExceeded extends Error {}

/** fflate's error code for input that ends before the final block does. */
const FLATE_UNEXPECTED_EOF = 0;

export function inflateWithDictionary(compressed: Uint8Array, maxInflatedBytes: number, dictionary: Uint8Array = QR_DICTIONARY): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let finished = false;
  const inflater = new Inflate({ dictionary }, (chunk, final) => {
    total += chunk.length;
    if (total > maxInflatedBytes) throw new CapExceeded();
    if (chunk.length > 0) chunks.push(chunk);
    if (final) finished = true;
  });
  try {
    for (let start = 0; start < compressed.length; start += INFLATE_SLICE_BYTES) {
      const end = Math.min(start + INFLATE_SLICE_BYTES, compressed.length);
      inflater.push(compressed.subarray(start, end), end === compressed.length);
    }
  } catch (error) {
    if (error instanceof CapExceeded) {
      throw new ElicenceError('ERR_QR_TOO_LARGE', `QR content inflates past the cap of ${maxInflatedBytes} bytes`);
    }
    if (isFlateError(error) && error.code === FLATE_UNEXPECTED_EOF) {
      throw new ElicenceError('ERR_QR_TRUNCATED', 'QR compressed stream ends early', { cause: error });
    }
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR compressed stream is corrupt', { cause: error });
  }
  if (!finished) throw new ElicenceError('ERR_QR_TRUNCATED', 'QR compressed stream ends early');
  return concatBytes(chunks);
}

function isFlateError(error: unknown): error is Error & { code: number } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}
