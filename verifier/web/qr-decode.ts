/**
 * Reads QR codes from pictures and camera frames: the browser's BarcodeDetector when it supports QR,
 * otherwise jsQR, which is loaded (a separate chunk) only the first time it is needed.
 */
interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: CanvasImageSource | ImageBitmap): Promise<DetectedBarcode[]>;
}
interface BarcodeDetectorStatic {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

type JsQr = typeof import('jsqr').default;

let detector: Promise<BarcodeDetectorLike | null> | undefined;
let jsQr: Promise<JsQr> | undefined;

/** The native detector, when this browser has one that reads QR codes. */
function nativeDetector(): Promise<BarcodeDetectorLike | null> {
  detector ??= (async () => {
    const Native = (globalThis as { BarcodeDetector?: BarcodeDetectorStatic }).BarcodeDetector;
    if (!Native) return null;
    try {
      return (await Native.getSupportedFormats()).includes('qr_code') ? new Native({ formats: ['qr_code'] }) : null;
    } catch {
      return null;
    }
  })();
  return detector;
}

const loadJsQr = (): Promise<JsQr> => (jsQr ??= import('jsqr').then((m) => m.default));

/** Largest side a picture is scaled down to before decoding: phone photos are huge, QR modules are not. */
const MAX_SIDE = 1600;

/** Draws a frame or picture on a canvas (scaled down) and returns its pixels. */
function pixelsOf(source: CanvasImageSource, width: number, height: number, canvas: HTMLCanvasElement): ImageData {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

const scratch = (): HTMLCanvasElement => document.createElement('canvas');

/** The text of the first QR code in a frame or picture, or undefined. */
export async function readQr(source: CanvasImageSource, width: number, height: number, canvas: HTMLCanvasElement = scratch()): Promise<string | undefined> {
  const native = await nativeDetector();
  if (native) {
    try {
      const found = await native.detect(source);
      if (found[0]) return found[0].rawValue;
    } catch {
      // Fall through to jsQR.
    }
  }
  const decode = await loadJsQr();
  const image = pixelsOf(source, width, height, canvas);
  return decode(image.data, image.width, image.height)?.data;
}

/** The text of the QR code in a picked photo or screenshot. */
export async function readQrFromFile(file: Blob): Promise<string | undefined> {
  const bitmap = await createImageBitmap(file);
  try {
    return await readQr(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}
