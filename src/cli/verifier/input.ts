/**
 * Turns the `verify` input argument into the text handed to the library: QR text (`EL1:...`, or a
 * live `EL2:...`), a
 * compact JWS or `data:application/vc+jwt,...` as given; `-` for stdin; otherwise a path to a PNG or
 * JPEG image (its QR code is read) or to a text file holding QR text or a JWS. An argument that is
 * neither an existing file nor path-like goes to the library as text, so garbage gets the verdict
 * INVALID rather than a file error.
 */
import { existsSync } from 'node:fs';
import { VC_JWT_ENVELOPE_PREFIX } from '../../core/credential.js';
import { ElicenceError } from '../../core/errors.js';
import { LICENCE_QR_PREFIX, LIVE_QR_PREFIX } from '../../core/qr/index.js';
import { MAX_INPUT_BYTES, readUserFile, userPath, utf8Text } from './files.js';
import { imageKindOf, readQrFromImage } from './image.js';

export interface LicenceInput {
  text: string;
  /** Where it came from, for the human output: argument, stdin, or `<kind> image <path>`. */
  source: string;
}

const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;
const PATH_LIKE = /[/\\]|\.(png|jpe?g|txt|jws|jwt)$/i;

function looksLikeLicenceText(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.startsWith(LICENCE_QR_PREFIX) || trimmed.startsWith(LIVE_QR_PREFIX) || trimmed.startsWith(VC_JWT_ENVELOPE_PREFIX) || JWS_SHAPE.test(trimmed);
}

function fromBytes(bytes: Uint8Array, where: string): LicenceInput {
  const kind = imageKindOf(bytes);
  if (kind) return { text: readQrFromImage(bytes), source: `${kind.toUpperCase()} ${where}` };
  let text: string;
  try {
    text = utf8Text(bytes, where);
  } catch {
    throw new ElicenceError('ERR_IMAGE_UNREADABLE', `${where} is neither a PNG/JPEG image nor UTF-8 text`);
  }
  return { text: text.trim(), source: where };
}

export async function readLicenceInput(argument: string, io: { cwd: string; readStdin(maxBytes: number): Promise<Uint8Array> }): Promise<LicenceInput> {
  if (argument === '-') {
    let bytes: Uint8Array;
    try {
      bytes = await io.readStdin(MAX_INPUT_BYTES);
    } catch (cause) {
      throw new ElicenceError('ERR_FILE_TOO_LARGE', `stdin: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, field: 'stdin' });
    }
    return fromBytes(bytes, 'stdin');
  }
  if (looksLikeLicenceText(argument)) return { text: argument.trim(), source: 'argument' };
  const path = userPath(argument, io.cwd, 'input');
  if (existsSync(path) || PATH_LIKE.test(argument)) {
    return fromBytes(readUserFile(argument, { cwd: io.cwd, label: 'input', maxBytes: MAX_INPUT_BYTES }), argument);
  }
  return { text: argument, source: 'argument' };
}
