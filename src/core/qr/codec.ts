/**
 * QR format EL1: a lossless, compact transport of a licence's compact JWS (docs/qr-format.md).
 *
 *   text     = "EL1:" digits                     QR: alphanumeric segment, then numeric segment
 *   digits   = bytes as 7-byte chunks, each a 17-digit number (numeric.ts)
 *   bytes    = varint(len(body)) body            the length makes any cut-short text detectable
 *   body     = sigLength(1 byte) signature deflated
 *   deflated = raw DEFLATE, EL1 dictionary, of varint(len(header)) header payload
 *
 * The JWS parts travel as the bytes their base64url spells, and the decoder spells them again, so it
 * returns the signed JWS byte for byte. Decoding is canonical: a text is accepted only if encoding
 * its JWS gives that very text, so one JWS has exactly one QR text.
 */
import { base64url, concatBytes, fromBase64url } from '../encoding.js';
import { ElicenceError } from '../errors.js';
import { deflateWithDictionary, inflateWithDictionary } from './deflate.js';
import { bytesToDigits, CHUNK_DIGITS, digitCountForBytes, digitsToBytes, isDigits } from './numeric.js';
import { decodeVarint, encodeVarint } from './varint.js';

/** Version prefix; a new prefix means a new dictionary or layout. Alphanumeric-mode characters only. */
export const LICENCE_QR_PREFIX = 'EL1:';

/** QR character mode of the text after the prefix (the prefix itself is alphanumeric). */
export const LICENCE_QR_MODE = 'numeric';

/** Default hard cap on the inflated header + payload. */
export const DEFAULT_MAX_INFLATED_BYTES = 16 * 1024;

/**
 * Longest text accepted: the prefix plus the 7,089 digits of a version-40 QR at level L, the most any
 * QR code holds. Longer input is refused before any work is done on it.
 */
export const MAX_LICENCE_QR_TEXT_LENGTH = LICENCE_QR_PREFIX.length + 7089;

export interface DecodeLicenceQrOptions {
  /** Hard cap on the inflated header + payload in bytes (default 16 KiB); RangeError unless finite and >= 0. */
  maxInflatedBytes?: number;
  /**
   * Require the canonical text (default true): the text must be exactly what encodeLicenceQr gives
   * for the JWS it carries. False accepts any valid DEFLATE stream of the same content, e.g. from
   * another team's compressor; the JWS returned is still exact, and its signature still decides.
   */
  canonical?: boolean;
}

export interface QrSegment {
  data: string;
  mode: 'alphanumeric' | 'numeric';
}

/** True when the text has the shape of an EL1 licence QR text (prefix and digits; not decoded). */
export function isLicenceQrText(text: string): boolean {
  return text.startsWith(LICENCE_QR_PREFIX) && isDigits(text.slice(LICENCE_QR_PREFIX.length));
}

/** The QR segments a licence QR text is meant to be rendered with: the prefix, then the digits. */
export function licenceQrSegments(text: string): QrSegment[] {
  if (!isLicenceQrText(text)) throw new ElicenceError('ERR_QR_PREFIX', 'not an EL1 licence QR text');
  return [
    { data: LICENCE_QR_PREFIX, mode: 'alphanumeric' },
    { data: text.slice(LICENCE_QR_PREFIX.length), mode: LICENCE_QR_MODE },
  ];
}

export function encodeLicenceQr(jws: string): string {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  const [header, payload, signature] = parts.map((part) => (part === '' ? undefined : fromBase64url(part)));
  if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined) {
    throw new ElicenceError('ERR_JWS_MALFORMED', 'not a compact JWS with three non-empty canonical base64url parts');
  }
  return encodeParts(header, payload, signature);
}

/** The EL1 text of a JWS given as the bytes of its three parts (non-empty). */
function encodeParts(header: Uint8Array, payload: Uint8Array, signature: Uint8Array): string {
  if (signature.length > 255) throw new ElicenceError('ERR_QR_TOO_LARGE', 'JWS signature longer than 255 bytes');
  const plain = concatBytes([encodeVarint(header.length), header, payload]);
  if (plain.length > DEFAULT_MAX_INFLATED_BYTES) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `JWS content of ${plain.length} bytes exceeds the QR cap of ${DEFAULT_MAX_INFLATED_BYTES}`);
  }
  const body = concatBytes([Uint8Array.of(signature.length), signature, deflateWithDictionary(plain)]);
  const text = LICENCE_QR_PREFIX + bytesToDigits(concatBytes([encodeVarint(body.length), body]));
  if (text.length > MAX_LICENCE_QR_TEXT_LENGTH) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `QR text of ${text.length} characters does not fit any QR code`);
  }
  return text;
}

export function decodeLicenceQr(text: string, options: DecodeLicenceQrOptions = {}): string {
  const maxInflatedBytes = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
  // A caller's mistake, not bad input: NaN would silently disable the cap.
  if (!Number.isFinite(maxInflatedBytes) || maxInflatedBytes < 0) throw new RangeError('maxInflatedBytes must be a finite number >= 0');
  if (typeof text !== 'string' || !text.startsWith(LICENCE_QR_PREFIX)) {
    throw new ElicenceError('ERR_QR_PREFIX', `QR text does not start with ${LICENCE_QR_PREFIX}`);
  }
  if (text.length > MAX_LICENCE_QR_TEXT_LENGTH) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `QR text longer than ${MAX_LICENCE_QR_TEXT_LENGTH} characters`);
  }
  const digits = text.slice(LICENCE_QR_PREFIX.length);
  if (!isDigits(digits)) throw new ElicenceError('ERR_QR_CHARACTERS', 'QR text has characters other than 0-9 after the prefix');

  const bytes = digitsToBytes(checkDeclaredLength(digits));
  const bodyLength = decodeVarint(bytes, 'length')!;
  const body = bytes.subarray(bodyLength.size);
  const signatureLength = body[0]!;
  if (signatureLength === 0 || body.length < 2 + signatureLength) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR content has no room for its signature and compressed data');
  }
  const signature = body.subarray(1, 1 + signatureLength);
  const plain = inflateWithDictionary(body.subarray(1 + signatureLength), maxInflatedBytes);

  const headerLength = decodeVarint(plain, 'header length');
  const headerStart = headerLength?.size ?? 0;
  const payloadStart = headerStart + (headerLength?.value ?? 0);
  if (headerLength === undefined || headerLength.value === 0 || payloadStart >= plain.length) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR content has no valid header/payload split');
  }
  const header = plain.subarray(headerStart, payloadStart);
  const payload = plain.subarray(payloadStart);

  if (options.canonical !== false && encodeCanonical(header, payload, signature) !== text) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR text is not the canonical EL1 encoding of its JWS');
  }
  return `${base64url(header)}.${base64url(payload)}.${base64url(signature)}`;
}

/**
 * Reads the body length from the first chunk and compares the digit count it implies with the text:
 * fewer digits means the text was cut short (ERR_QR_TRUNCATED), more means trailing junk.
 */
function checkDeclaredLength(digits: string): string {
  const truncated = () => new ElicenceError('ERR_QR_TRUNCATED', 'QR text ends before its declared length');
  let head: Uint8Array;
  try {
    head = digitsToBytes(digits.slice(0, CHUNK_DIGITS));
  } catch (error) {
    // A whole first chunk that does not parse is corrupt; a partial one is a cut-short text.
    if (digits.length >= CHUNK_DIGITS) throw error;
    throw truncated();
  }
  const bodyLength = decodeVarint(head, 'length');
  if (bodyLength === undefined) throw truncated();
  const expectedDigits = digitCountForBytes(bodyLength.size + bodyLength.value);
  if (digits.length < expectedDigits) throw truncated();
  if (digits.length > expectedDigits) throw new ElicenceError('ERR_QR_CORRUPT', 'QR text is longer than its declared length');
  return digits;
}

/** Re-encodes for the canonical check; content the encoder refuses cannot have come from a valid text. */
function encodeCanonical(header: Uint8Array, payload: Uint8Array, signature: Uint8Array): string | undefined {
  try {
    return encodeParts(header, payload, signature);
  } catch {
    return undefined;
  }
}
