/**
 * Text files from office software arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM, or, from
 * older Chinese software, GB18030/GBK. Strict UTF-8 is tried first: GBK text is almost never valid
 * UTF-8, so a failure means "legacy encoding", and GB18030 (a superset of GBK and GB2312) decodes it.
 * Browsers and Node decode GB18030 with TextDecoder; the command line passes iconv-lite's decoder.
 */
import { ElicenceError } from '../core/errors.js';
import type { TextEncodingName } from './table.js';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

/** Decodes GB18030 bytes, or returns text with U+FFFD where bytes could not be mapped. */
export type LegacyDecoder = (bytes: Uint8Array) => string;

/** The Web standard one (WHATWG Encoding: gb18030), with U+FFFD for what it cannot map. */
const webGb18030: LegacyDecoder = (bytes) => new TextDecoder('gb18030').decode(bytes);

/** `forced` skips detection (the `--encoding` option); `auto` or undefined detects. */
export function decodeText(bytes: Uint8Array, source: string, forced?: string, legacy: LegacyDecoder = webGb18030): DecodedText {
  const wanted = forced
    ?.toLowerCase()
    .replace(/^utf8$/, 'utf-8')
    .replace(/^gbk$|^gb2312$/, 'gb18030');
  if (wanted && wanted !== 'auto') {
    if (wanted !== 'utf-8' && wanted !== 'gb18030' && wanted !== 'utf-16le' && wanted !== 'utf-16be') {
      throw new ElicenceError('ERR_IMPORT_ENCODING', `unsupported encoding "${forced}" (use utf-8, gb18030 or gbk, utf-16le, utf-16be)`, { field: 'encoding' });
    }
    return { text: strictDecode(stripBom(bytes), wanted, source, legacy), encoding: wanted };
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: strictDecode(bytes.subarray(3), 'utf-8', source, legacy), encoding: 'utf-8' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: strictDecode(bytes.subarray(2), 'utf-16le', source, legacy), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: strictDecode(bytes.subarray(2), 'utf-16be', source, legacy), encoding: 'utf-16be' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: strictDecode(bytes, 'gb18030', source, legacy), encoding: 'gb18030' };
  }
}

function stripBom(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return bytes.subarray(2);
  return bytes;
}

function strictDecode(bytes: Uint8Array, encoding: TextEncodingName, source: string, legacy: LegacyDecoder): string {
  if (encoding === 'gb18030') {
    const text = legacy(bytes);
    // Bytes GB18030 cannot map come back as U+FFFD: refuse rather than import mojibake.
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0) {
      const line = text.slice(0, bad).split('\n').length;
      throw new ElicenceError('ERR_IMPORT_ENCODING', `${source} is neither valid UTF-8 nor GB18030 (undecodable bytes on line ${line}); save it as UTF-8 CSV`, {
        field: 'file',
      });
    }
    return text;
  }
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ElicenceError('ERR_IMPORT_ENCODING', `${source} is not valid ${encoding}`, { field: 'file', cause });
  }
}
