/** Reading our QR renderings back in tests with independent decoders (jsQR; zbarimg's arguments). */
import jsQR from 'jsqr';

/**
 * zbarimg restricted to QR codes, printing the text alone: by default it decodes every symbology and,
 * on about 1 in 400 licence QR images, also reports a false EAN-13 line, which fails the comparison.
 */
export const ZBARIMG_QR_ARGS = ['-Sdisable', '-Sqrcode.enable', '--quiet', '--raw'] as const;

/** Draws the `M x y h w v1 h-w z` runs of our inline SVG at 4 pixels per module and reads it with jsQR. */
export function readSvgWithJsQr(svg: string): string | undefined {
  const total = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)![1]);
  const scale = 4;
  const side = total * scale;
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255);
  for (const run of svg.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, w] = [Number(run[1]), Number(run[2]), Number(run[3])];
    for (let py = y * scale; py < (y + 1) * scale; py++) {
      for (let px = x * scale; px < (x + w) * scale; px++) rgba.fill(0, (py * side + px) * 4, (py * side + px) * 4 + 3);
    }
  }
  return jsQR(rgba, side, side)?.data;
}
