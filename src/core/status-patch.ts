/**
 * Signed status patches (docs/trust-list.md, "Status patches"): one document per authority per period
 * (`typ: "status-patch+jwt"`, signed with the authority's key) that brings each of its changed status
 * lists from one `version` to the next (the changed indices, Rice-coded, and the SHA-256 of the
 * resulting bitstring) and attests every unchanged list as still current at its `iat`. At national
 * scale signatures, not changed bits, dominate a day's traffic, hence one signature per authority.
 *
 * The digest makes a patched copy verifiable on its own: a bitstring whose SHA-256 a genuine patch
 * names for (list, version) is that list at that version, as of the patch's `iat`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, fromBase64url } from './encoding.js';
import { ElicenceError } from './errors.js';
import { type JwsSigner, signCompact } from './jws-sign.js';
import { type DecodedJws, decodeJws, type JwsPolicy } from './jws-verify.js';
import { decodeIndices, encodeIndices } from './rice.js';
import { Bitstring } from './status-list.js';
import { isRecord } from './strict-json.js';

export const STATUS_PATCH_TYP = 'status-patch+jwt';
export const STATUS_PATCH_POLICY: JwsPolicy = { typ: STATUS_PATCH_TYP, maxLength: 4 * 1024 * 1024 };

/** One changed list: `from` -> `to`, the indices whose bit flips, the digest after flipping. */
export interface StatusPatchChangeJson {
  /** The list URL relative to the patch's `base`. */
  list: string;
  from: number;
  to: number;
  /** How many indices `changes` holds. */
  count: number;
  /** Rice-coded sorted indices (rice.ts), base64url. */
  changes: string;
  /** SHA-256 of the whole bitstring after applying, base64url. */
  digest: string;
}

export interface StatusPatchPayload {
  version: 1;
  /** The authority (did:web) whose lists these are; the signing key must be one of its keys. */
  issuer: string;
  /** Common prefix of the list URLs. */
  base: string;
  /** Signing time, seconds: the status age of every list this patch brings up to date or attests. */
  iat: number;
  lists: StatusPatchChangeJson[];
  /** Lists unchanged since `version`, attested current as of `iat`. */
  current: Array<{ list: string; version: number }>;
}

/** A patch as a verifier uses it: absolute URLs, decoded indices. */
export interface StatusPatch {
  issuerId: string;
  /** Epoch ms. */
  issuedAt: number;
  changes: ReadonlyMap<string, { from: number; to: number; indices: readonly number[]; digest: string }>;
  current: ReadonlyMap<string, number>;
}

export function bitstringDigest(bits: Bitstring | Uint8Array): string {
  return base64url(sha256(bits instanceof Bitstring ? bits.bytes : bits));
}

export interface StatusPatchInput {
  issuer: string;
  base: string;
  issuedAt: Date;
  /** Changed lists: the bitstring after the change, and the indices that changed. */
  changed: Array<{ url: string; from: number; to: number; indices: readonly number[]; after: Bitstring }>;
  unchanged: Array<{ url: string; version: number }>;
}

function relative(base: string, url: string): string {
  if (!url.startsWith(base) || url.length === base.length) throw new RangeError(`${url} is not below ${base}`);
  return url.slice(base.length);
}

export function buildStatusPatch(input: StatusPatchInput): StatusPatchPayload {
  return {
    version: 1,
    issuer: input.issuer,
    base: input.base,
    iat: Math.floor(input.issuedAt.getTime() / 1000),
    lists: input.changed.map((c) => {
      const indices = [...c.indices].sort((a, b) => a - b);
      return {
        list: relative(input.base, c.url),
        from: c.from,
        to: c.to,
        count: indices.length,
        changes: base64url(encodeIndices(indices, c.after.length)),
        digest: bitstringDigest(c.after),
      };
    }),
    current: input.unchanged.map((u) => ({ list: relative(input.base, u.url), version: u.version })),
  };
}

export function signStatusPatch(signer: JwsSigner, payload: StatusPatchPayload): Promise<string> {
  return signCompact(signer, payload, STATUS_PATCH_TYP);
}

const MAX_LISTS = 100_000;
const MAX_INDEX = 2 ** 31;

function malformed(message: string, field?: string): ElicenceError {
  return new ElicenceError('ERR_STATUS_PATCH_MALFORMED', message, field === undefined ? {} : { field });
}

const version = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Decodes a patch JWS strictly and checks its payload's shape (not its signature: the caller picks the key by issuer). */
export function decodeStatusPatch(jws: unknown): { decoded: DecodedJws; patch: StatusPatch } {
  const decoded = decodeJws(jws, STATUS_PATCH_POLICY);
  const p = decoded.payload;
  if (p.version !== 1) throw malformed('version must be 1', 'version');
  if (typeof p.issuer !== 'string' || p.issuer.length === 0) throw malformed('issuer must be a DID', 'issuer');
  if (typeof p.base !== 'string' || !/^https?:\/\//.test(p.base)) throw malformed('base must be an http(s) URL prefix', 'base');
  if (!version(p.iat)) throw malformed('iat must be seconds since the epoch', 'iat');
  if (!Array.isArray(p.lists) || !Array.isArray(p.current) || p.lists.length + p.current.length > MAX_LISTS) throw malformed('lists and current must be arrays', 'lists');
  const base = p.base;
  const changes = new Map<string, { from: number; to: number; indices: readonly number[]; digest: string }>();
  for (const [i, c] of p.lists.entries()) {
    const field = `lists[${i}]`;
    if (!isRecord(c) || typeof c.list !== 'string' || c.list.length === 0) throw malformed(`${field}.list must be a relative URL`, field);
    if (!version(c.from) || !version(c.to) || (c.to as number) <= (c.from as number)) throw malformed(`${field}: to must be a version above from`, field);
    if (!version(c.count) || typeof c.changes !== 'string' || typeof c.digest !== 'string' || fromBase64url(c.digest)?.length !== 32)
      throw malformed(`${field}: count, changes and digest are required`, field);
    const bytes = fromBase64url(c.changes);
    const indices = bytes && decodeIndices(bytes, c.count as number, MAX_INDEX);
    if (!indices) throw malformed(`${field}.changes is not a valid index coding`, field);
    const url = base + c.list;
    if (changes.has(url)) throw malformed(`${field}: ${url} appears twice`, field);
    changes.set(url, { from: c.from as number, to: c.to as number, indices, digest: c.digest });
  }
  const current = new Map<string, number>();
  for (const [i, c] of p.current.entries()) {
    const field = `current[${i}]`;
    if (!isRecord(c) || typeof c.list !== 'string' || c.list.length === 0 || !version(c.version)) throw malformed(`${field} must be { list, version }`, field);
    const url = base + c.list;
    if (changes.has(url) || current.has(url)) throw malformed(`${field}: ${url} appears twice`, field);
    current.set(url, c.version as number);
  }
  return { decoded, patch: { issuerId: p.issuer, issuedAt: (p.iat as number) * 1000, changes, current } };
}

/**
 * Applies one change to a copy of a list at version `from`: flips the named bits and checks the
 * result against the signed digest. Throws ERR_STATUS_PATCH_MISMATCH (an index beyond the list, or a
 * digest that differs: the copy was not the version the patch starts from).
 */
export function applyStatusChange(bits: Bitstring, change: { indices: readonly number[]; digest: string }): Bitstring {
  const next = new Bitstring(bits.bytes.slice());
  for (const index of change.indices) {
    if (index >= next.length) throw new ElicenceError('ERR_STATUS_PATCH_MISMATCH', `index ${index} is beyond the list's ${next.length} entries`);
    next.set(index, !next.get(index));
  }
  if (bitstringDigest(next) !== change.digest) throw new ElicenceError('ERR_STATUS_PATCH_MISMATCH', 'the patched list does not have the digest the patch names');
  return next;
}
