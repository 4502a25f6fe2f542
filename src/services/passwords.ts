/**
 * Staff passwords, stored as `scheme:params:salt:hash` (salt and hash base64url) so that each hash is
 * verified with the parameters it was made with, and upgraded on the next sign-in once the policy asks
 * for more (`needsRehash`). Two schemes:
 *
 * - `pbkdf2-sha256:i=<iterations>`: WebCrypto PBKDF2-HMAC-SHA-256, native in Node and in Workers.
 * - `scrypt:N=<N>,r=<r>,p=<p>`: scrypt from `@noble/hashes` (pure JavaScript), for hashes made that way.
 *
 * The policy is chosen by the runtime entry and handed in through `AppConfig.passwordHashing`:
 * Node uses PBKDF2 with 600,000 iterations (OWASP's figure for PBKDF2-HMAC-SHA-256). Cloudflare Workers
 * refuses PBKDF2 above 100,000 iterations in production (`wrangler dev` does not enforce it, so a local
 * run would not show the failure), so the Worker uses exactly 100,000: a trade-off of about 6x less work
 * per guess, mitigated by the sign-in back-off and lock and the optional second factor (docs/console.md).
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { base64url, fromBase64url, utf8 } from '../core/encoding.js';

export type PasswordHashing = { scheme: 'pbkdf2-sha256'; iterations: number } | { scheme: 'scrypt'; N: number; r: number; p: number };

/** Node: PBKDF2-HMAC-SHA-256, 600,000 iterations. */
export const NODE_PASSWORD_HASHING: PasswordHashing = { scheme: 'pbkdf2-sha256', iterations: 600_000 };
/** The most PBKDF2 iterations Cloudflare Workers performs in production. */
export const WORKERS_MAX_PBKDF2_ITERATIONS = 100_000;
/** Workers: PBKDF2-HMAC-SHA-256 at the platform's ceiling of 100,000 iterations. */
export const WORKER_PASSWORD_HASHING: PasswordHashing = { scheme: 'pbkdf2-sha256', iterations: WORKERS_MAX_PBKDF2_ITERATIONS };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Refuse stored parameters beyond these: a tampered row must not make sign-in hang. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_N = 2 ** 20;

interface Parsed {
  hashing: PasswordHashing;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parseStored(stored: string): Parsed | undefined {
  const parts = stored.split(':');
  if (parts.length !== 4) return undefined;
  const [scheme, params, saltText, hashText] = parts as [string, string, string, string];
  const salt = fromBase64url(saltText);
  const hash = fromBase64url(hashText);
  if (!salt || !hash || salt.length < 8 || hash.length < 16) return undefined;
  const values = Object.fromEntries(
    params.split(',').map((kv) => {
      const [k, v] = kv.split('=');
      return [k, /^\d{1,9}$/.test(v ?? '') ? Number(v) : Number.NaN];
    }),
  ) as Record<string, number>;
  if (scheme === 'pbkdf2-sha256') {
    const iterations = values['i'] ?? Number.NaN;
    if (!(iterations >= 1 && iterations <= MAX_PBKDF2_ITERATIONS)) return undefined;
    return { hashing: { scheme, iterations }, salt, hash };
  }
  if (scheme === 'scrypt') {
    const { N = Number.NaN, r = Number.NaN, p = Number.NaN } = values;
    if (!(N >= 2 && N <= MAX_SCRYPT_N && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return undefined;
    return { hashing: { scheme, N, r, p }, salt, hash };
  }
  return undefined;
}

async function derive(password: string, salt: Uint8Array, hashing: PasswordHashing, length: number): Promise<Uint8Array> {
  const secret = utf8(password.normalize('NFC'));
  if (hashing.scheme === 'scrypt') {
    return scryptAsync(secret, salt, { N: hashing.N, r: hashing.r, p: hashing.p, dkLen: length, maxmem: 1024 ** 3 });
  }
  const key = await crypto.subtle.importKey('raw', secret as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations: hashing.iterations }, key, length * 8);
  return new Uint8Array(bits);
}

const paramsText = (hashing: PasswordHashing) => (hashing.scheme === 'scrypt' ? `N=${hashing.N},r=${hashing.r},p=${hashing.p}` : `i=${hashing.iterations}`);

export async function hashPassword(password: string, hashing: PasswordHashing): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, hashing, HASH_BYTES);
  return `${hashing.scheme}:${paramsText(hashing)}:${base64url(salt)}:${base64url(hash)}`;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** True when `password` matches the stored hash; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  return constantTimeEqual(await derive(password, parsed.salt, parsed.hashing, parsed.hash.length), parsed.hash);
}

/** The parameters a stored hash was made with (undefined when unreadable). */
export function storedHashing(stored: string): PasswordHashing | undefined {
  return parseStored(stored)?.hashing;
}

/** True when the stored hash is weaker than (or of another scheme than) the policy: rehash on sign-in. */
export function needsRehash(stored: string, policy: PasswordHashing): boolean {
  const current = parseStored(stored)?.hashing;
  if (!current || current.scheme !== policy.scheme) return true;
  if (current.scheme === 'pbkdf2-sha256' && policy.scheme === 'pbkdf2-sha256') return current.iterations < policy.iterations;
  if (current.scheme === 'scrypt' && policy.scheme === 'scrypt') return current.N < policy.N || current.r < policy.r || current.p < policy.p;
  return true;
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

/** Why a new password is refused, or undefined: length, and not the login itself. */
export function passwordProblem(password: string, login: string): 'short' | 'long' | 'login' | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return 'short';
  if (length > MAX_PASSWORD_LENGTH) return 'long';
  if (password.toLowerCase().includes(login.toLowerCase())) return 'login';
  return undefined;
}
