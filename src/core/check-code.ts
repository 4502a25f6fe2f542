/**
 * The check code of a QR text: a short code a person can read out, so a QR shown on a screen or
 * printed can be matched by ear against what a verifier decoded (docs/holder-app.md).
 *
 * Definition: the first 6 characters of the RFC 4648 base32 encoding (alphabet A-Z 2-7) of
 * SHA-256(UTF-8 bytes of the QR text), 30 bits. Shown in two groups of three ("ABC DEF"). It names a
 * QR text, it proves nothing: only the signature inside the QR does.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base32Encode, utf8 } from './encoding.js';

export const CHECK_CODE_LENGTH = 6;

export function qrCheckCode(qrText: string): string {
  return base32Encode(sha256(utf8(qrText))).slice(0, CHECK_CODE_LENGTH);
}

/** "ABCDEF" -> "ABC DEF", for reading out. */
export const groupedCheckCode = (code: string): string => `${code.slice(0, 3)} ${code.slice(3)}`;
