/**
 * Holder keys named by a presentation's `kid`: `did:jwk` (RFC 7517 JWK in base64url) and `did:key`
 * (multibase base58btc of a multicodec public key), for the two curves of the algorithm table
 * (Ed25519, P-256). Self-certifying DIDs only: nothing is fetched, so anything else is unresolvable.
 */

import { p256 } from '@noble/curves/nist.js';
import type { JWK } from 'jose';
import { checkPublicJwk } from './algorithms.js';
import { base64url, fromBase64url, fromUtf8 } from './encoding.js';
import { isRecord, parseStrictJson } from './strict-json.js';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Decodes base58btc (Bitcoin alphabet); undefined on any other character. */
export function fromBase58(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 256) return undefined;
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    if (digit < 0) return undefined;
    value = value * 58n + BigInt(digit);
  }
  const out: number[] = [];
  while (value > 0n) {
    out.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for (let i = 0; i < text.length && text[i] === '1'; i++) out.unshift(0);
  return Uint8Array.from(out);
}

/** Multicodec prefixes (unsigned varints) of the public keys accepted in did:key. */
const ED25519_PUB = [0xed, 0x01];
const P256_PUB = [0x80, 0x24];

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

function didKeyJwk(multibase: string): JWK | undefined {
  if (!multibase.startsWith('z')) return undefined;
  const bytes = fromBase58(multibase.slice(1));
  if (!bytes) return undefined;
  if (startsWith(bytes, ED25519_PUB) && bytes.length === 34) return { kty: 'OKP', crv: 'Ed25519', x: base64url(bytes.slice(2)) };
  if (startsWith(bytes, P256_PUB) && bytes.length === 35) {
    try {
      const raw = p256.Point.fromBytes(bytes.slice(2)).toBytes(false);
      return { kty: 'EC', crv: 'P-256', x: base64url(raw.slice(1, 33)), y: base64url(raw.slice(33, 65)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function didJwkJwk(encoded: string): JWK | undefined {
  const bytes = fromBase64url(encoded);
  if (!bytes) return undefined;
  try {
    const value = parseStrictJson(fromUtf8(bytes));
    return isRecord(value) ? (value as JWK) : undefined;
  } catch {
    return undefined;
  }
}

export interface HolderKey {
  /** The DID the key belongs to (the `kid` without its fragment). */
  did: string;
  /** The public key, reduced to kty, crv and coordinates. */
  jwk: JWK;
}

/**
 * Resolves a `kid` of the form `did:jwk:<b64url JWK>[#0]` or `did:key:<multibase>[#<fragment>]` to
 * an Ed25519 or P-256 public key; undefined for any other method, curve, or a malformed value.
 * For did:key the fragment, when present, must be the key's own multibase value.
 */
export function resolveHolderKey(kid: string): HolderKey | undefined {
  const hash = kid.indexOf('#');
  const did = hash < 0 ? kid : kid.slice(0, hash);
  const fragment = hash < 0 ? undefined : kid.slice(hash + 1);
  let jwk: JWK | undefined;
  if (did.startsWith('did:jwk:')) {
    if (fragment !== undefined && fragment !== '0') return undefined;
    jwk = didJwkJwk(did.slice('did:jwk:'.length));
  } else if (did.startsWith('did:key:')) {
    const multibase = did.slice('did:key:'.length);
    if (fragment !== undefined && fragment !== multibase) return undefined;
    jwk = didKeyJwk(multibase);
  }
  if (!jwk) return undefined;
  const checked = checkPublicJwk(jwk as Record<string, unknown>);
  return checked.ok ? { did, jwk: checked.jwk } : undefined;
}
