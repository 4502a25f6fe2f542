/**
 * Types for the `qrcode` package's symbol builder alone. Importing this deep path (instead of
 * `qrcode`, whose Node entry pulls in pngjs, zlib and fs) keeps the module graph free of Node APIs, so
 * the same QR renderer runs on Node and on Cloudflare Workers.
 */
declare module 'qrcode/lib/core/qrcode.js' {
  import type { QRCode, QRCodeErrorCorrectionLevel, QRCodeSegment } from 'qrcode';

  const core: {
    create(data: string | QRCodeSegment[], options?: { errorCorrectionLevel?: QRCodeErrorCorrectionLevel }): QRCode;
  };
  export default core;
}
