/**
 * Runtime-neutral QR rendering for the HTTP routes and the printable card: the symbol comes from the
 * `qrcode` package's pure builder, and the SVG and PNG writers here use only Web-standard APIs and
 * fflate, so the same code answers on Node and on Cloudflare Workers (qrcode's own PNG path needs
 * Node's zlib and streams). An EL1 licence text is drawn with the segments docs/qr-format.md measures
 * (alphanumeric prefix, numeric digits).
 */
import { zlibSync } from 'fflate';
import qrcodeCore from 'qrcode/lib/core/qrcode.js';
import { concatBytes } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { isLicenceQrText, licenceQrSegments } from '../core/qr/index.js';
import { isLiveQrText, liveQrSegments } from '../core/qr/live.js';

export type QrLevel = 'L' | 'M' | 'Q' | 'H';

/** A QR symbol: `size` x `size` modules, row-major, 1 = dark. No quiet zone. */
export interface QrMatrix {
  version: number;
  level: QrLevel;
  size: number;
  dark: Uint8Array;
}

/** Builds the symbol; a text that fits no QR code at this level is ERR_QR_TOO_LARGE (field `ecc`). */
export function qrMatrix(text: string, level: QrLevel = 'M'): QrMatrix {
  const data = isLicenceQrText(text) ? licenceQrSegments(text) : isLiveQrText(text) ? liveQrSegments(text) : text;
  let symbol: ReturnType<typeof qrcodeCore.create>;
  try {
    symbol = qrcodeCore.create(data, { errorCorrectionLevel: level });
  } catch (cause) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `the text does not fit a QR code at error-correction level ${level}`, { field: 'ecc', cause });
  }
  return { version: symbol.version, level, size: symbol.modules.size, dark: symbol.modules.data };
}

export interface QrSvgOptions {
  /** Quiet zone in modules (default 4). */
  margin?: number;
  /** `width` and `height` attributes, e.g. 512 or "51mm"; omitted: the SVG fills its container. */
  size?: number | string;
  /** Accessible name (becomes `<title>`); escaped here. */
  title?: string;
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/**
 * An `<svg>` element (no XML prolog, so it can be inlined in HTML too): one path of horizontal runs
 * on a white square, in module units through `viewBox`, drawn with crisp edges.
 */
export function qrSvg(matrix: QrMatrix, options: QrSvgOptions = {}): string {
  const margin = options.margin ?? 4;
  const total = matrix.size + 2 * margin;
  let path = '';
  for (let row = 0; row < matrix.size; row++) {
    let col = 0;
    while (col < matrix.size) {
      if (!matrix.dark[row * matrix.size + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < matrix.size && matrix.dark[row * matrix.size + col]) col++;
      path += `M${start + margin} ${row + margin}h${col - start}v1h${start - col}z`;
    }
  }
  const size = options.size === undefined ? '' : ` width="${escapeXml(String(options.size))}" height="${escapeXml(String(options.size))}"`;
  const title = options.title === undefined ? '' : `<title>${escapeXml(options.title)}</title>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${total} ${total}"${size} shape-rendering="crispEdges" role="img">` +
    `${title}<rect width="${total}" height="${total}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`
  );
}

export interface QrPngOptions {
  /** Quiet zone in modules (default 4); the image may add whole pixels to it to reach `width`. */
  margin?: number;
  /** Exact image width and height in pixels. Default: 8 pixels per module, quiet zone included. */
  width?: number;
}

export const DEFAULT_PNG_PIXELS_PER_MODULE = 8;

/** Smallest PNG width that draws every module with at least one whole pixel. */
export const minimumPngWidth = (matrix: QrMatrix, margin = 4): number => matrix.size + 2 * margin;

/**
 * A 1-bit greyscale PNG. Every module is a whole square of `scale` pixels (no resampling blur, which
 * is what scanners like); when `width` is not a multiple of the module count, the spare pixels widen
 * the quiet zone evenly. A `width` below `minimumPngWidth` is ERR_VALIDATION on field `size`.
 */
export function qrPng(matrix: QrMatrix, options: QrPngOptions = {}): Uint8Array {
  const margin = options.margin ?? 4;
  const modules = matrix.size + 2 * margin;
  const width = options.width ?? modules * DEFAULT_PNG_PIXELS_PER_MODULE;
  const scale = Math.floor(width / modules);
  if (scale < 1) {
    throw new ElicenceError('ERR_VALIDATION', `this QR code (version ${matrix.version}, ${modules} modules with its quiet zone) needs at least ${modules} pixels`, {
      field: 'size',
    });
  }
  const offset = Math.floor((width - scale * matrix.size) / 2);
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte (0: none) + packed pixels, 1 = white
  const raw = new Uint8Array(rowBytes * width);
  const white = new Uint8Array(rowBytes).fill(0xff);
  white[0] = 0;
  for (let y = 0; y < width; y++) raw.set(white, y * rowBytes);
  for (let row = 0; row < matrix.size; row++) {
    // Draw one pixel row of this module row, then copy it `scale - 1` times.
    const first = (offset + row * scale) * rowBytes;
    for (let col = 0; col < matrix.size; col++) {
      if (!matrix.dark[row * matrix.size + col]) continue;
      for (let x = offset + col * scale, end = x + scale; x < end; x++) raw[first + 1 + (x >> 3)]! &= ~(0x80 >> (x & 7));
    }
    for (let copy = 1; copy < scale; copy++) raw.copyWithin(first + copy * rowBytes, first, first + rowBytes);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, width);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
  return concatBytes([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', zlibSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it) over several byte runs. */
function crc32(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const part of parts) for (const byte of part) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(typeBytes, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(typeBytes, data));
  return out;
}
