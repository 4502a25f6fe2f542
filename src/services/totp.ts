/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 30-second steps, 6 digits,
 * the standard that every authenticator app speaks. A code is accepted one step either side of now
 * (clock drift) and only for a step later than the last one accepted, so a code is never used twice.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { base32Decode, base32Encode } from '../core/encoding.js';

export { base32Decode, base32Encode };

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** A new 160-bit secret, base32 (as authenticator apps take it). */
export function newTotpSecret(): string {
  return base32Encode(crypto.getRandomValues(new Uint8Array(20)));
}

/** HOTP value of `counter` (RFC 4226 §5.3), `digits` long. */
export function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS): string {
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
  const mac = hmac(sha1, secret, message);
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export const totpStep = (ms: number): number => Math.floor(ms / 1000 / TOTP_STEP_SECONDS);

/** The TOTP code at `ms` (RFC 6238 with T0 = 0). */
export function totp(secretBase32: string, ms: number, digits = TOTP_DIGITS): string {
  const secret = base32Decode(secretBase32);
  if (!secret) throw new RangeError('TOTP secret is not base32');
  return hotp(secret, totpStep(ms), digits);
}

/**
 * The step a code matches within one step of `ms`, if it is later than `lastStep`; undefined otherwise.
 * The caller stores the step it got, so the same code cannot be replayed.
 */
export function matchTotp(secretBase32: string, code: string, ms: number, lastStep: number | null): number | undefined {
  const secret = base32Decode(secretBase32);
  if (!secret || !/^\d{6}$/.test(code)) return undefined;
  const now = totpStep(ms);
  for (const step of [now - 1, now, now + 1]) {
    if (lastStep !== null && step <= lastStep) continue;
    if (hotp(secret, step) === code) return step;
  }
  return undefined;
}

/** The otpauth:// URI authenticator apps read from a QR code. */
export function otpauthUri(secretBase32: string, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  return `otpauth://totp/${label}?secret=${secretBase32}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_STEP_SECONDS}`;
}
