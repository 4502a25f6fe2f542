/**
 * Signed status patches (docs/trust-list.md, "Status patches"): one document per authority per period
 * (`typ: "status-patch+jwt"`, signed with the authority's key) that brings each of its changed status
 * lists from one `version` to the next (the changed indices, Rice-coded, the SHA-256 of the resulting
 * bitstring, and for a revocation list the reasons of the bits it sets with the SHA-256 of the list's
 * packed reasons after) and attests every unchanged list as still current at its `iat`. At national
 * scale signatures, not changed bits, dominate a day's traffic, hence one signature per authority.
 *
 * The digest makes a patched copy verifiable on its own: a bitstring whose SHA-256 a genuine patch
 * names for (list, version) is that list at that version, as of the patch's `iat`. A `current` entry
 * may carry the digest too: a cut's manifest does for every list, so copies of all of an authority's
 * lists can be checked against one signature. A `tail` patch is provisional (from the last cut to now):
 * a verifier applies it for freshness but keeps its stored copy at the cut, which the next cut moves.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url, fromBase64url } from './encoding.js';
import { ElicenceError } from './errors.js';
import { type JwsSigner, signCompact } from './jws-sign.js';
import { type DecodedJws, decodeJws, type JwsPolicy } from './jws-verify.js';
import { decodeIndicesInto, encodeIndices } from './rice.js';
import { Bitstring } from './status-list.js';
import { flipIndices, isSet, packReasonCodes, reasonsDigest, reasonsOfSet, type SparseStatusList, sparseDigest, sparseOf, unpackReasonCodes } from './status-set.js';
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
  /** Revocation lists: the 3-bit reason codes of the indices of `changes` that are set after applying, in index order, base64url. */
  reasons?: string;
  /** Revocation lists: SHA-256 of the list's packed reasons after applying (every set bit's code in index order), base64url. */
  reasonsDigest?: string;
}

/** A list unchanged since `version`, attested current at `iat`; with `digest`, its bits too. */
export interface StatusPatchCurrentJson {
  list: string;
  version: number;
  digest?: string;
  reasonsDigest?: string;
}

export interface StatusPatchPayload {
  version: 1;
  /** The authority (did:web) whose lists these are; the signing key must be one of its keys. */
  issuer: string;
  /** Common prefix of the list URLs. */
  base: string;
  /** Signing time, seconds: the status age of every list this patch brings up to date or attests. */
  iat: number;
  /** A provisional patch from the last cut to now (absent: a cut, which moves a verifier's stored copy). */
  tail?: true;
  lists: StatusPatchChangeJson[];
  /** Lists unchanged since `version`, attested current as of `iat`. */
  current: StatusPatchCurrentJson[];
}

export interface StatusPatchChange {
  from: number;
  to: number;
  indices: Uint32Array;
  digest: string;
  /** Packed reason codes of the indices set after applying (decoded when applied: their number depends on the copy). */
  reasons?: Uint8Array;
  reasonsDigest?: string;
}

export interface StatusPatchCurrent {
  version: number;
  digest?: string;
  reasonsDigest?: string;
}

/** A patch as a verifier uses it: absolute URLs, decoded indices. */
export interface StatusPatch {
  issuerId: string;
  /** Epoch ms. */
  issuedAt: number;
  tail: boolean;
  changes: ReadonlyMap<string, StatusPatchChange>;
  current: ReadonlyMap<string, StatusPatchCurrent>;
}

/** base64url SHA-256 of a bitstring (synchronous; `sparseDigest` is the fast path for large lists). */
export function bitstringDigest(bits: Bitstring | Uint8Array): string {
  return base64url(sha256(bits instanceof Bitstring ? bits.bytes : bits));
}

export interface StatusPatchInput {
  issuer: string;
  base: string;
  issuedAt: Date;
  tail?: boolean;
  /** Changed lists: the list after the change (with its reasons, for a revocation list that has them), and the indices that changed. */
  changed: Array<{ url: string; from: number; to: number; indices: ArrayLike<number>; after: Bitstring | SparseStatusList }>;
  /** Unchanged lists; with `list`, the entry carries its digest (a manifest). */
  unchanged: Array<{ url: string; version: number; list?: SparseStatusList }>;
}

function relative(base: string, url: string): string {
  if (!url.startsWith(base) || url.length === base.length) throw new RangeError(`${url} is not below ${base}`);
  return url.slice(base.length);
}

const sparse = (list: Bitstring | SparseStatusList): SparseStatusList => (list instanceof Bitstring ? sparseOf(list) : list);

export async function buildStatusPatch(input: StatusPatchInput): Promise<StatusPatchPayload> {
  const lists: StatusPatchChangeJson[] = [];
  for (const c of input.changed) {
    const indices = Uint32Array.from(Array.from(c.indices).sort((a, b) => a - b));
    const after = sparse(c.after);
    lists.push({
      list: relative(input.base, c.url),
      from: c.from,
      to: c.to,
      count: indices.length,
      changes: base64url(encodeIndices(indices, after.size)),
      digest: await sparseDigest(after),
      ...(after.reasons === undefined ? {} : { reasons: base64url(packReasonCodes(reasonsOfSet(after, indices))), reasonsDigest: await reasonsDigest(after.reasons) }),
    });
  }
  const current: StatusPatchCurrentJson[] = [];
  for (const u of input.unchanged) {
    current.push({
      list: relative(input.base, u.url),
      version: u.version,
      ...(u.list === undefined ? {} : { digest: await sparseDigest(u.list) }),
      ...(u.list?.reasons === undefined ? {} : { reasonsDigest: await reasonsDigest(u.list.reasons) }),
    });
  }
  return {
    version: 1,
    issuer: input.issuer,
    base: input.base,
    iat: Math.floor(input.issuedAt.getTime() / 1000),
    ...(input.tail ? { tail: true as const } : {}),
    lists,
    current,
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
const isDigest = (value: unknown) => typeof value === 'string' && fromBase64url(value)?.length === 32;

/** Decodes a patch JWS strictly and checks its payload's shape (not its signature: the caller picks the key by issuer). */
export function decodeStatusPatch(jws: unknown): { decoded: DecodedJws; patch: StatusPatch } {
  const decoded = decodeJws(jws, STATUS_PATCH_POLICY);
  return { decoded, patch: readStatusPatchPayload(decoded.payload) };
}

/** The shape checks of `decodeStatusPatch` on an already decoded payload. Throws ERR_STATUS_PATCH_MALFORMED. */
export function readStatusPatchPayload(p: Record<string, unknown>): StatusPatch {
  if (p.version !== 1) throw malformed('version must be 1', 'version');
  if (typeof p.issuer !== 'string' || p.issuer.length === 0) throw malformed('issuer must be a DID', 'issuer');
  if (typeof p.base !== 'string' || !/^https?:\/\//.test(p.base)) throw malformed('base must be an http(s) URL prefix', 'base');
  if (!version(p.iat)) throw malformed('iat must be seconds since the epoch', 'iat');
  if (p.tail !== undefined && p.tail !== true) throw malformed('tail must be true when present', 'tail');
  if (!Array.isArray(p.lists) || !Array.isArray(p.current) || p.lists.length + p.current.length > MAX_LISTS) throw malformed('lists and current must be arrays', 'lists');
  const base = p.base;
  const changes = new Map<string, StatusPatchChange>();
  for (const [i, c] of p.lists.entries()) {
    const field = `lists[${i}]`;
    if (!isRecord(c) || typeof c.list !== 'string' || c.list.length === 0) throw malformed(`${field}.list must be a relative URL`, field);
    if (!version(c.from) || !version(c.to) || (c.to as number) <= (c.from as number)) throw malformed(`${field}: to must be a version above from`, field);
    if (!version(c.count) || typeof c.changes !== 'string' || !isDigest(c.digest)) throw malformed(`${field}: count, changes and digest are required`, field);
    const bytes = fromBase64url(c.changes);
    const indices = bytes && decodeIndicesInto(bytes, c.count as number, MAX_INDEX);
    if (!indices) throw malformed(`${field}.changes is not a valid index coding`, field);
    if ((c.reasons === undefined) !== (c.reasonsDigest === undefined)) throw malformed(`${field}: reasons and reasonsDigest go together`, field);
    const reasons = c.reasons === undefined ? undefined : typeof c.reasons === 'string' ? fromBase64url(c.reasons) : undefined;
    if (c.reasons !== undefined && (reasons === undefined || !isDigest(c.reasonsDigest))) throw malformed(`${field}: reasons must be base64url, reasonsDigest a SHA-256`, field);
    const url = base + c.list;
    if (changes.has(url)) throw malformed(`${field}: ${url} appears twice`, field);
    changes.set(url, {
      from: c.from as number,
      to: c.to as number,
      indices,
      digest: c.digest as string,
      ...(reasons === undefined ? {} : { reasons, reasonsDigest: c.reasonsDigest as string }),
    });
  }
  const current = new Map<string, StatusPatchCurrent>();
  for (const [i, c] of p.current.entries()) {
    const field = `current[${i}]`;
    if (!isRecord(c) || typeof c.list !== 'string' || c.list.length === 0 || !version(c.version)) throw malformed(`${field} must be { list, version }`, field);
    if ((c.digest !== undefined && !isDigest(c.digest)) || (c.reasonsDigest !== undefined && (!isDigest(c.reasonsDigest) || c.digest === undefined))) {
      throw malformed(`${field}: digest and reasonsDigest must be SHA-256 values (reasonsDigest only with digest)`, field);
    }
    const url = base + c.list;
    if (changes.has(url) || current.has(url)) throw malformed(`${field}: ${url} appears twice`, field);
    current.set(url, {
      version: c.version as number,
      ...(c.digest === undefined ? {} : { digest: c.digest as string }),
      ...(c.reasonsDigest === undefined ? {} : { reasonsDigest: c.reasonsDigest as string }),
    });
  }
  return { issuerId: p.issuer, issuedAt: (p.iat as number) * 1000, tail: p.tail === true, changes, current };
}

/**
 * Applies one change to a copy of a list at version `from`: flips the named bits and checks the
 * result against the signed digest. Throws ERR_STATUS_PATCH_MISMATCH (an index beyond the list, or a
 * digest that differs: the copy was not the version the patch starts from).
 */
export function applyStatusChange(bits: Bitstring, change: { indices: ArrayLike<number>; digest: string }): Bitstring {
  const next = new Bitstring(bits.bytes.slice());
  for (let i = 0; i < change.indices.length; i++) {
    const index = change.indices[i]!;
    if (index >= next.length) throw new ElicenceError('ERR_STATUS_PATCH_MISMATCH', `index ${index} is beyond the list's ${next.length} entries`);
    next.set(index, !next.get(index));
  }
  if (bitstringDigest(next) !== change.digest) throw new ElicenceError('ERR_STATUS_PATCH_MISMATCH', 'the patched list does not have the digest the patch names');
  return next;
}

/**
 * The same on a sparse copy, with reasons: the result's bits must have the signed digest (else
 * ERR_STATUS_PATCH_MISMATCH); its reasons are kept only when the copy had them, the change carries
 * the new ones and the result matches `reasonsDigest` (reasons never decide a verdict, so a mismatch
 * there only drops them).
 */
export async function applyStatusChangeSparse(list: SparseStatusList, change: StatusPatchChange): Promise<SparseStatusList> {
  let added: Uint8Array | undefined;
  if (list.reasons !== undefined && change.reasons !== undefined) {
    let newlySet = 0;
    for (let i = 0; i < change.indices.length; i++) if (!isSet(list, change.indices[i]!)) newlySet++;
    added = unpackReasonCodes(change.reasons, newlySet);
  }
  const next = flipIndices(list, change.indices, added);
  if ((await sparseDigest(next)) !== change.digest) throw new ElicenceError('ERR_STATUS_PATCH_MISMATCH', 'the patched list does not have the digest the patch names');
  if (next.reasons !== undefined && (change.reasonsDigest === undefined || (await reasonsDigest(next.reasons)) !== change.reasonsDigest)) {
    return { size: next.size, set: next.set };
  }
  return next;
}
