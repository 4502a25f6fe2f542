/**
 * QR format EL2: a live presentation (docs/qr-format.md, section 11). The EL1-style body of a bound
 * credential (a bound copy of a licence or an agent authorisation, both carrying `cnf`), then the slot
 * and a proof by the holder's device key that it showed this credential in this 30-second slot:
 *
 *   text     = "EL2:" digits                          QR: alphanumeric segment, then numeric segment
 *   digits   = bytes as 7-byte chunks, 17 digits each (numeric.ts, as EL1)
 *   bytes    = varint(len(body)) body varint(slot) proof
 *   body     = uint8(len(sig)) sig uint8(len(key)) key deflated
 *   key      = empty, or the 64 bytes x || y of the P-256 `cnf` key, lifted out of the payload
 *   deflated = raw DEFLATE, EL2 dictionary, of varint(len(header)) header payload'
 *   proof    = ES256 (raw r || s, 64 bytes) by the cnf key over
 *              "EL-LIVE1" || uint32be(slot) || SHA-256(ASCII compact JWS)
 *   slot     = floor(unix seconds / 30)
 *
 * Lifting the key: payload' is the payload with the cnf key's `x` and `y` values emptied, so DEFLATE
 * sees the dictionary's `"cnf":{"jwk":{...,"x":"","y":""}}` and the 64 raw bytes travel uncompressed
 * (base64url through DEFLATE costs more). The encoder lifts only when the payload has exactly one such
 * member and no emptied one; the decoder restores exactly one. Canonical as EL1: one text per (JWS,
 * slot, proof). The proof signs the JWS, never the text, so the signer needs nothing of this layout.
 */
import { checkPublicJwk, ES256 } from '../algorithms.js';
import { base64url, concatBytes, fromBase64url, fromUtf8, utf8 } from '../encoding.js';
import { ElicenceError } from '../errors.js';
import { deflateWithDictionary, inflateWithDictionary } from './deflate.js';
import { LIVE_QR_DICTIONARY } from './live-dictionary.js';
import { bytesToDigits, CHUNK_DIGITS, DIGITS_FOR_BYTES, digitCountForBytes, digitsToBytes, isDigits } from './numeric.js';
import { decodeVarint, encodeVarint } from './varint.js';

/** Version prefix of live QR texts (alphanumeric-mode characters only). */
export const LIVE_QR_PREFIX = 'EL2:';
/** Seconds per slot: the QR changes this often. */
export const LIVE_SLOT_SECONDS = 30;
/** Domain separation of the proof: what the device key signs starts with these 8 ASCII bytes. */
export const LIVE_PROOF_DOMAIN = 'EL-LIVE1';
/** Bytes of the proof (ES256, raw r || s). */
export const LIVE_PROOF_BYTES = 64;
/** Default hard cap on the inflated header + payload (as EL1). */
export const DEFAULT_MAX_LIVE_INFLATED_BYTES = 16 * 1024;
/** Longest text accepted: the prefix plus the digits of a version-40 QR at level L. */
export const MAX_LIVE_QR_TEXT_LENGTH = LIVE_QR_PREFIX.length + 7089;

const MAX_SLOT = 2 ** 32 - 1;
const SLOT_VARINT_BYTES = 5;
const KEY_BYTES = 64;
const CNF_HEAD = '"cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"';
const CNF_EMPTIED = `${CNF_HEAD}","y":""}}`;
const CNF_RE = /"cnf":\{"jwk":\{"kty":"EC","crv":"P-256","x":"([A-Za-z0-9_-]{43})","y":"([A-Za-z0-9_-]{43})"\}\}/g;

/** Signs the proof message with the device key; resolves to the 64-byte raw r || s (WebCrypto's ECDSA output). */
export type LiveProofSigner = (message: Uint8Array) => Promise<Uint8Array>;

export interface LiveQr {
  /** The bound credential's compact JWS, byte for byte as signed by its issuer. */
  jws: string;
  slot: number;
  /** The device's proof, 64 bytes raw r || s. */
  signature: Uint8Array;
}

export interface DecodeLiveQrOptions {
  /** Hard cap on the inflated header + payload in bytes (default 16 KiB). */
  maxInflatedBytes?: number;
  /** Require the canonical text (default true); verifiers pass false, as for EL1. */
  canonical?: boolean;
}

/** The slot of a time (ms since the epoch): floor(seconds / 30). */
export function liveSlotOf(timeMs: number): number {
  return Math.floor(Math.floor(timeMs / 1000) / LIVE_SLOT_SECONDS);
}

/** The middle of a slot, ms since the epoch: the time a verifier compares with its clock. */
export function liveSlotMidpointMs(slot: number): number {
  return (slot * LIVE_SLOT_SECONDS + LIVE_SLOT_SECONDS / 2) * 1000;
}

function checkSlot(slot: unknown): asserts slot is number {
  if (typeof slot !== 'number' || !Number.isSafeInteger(slot) || slot < 0 || slot > MAX_SLOT) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'slot must be an integer from 0 to 2^32 - 1', { field: 'slot' });
  }
}

/** What the device key signs: "EL-LIVE1" || uint32be(slot) || SHA-256(ASCII JWS). 44 bytes. */
export async function liveProofMessage(jws: string, slot: number): Promise<Uint8Array> {
  checkSlot(slot);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(jws) as BufferSource));
  const message = new Uint8Array(LIVE_PROOF_DOMAIN.length + 4 + digest.length);
  message.set(utf8(LIVE_PROOF_DOMAIN), 0);
  new DataView(message.buffer).setUint32(LIVE_PROOF_DOMAIN.length, slot, false);
  message.set(digest, LIVE_PROOF_DOMAIN.length + 4);
  return message;
}

/**
 * Checks a proof with a `cnf` public JWK, pinned to ES256 on P-256: any other key type or curve, or a
 * JWK with private members, is refused (false), whatever the JWK says of itself. Never throws.
 */
export async function verifyLiveProof(jws: string, slot: number, signature: Uint8Array, cnfJwk: unknown): Promise<boolean> {
  try {
    if (typeof cnfJwk !== 'object' || cnfJwk === null || signature.length !== LIVE_PROOF_BYTES) return false;
    const checked = checkPublicJwk(cnfJwk as Record<string, unknown>);
    if (!checked.ok || checked.algorithm !== ES256) return false;
    const check = await ES256.importVerifier(checked.jwk);
    return await check(signature, await liveProofMessage(jws, slot));
  } catch {
    return false;
  }
}

/**
 * The live QR text of a bound credential for one slot (default: the current one), signed by `sign`
 * (e.g. WebCrypto's ECDSA P-256 / SHA-256 with a non-extractable key). Throws ElicenceError on a JWS
 * that is not compact or a signer that does not return 64 bytes.
 */
export async function createLiveQr(jws: string, sign: LiveProofSigner, options: { slot?: number; now?: number } = {}): Promise<string> {
  const slot = options.slot ?? liveSlotOf(options.now ?? Date.now());
  const signature = await sign(await liveProofMessage(jws, slot));
  if (!(signature instanceof Uint8Array) || signature.length !== LIVE_PROOF_BYTES) {
    throw new ElicenceError('ERR_JWS_SIGNATURE', `the device signer must return ${LIVE_PROOF_BYTES} bytes (raw r || s)`);
  }
  return encodeLiveQr({ jws, slot, signature });
}

/** The EL2 text of a JWS, slot and proof (the proof is not checked here). */
export function encodeLiveQr(live: LiveQr): string {
  const parts = typeof live.jws === 'string' ? live.jws.split('.') : [];
  const [header, payload, signature] = parts.map((part) => (part === '' ? undefined : fromBase64url(part)));
  if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined) {
    throw new ElicenceError('ERR_JWS_MALFORMED', 'not a compact JWS with three non-empty canonical base64url parts');
  }
  checkSlot(live.slot);
  if (!(live.signature instanceof Uint8Array) || live.signature.length !== LIVE_PROOF_BYTES) {
    throw new ElicenceError('ERR_QR_CORRUPT', `the proof must be ${LIVE_PROOF_BYTES} bytes`);
  }
  return encodeParts(header, payload, signature, live.slot, live.signature);
}

/** Lifts the cnf key out of the payload when it can be restored unambiguously. */
function liftKey(payload: Uint8Array): { key: Uint8Array; rest: Uint8Array } {
  let text: string;
  try {
    text = fromUtf8(payload);
  } catch {
    return { key: new Uint8Array(0), rest: payload };
  }
  const matches = [...text.matchAll(CNF_RE)];
  if (matches.length !== 1 || text.includes(CNF_EMPTIED)) return { key: new Uint8Array(0), rest: payload };
  const match = matches[0]!;
  const x = fromBase64url(match[1]!);
  const y = fromBase64url(match[2]!);
  // Non-canonical base64url (stray low bits) would not come back identical: leave it in place.
  if (x?.length !== 32 || y?.length !== 32) return { key: new Uint8Array(0), rest: payload };
  const rest = text.slice(0, match.index) + CNF_EMPTIED + text.slice(match.index + match[0].length);
  return { key: concatBytes([x, y]), rest: utf8(rest) };
}

function restoreKey(rest: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length === 0) return rest;
  const text = fromUtf8(rest);
  const at = text.indexOf(CNF_EMPTIED);
  if (at < 0 || text.indexOf(CNF_EMPTIED, at + 1) >= 0) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR content carries a device key but no single place for it');
  }
  const filled = `${CNF_HEAD}${base64url(key.subarray(0, 32))}","y":"${base64url(key.subarray(32))}"}}`;
  return utf8(text.slice(0, at) + filled + text.slice(at + CNF_EMPTIED.length));
}

function encodeParts(header: Uint8Array, payload: Uint8Array, signature: Uint8Array, slot: number, proof: Uint8Array): string {
  if (signature.length > 255) throw new ElicenceError('ERR_QR_TOO_LARGE', 'JWS signature longer than 255 bytes');
  const { key, rest } = liftKey(payload);
  const plain = concatBytes([encodeVarint(header.length), header, rest]);
  if (plain.length > DEFAULT_MAX_LIVE_INFLATED_BYTES) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `JWS content of ${plain.length} bytes exceeds the QR cap of ${DEFAULT_MAX_LIVE_INFLATED_BYTES}`);
  }
  const body = concatBytes([Uint8Array.of(signature.length), signature, Uint8Array.of(key.length), key, deflateWithDictionary(plain, LIVE_QR_DICTIONARY)]);
  const text = LIVE_QR_PREFIX + bytesToDigits(concatBytes([encodeVarint(body.length), body, encodeVarint(slot), proof]));
  if (text.length > MAX_LIVE_QR_TEXT_LENGTH) {
    throw new ElicenceError('ERR_QR_TOO_LARGE', `QR text of ${text.length} characters does not fit any QR code`);
  }
  return text;
}

/** The QR segments an EL2 text is rendered with, as EL1: the prefix (alphanumeric), then the digits (numeric). */
export function liveQrSegments(text: string): Array<{ data: string; mode: 'alphanumeric' | 'numeric' }> {
  if (!isLiveQrText(text)) throw new ElicenceError('ERR_QR_PREFIX', 'not an EL2 live QR text');
  return [
    { data: LIVE_QR_PREFIX, mode: 'alphanumeric' },
    { data: text.slice(LIVE_QR_PREFIX.length), mode: 'numeric' },
  ];
}

/** True when the text has the shape of an EL2 text (prefix and digits; not decoded). */
export function isLiveQrText(text: string): boolean {
  return typeof text === 'string' && text.startsWith(LIVE_QR_PREFIX) && isDigits(text.slice(LIVE_QR_PREFIX.length));
}

/**
 * Decodes an EL2 text into the bound credential's JWS (exactly as signed), the slot and the proof.
 * Nothing is verified here. Throws ElicenceError ERR_QR_PREFIX, ERR_QR_TOO_LARGE, ERR_QR_CHARACTERS,
 * ERR_QR_TRUNCATED or ERR_QR_CORRUPT, as EL1.
 */
export function decodeLiveQr(text: string, options: DecodeLiveQrOptions = {}): LiveQr {
  const maxInflatedBytes = options.maxInflatedBytes ?? DEFAULT_MAX_LIVE_INFLATED_BYTES;
  if (!Number.isFinite(maxInflatedBytes) || maxInflatedBytes < 0) throw new RangeError('maxInflatedBytes must be a finite number >= 0');
  if (typeof text !== 'string' || !text.startsWith(LIVE_QR_PREFIX)) {
    throw new ElicenceError('ERR_QR_PREFIX', `QR text does not start with ${LIVE_QR_PREFIX}`);
  }
  if (text.length > MAX_LIVE_QR_TEXT_LENGTH) throw new ElicenceError('ERR_QR_TOO_LARGE', `QR text longer than ${MAX_LIVE_QR_TEXT_LENGTH} characters`);
  const digits = text.slice(LIVE_QR_PREFIX.length);
  if (!isDigits(digits)) throw new ElicenceError('ERR_QR_CHARACTERS', 'QR text has characters other than 0-9 after the prefix');
  const truncated = () => new ElicenceError('ERR_QR_TRUNCATED', 'QR text ends before its declared length');

  // The body length is in the first chunk; a text too short for it, the slot and the proof is cut short.
  let head: Uint8Array;
  try {
    head = digitsToBytes(digits.slice(0, CHUNK_DIGITS));
  } catch (error) {
    if (digits.length >= CHUNK_DIGITS) throw error;
    throw truncated();
  }
  const bodyLength = decodeVarint(head, 'length');
  if (bodyLength === undefined) throw truncated();
  const slotStart = bodyLength.size + bodyLength.value;
  if (digits.length < digitCountForBytes(slotStart + 1 + LIVE_PROOF_BYTES)) throw truncated();
  // A digit count no byte string has, short of the longest possible text: cut inside a chunk.
  if (DIGITS_FOR_BYTES.indexOf(digits.length % CHUNK_DIGITS) < 0 && digits.length < digitCountForBytes(slotStart + SLOT_VARINT_BYTES + LIVE_PROOF_BYTES)) {
    throw truncated();
  }
  const bytes = digitsToBytes(digits);
  const slotVarint = decodeVarint(bytes.subarray(slotStart), 'slot', SLOT_VARINT_BYTES);
  if (slotVarint === undefined) throw truncated();
  if (slotVarint.value > MAX_SLOT) throw new ElicenceError('ERR_QR_CORRUPT', 'QR slot is beyond 2^32 - 1');
  const proofStart = slotStart + slotVarint.size;
  if (bytes.length < proofStart + LIVE_PROOF_BYTES) throw truncated();
  if (bytes.length > proofStart + LIVE_PROOF_BYTES) throw new ElicenceError('ERR_QR_CORRUPT', 'QR text is longer than its declared length');

  const body = bytes.subarray(bodyLength.size, slotStart);
  const signatureLength = body[0] ?? 0;
  const keyLength = body[1 + signatureLength];
  if (signatureLength === 0 || keyLength === undefined || (keyLength !== 0 && keyLength !== KEY_BYTES) || body.length < 3 + signatureLength + keyLength) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR content has no room for its signature, key and compressed data');
  }
  const signature = body.subarray(1, 1 + signatureLength);
  const key = body.subarray(2 + signatureLength, 2 + signatureLength + keyLength);
  const plain = inflateWithDictionary(body.subarray(2 + signatureLength + keyLength), maxInflatedBytes, LIVE_QR_DICTIONARY);
  const headerLength = decodeVarint(plain, 'header length');
  const headerStart = headerLength?.size ?? 0;
  const payloadStart = headerStart + (headerLength?.value ?? 0);
  if (headerLength === undefined || headerLength.value === 0 || payloadStart >= plain.length) {
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR content has no valid header/payload split');
  }
  const header = plain.subarray(headerStart, payloadStart);
  let payload: Uint8Array;
  try {
    payload = restoreKey(plain.subarray(payloadStart), key);
  } catch (error) {
    if (error instanceof ElicenceError) throw error;
    throw new ElicenceError('ERR_QR_CORRUPT', 'QR payload is not UTF-8 text', { cause: error });
  }
  const slot = slotVarint.value;
  const proof = bytes.slice(proofStart);
  if (options.canonical !== false) {
    let again: string | undefined;
    try {
      again = encodeParts(header, payload, signature, slot, proof);
    } catch {
      again = undefined;
    }
    if (again !== text) throw new ElicenceError('ERR_QR_CORRUPT', 'QR text is not the canonical EL2 encoding of its content');
  }
  return { jws: `${base64url(header)}.${base64url(payload)}.${base64url(signature)}`, slot, signature: proof };
}
