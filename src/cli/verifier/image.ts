/**
 * Reads the QR code in a PNG or JPEG image with maintained decoders: pngjs or jpeg-js for the pixels,
 * jsQR for the code. The format is told by its magic bytes, not the file name; images above a pixel
 * cap are refused before decoding, so a small file cannot claim gigapixels.
 */
import * as jpeg from 'jpeg-js';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { ElicenceError } from '../../core/errors.js';

/** 40 megapixels: a phone photo is about 12. */
export const MAX_IMAGE_PIXELS = 40_000_000;

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type ImageKind = 'png' | 'jpeg';

export function imageKindOf(bytes: Uint8Array): ImageKind | undefined {
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

function unreadable(kind: ImageKind, cause: unknown): ElicenceError {
  return new ElicenceError('ERR_IMAGE_UNREADABLE', `cannot decode the ${kind.toUpperCase()} image: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

function decodePng(bytes: Uint8Array): Pixels {
  // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
  if (bytes.length < 24) throw unreadable('png', 'truncated header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width * height > MAX_IMAGE_PIXELS) throw new ElicenceError('ERR_IMAGE_UNREADABLE', `the PNG image is ${width}x${height} pixels, more than ${MAX_IMAGE_PIXELS}`);
  try {
    const image = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), width: image.width, height: image.height };
  } catch (error) {
    throw unreadable('png', error);
  }
}

function decodeJpeg(bytes: Uint8Array): Pixels {
  try {
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1_000_000, maxMemoryUsageInMB: 512 });
    return { data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), width: image.width, height: image.height };
  } catch (error) {
    throw unreadable('jpeg', error);
  }
}

/** The text of the QR code in a PNG or JPEG image (ERR_IMAGE_UNREADABLE, ERR_QR_NOT_FOUND). */
export function readQrFromImage(bytes: Uint8Array): string {
  const kind = imageKindOf(bytes);
  if (!kind) throw new ElicenceError('ERR_IMAGE_UNREADABLE', 'not a PNG or JPEG image');
  const pixels = kind === 'png' ? decodePng(bytes) : decodeJpeg(bytes);
  const code = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: 'attemptBoth' });
  if (!code || code.data.length === 0) throw new ElicenceError('ERR_QR_NOT_FOUND', `no readable QR code in the ${kind.toUpperCase()} image (${pixels.width}x${pixels.height})`);
  return code.data;
}
