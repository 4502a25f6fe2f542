/**
 * The command line's text decoding: the runtime-neutral rules of src/import-core/decode-text.ts, with
 * iconv-lite decoding GB18030 (it maps every GB18030 sequence the same on every Node build).
 */
import iconv from 'iconv-lite';
import { type DecodedText, decodeText as decodeWith } from '../import-core/decode-text.js';

export type { DecodedText } from '../import-core/decode-text.js';
export type { TextEncodingName } from '../import-core/table.js';

const iconvGb18030 = (bytes: Uint8Array) => iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030');

/** `forced` skips detection (the `--encoding` option); `auto` or undefined detects. */
export function decodeText(bytes: Uint8Array, source: string, forced?: string): DecodedText {
  return decodeWith(bytes, source, forced, iconvGb18030);
}
