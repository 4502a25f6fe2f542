/**
 * Renders QR texts as PNG or SVG with the `qrcode` package (Node side; the HTTP routes call these).
 * An EL1 licence text (and an EL2 live text) is drawn with the segments it was designed for (alphanumeric prefix, numeric
 * digits), so the version is the one docs/qr-format.md measures; any other text is left to qrcode's
 * own segmentation.
 */
import QRCode, { type QRCodeSegment } from 'qrcode';
import { isLicenceQrText, isLiveQrText, licenceQrSegments, liveQrSegments } from '../../src/core/qr/index.js';

export type QrErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H';

export interface QrRenderOptions {
  /** Default M: about 15% of the symbol can be damaged, and licences still fit a low version. */
  errorCorrectionLevel?: QrErrorCorrectionLevel;
  /** Pixels per module (PNG) or user units per module (SVG). Default 4. Ignored when `width` is set. */
  scale?: number;
  /** Output width in pixels, quiet zone included. */
  width?: number;
  /** Quiet zone in modules. Default 4, the minimum ISO/IEC 18004 asks for. */
  margin?: number;
}

const DEFAULT_LEVEL: QrErrorCorrectionLevel = 'M';

/** The segments to draw a text with. */
export function qrSegmentsFor(text: string): string | QRCodeSegment[] {
  if (isLiveQrText(text)) return liveQrSegments(text);
  return isLicenceQrText(text) ? licenceQrSegments(text) : text;
}

function renderOptions(options: QrRenderOptions) {
  return {
    errorCorrectionLevel: options.errorCorrectionLevel ?? DEFAULT_LEVEL,
    margin: options.margin ?? 4,
    ...(options.width === undefined ? { scale: options.scale ?? 4 } : { width: options.width }),
  };
}

/** QR version (1-40) a text takes at a level; throws when it fits no QR code. */
export function qrVersionFor(text: string, errorCorrectionLevel: QrErrorCorrectionLevel = DEFAULT_LEVEL): number {
  return QRCode.create(qrSegmentsFor(text), { errorCorrectionLevel }).version;
}

export function renderQrPng(text: string, options: QrRenderOptions = {}): Promise<Buffer> {
  return QRCode.toBuffer(qrSegmentsFor(text), { ...renderOptions(options), type: 'png' });
}

export function renderQrSvg(text: string, options: QrRenderOptions = {}): Promise<string> {
  return QRCode.toString(qrSegmentsFor(text), { ...renderOptions(options), type: 'svg' });
}
