/**
 * Status reasons (docs/trust-list.md §Status reasons): which legal act ended a licence, readable offline
 * from signed data without touching licences or QR codes.
 *
 * - The reason codes: `penalty` 吊销, `rescinded` 撤销, `deregistered` 注销, `superseded` 已换发, `other`
 *   for a revocation; `suspended` 暂停 for a suspension; `unspecified` when no signed, current reason is
 *   at hand. Today's API values stay accepted as input aliases (`fraud`, `cancelled` -> `rescinded`,
 *   `holder_request` -> `deregistered`).
 * - The reasons document: next to each revocation list the authority publishes a compact JWS
 *   (`typ: "status-reasons+jwt"`, the list's own signing key) carrying the list URL, the list's version,
 *   the SHA-256 of its `encodedList` and a packed 3-bit reason code for each *set* bit of that list, in
 *   index order. W3C verifiers still see the standard revocation bit; this document only says why.
 * - Opening one (`openStatusReasons`) against the status list a verifier already accepted: refused when
 *   signed by a key the caller does not give for the list's issuer, for another issuer, for another
 *   list, or for another version of the list (stale). Every refusal means reason `unspecified`, never
 *   another verdict.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { base64url, fromBase64url, utf8 } from './encoding.js';
import { ElicenceError } from './errors.js';
import { type JwsSigner, signCompact } from './jws-sign.js';
import { decodeJws, type JwsPolicy, type VerifiedJwsHeader, verifyJwsSignature } from './jws-verify.js';
import type { ParsedStatusList } from './status-list.js';

/** Why a licence was revoked: each a different legal act. */
export const REVOCATION_REASONS = ['penalty', 'rescinded', 'deregistered', 'superseded', 'other'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];
/** The one reason code of a suspension. */
export const SUSPENDED_REASON = 'suspended';
/** No signed, current reason is at hand (missing or stale reasons document, or the authority does not say). */
export const UNSPECIFIED_REASON = 'unspecified';
/** Every reason code a person may be shown, stable across the API, the database, the verifier and the docs. */
export const STATUS_REASONS = [...REVOCATION_REASONS, SUSPENDED_REASON, UNSPECIFIED_REASON] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

/** Values the API accepted before the reason codes, still accepted as input and mapped (and stored reasons migrated the same way). */
export const REVOCATION_REASON_ALIASES = { fraud: 'rescinded', cancelled: 'rescinded', holder_request: 'deregistered' } as const satisfies Record<string, RevocationReason>;
export type RevocationReasonAlias = keyof typeof REVOCATION_REASON_ALIASES;
/** What the revoke API takes: the codes (but `superseded`, which only an amendment sets) and the aliases. */
export const REVOCATION_REASON_INPUTS = ['penalty', 'rescinded', 'deregistered', 'other', 'fraud', 'cancelled', 'holder_request'] as const;

/** The reason code of a revocation reason or alias; undefined for anything else. */
export function canonicalRevocationReason(value: unknown): RevocationReason | undefined {
  if (typeof value !== 'string') return undefined;
  if ((REVOCATION_REASONS as readonly string[]).includes(value)) return value as RevocationReason;
  return Object.hasOwn(REVOCATION_REASON_ALIASES, value) ? REVOCATION_REASON_ALIASES[value as RevocationReasonAlias] : undefined;
}

/** 3-bit numbers on the wire. 0: the authority states no reason. 6 and 7 are reserved and read as `unspecified`. */
export const REASON_NUMBERS: Readonly<Record<RevocationReason | typeof UNSPECIFIED_REASON, number>> = {
  unspecified: 0,
  penalty: 1,
  rescinded: 2,
  deregistered: 3,
  superseded: 4,
  other: 5,
};
const REASON_OF_NUMBER: readonly (RevocationReason | typeof UNSPECIFIED_REASON)[] = [
  'unspecified',
  'penalty',
  'rescinded',
  'deregistered',
  'superseded',
  'other',
  'unspecified',
  'unspecified',
];

/** The reason a 3-bit number stands for (6 and 7, reserved, read as `unspecified`). */
export function reasonOfNumber(number: number): RevocationReason | typeof UNSPECIFIED_REASON {
  return REASON_OF_NUMBER[number & 7]!;
}

export const STATUS_REASONS_TYP = 'status-reasons+jwt';
export const STATUS_REASONS_TYPE = 'BitstringStatusReasons';
export const STATUS_REASONS_POLICY: JwsPolicy = { typ: STATUS_REASONS_TYP, maxLength: 8 * 1024 * 1024 };
/** Most entries a document may carry: one per entry of the largest status list (2 MiB of bits). */
const MAX_COUNT = 16_777_216;

/** The payload, members in this order (docs/trust-list.md). */
export interface StatusReasonsPayload {
  type: typeof STATUS_REASONS_TYPE;
  /** The authority's DID: the list's issuer. */
  issuer: string;
  /** The list's URL: its signed `id`, the licences' `statusListCredential`. */
  statusListCredential: string;
  /** The list's signed `credentialSubject.version`. */
  statusListVersion: number;
  /** base64url (no padding) of the SHA-256 of the list's `encodedList` (its UTF-8 text, `u` included). */
  encodedListDigest: string;
  /** Number of set bits in the list = number of reason codes. */
  count: number;
  /** `u` + base64url (no padding) of the 3-bit codes, most significant bit first, zero-padded to a byte. */
  encodedReasons: string;
  /** Signing time, seconds. */
  iat: number;
}

/** base64url SHA-256 of an `encodedList`, as a reasons document carries it. */
export function encodedListDigest(encodedList: string): string {
  return base64url(sha256(utf8(encodedList)));
}

/** Packs reason codes, 3 bits each, most significant bit first, zero-padded to whole bytes. */
export function packReasons(reasons: readonly (RevocationReason | typeof UNSPECIFIED_REASON)[]): Uint8Array {
  const bytes = new Uint8Array(Math.ceil((reasons.length * 3) / 8));
  reasons.forEach((reason, i) => {
    const number = REASON_NUMBERS[reason];
    if (number === undefined) throw new RangeError(`unknown reason ${String(reason)}`);
    for (let b = 0; b < 3; b++) {
      if ((number >> (2 - b)) & 1) {
        const bit = i * 3 + b;
        bytes[bit >>> 3]! |= 0x80 >>> (bit & 7);
      }
    }
  });
  return bytes;
}

function unpackedAt(bytes: Uint8Array, i: number): RevocationReason | typeof UNSPECIFIED_REASON {
  let number = 0;
  for (let b = 0; b < 3; b++) {
    const bit = i * 3 + b;
    number = (number << 1) | ((bytes[bit >>> 3]! >>> (7 - (bit & 7))) & 1);
  }
  return REASON_OF_NUMBER[number]!;
}

export interface StatusReasonsInput {
  /** The authority's DID (the list's issuer). */
  issuer: string;
  /** The list this document describes: its URL, version and `encodedList` exactly as signed. */
  list: { url: string; version: number; encodedList: string };
  /** The reason of every set bit of that list (any order; each index once). */
  entries: readonly { index: number; reason: RevocationReason | typeof UNSPECIFIED_REASON }[];
  /** Signing time (becomes `iat`). */
  issuedAt: Date;
}

/** The unsigned reasons document; sign it with `signStatusReasons` (the list's signing key). */
export function buildStatusReasons(input: StatusReasonsInput): StatusReasonsPayload {
  const entries = [...input.entries].sort((a, b) => a.index - b.index);
  entries.forEach((entry, i) => {
    if (!Number.isSafeInteger(entry.index) || entry.index < 0) throw new RangeError(`bad status list index ${entry.index}`);
    if (i > 0 && entries[i - 1]!.index === entry.index) throw new RangeError(`index ${entry.index} is given twice`);
  });
  if (!Number.isSafeInteger(input.list.version) || input.list.version < 0) throw new RangeError('list version must be a non-negative integer');
  return {
    type: STATUS_REASONS_TYPE,
    issuer: input.issuer,
    statusListCredential: input.list.url,
    statusListVersion: input.list.version,
    encodedListDigest: encodedListDigest(input.list.encodedList),
    count: entries.length,
    encodedReasons: `u${base64url(packReasons(entries.map((e) => e.reason)))}`,
    iat: Math.floor(input.issuedAt.getTime() / 1000),
  };
}

/** Signs a reasons document as `status-reasons+jwt` (no `cty`). */
export function signStatusReasons(signer: JwsSigner, payload: StatusReasonsPayload): Promise<string> {
  return signCompact(signer, payload, STATUS_REASONS_TYP);
}

/** The reasons of one list, opened and bound to it. */
export interface StatusReasons {
  issuer: string;
  statusListCredential: string;
  statusListVersion: number;
  /** Signing time, epoch ms. */
  issuedAt: number;
  count: number;
  /**
   * The reason of `index` in the list: its code when the bit is set (`unspecified` when the authority
   * states none), undefined when the bit is not set (nothing to explain).
   */
  reasonAt(index: number): RevocationReason | typeof UNSPECIFIED_REASON | undefined;
  /** The 3-bit reason number of every set bit, in index order (REASON_NUMBERS). */
  codes(): Uint8Array;
}

export type OpenedStatusReasons = { ok: true; reasons: StatusReasons } | { ok: false; error: ElicenceError };

/** The list a document is opened against: a status list the caller already verified and accepted. */
export type ReasonsListBinding = Pick<ParsedStatusList, 'id' | 'issuerId' | 'purpose' | 'version' | 'encodedList' | 'bits'>;

/**
 * The keys a document may be signed with: those of the list's issuer only. One key, several (matched by
 * `kid`, or by RFC 7638 thumbprint when a key has none), or a function from the header and the signing
 * time (epoch ms) to a key (e.g. the trust view's key of that issuer valid then; see `issuerKeysFromView`).
 */
export type ReasonsKeys = JWK | readonly JWK[] | ((header: VerifiedJwsHeader, signedAt: number) => JWK | undefined);

const malformed = (message: string, field?: string) => new ElicenceError('ERR_STATUS_REASONS_MALFORMED', message, field === undefined ? {} : { field });
const mismatch = (message: string, field: string) => new ElicenceError('ERR_STATUS_REASONS_MISMATCH', message, { field });
const stale = (message: string, field: string) => new ElicenceError('ERR_STATUS_REASONS_STALE', message, { field });

async function resolveKey(keys: ReasonsKeys, header: VerifiedJwsHeader, signedAt: number): Promise<JWK | undefined> {
  if (typeof keys === 'function') return keys(header, signedAt);
  const list: readonly JWK[] = Array.isArray(keys) ? keys : [keys as JWK];
  for (const key of list) {
    const kid = key.kid ?? (await calculateJwkThumbprint(key, 'sha256').catch(() => undefined));
    if (kid === header.kid) return key;
  }
  return undefined;
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Checks the payload's shape; returns it typed and its decoded codes. */
function parsePayload(payload: Record<string, unknown>): { payload: StatusReasonsPayload; packed: Uint8Array } {
  if (payload.type !== STATUS_REASONS_TYPE) throw malformed(`type must be ${STATUS_REASONS_TYPE}`, 'type');
  for (const member of ['issuer', 'statusListCredential', 'encodedListDigest', 'encodedReasons'] as const) {
    if (typeof payload[member] !== 'string' || (payload[member] as string).length === 0) throw malformed(`${member} must be a non-empty string`, member);
  }
  for (const member of ['statusListVersion', 'count', 'iat'] as const) {
    if (!isCount(payload[member])) throw malformed(`${member} must be a non-negative integer`, member);
  }
  const count = payload.count as number;
  if (count > MAX_COUNT) throw malformed(`count must be at most ${MAX_COUNT}`, 'count');
  const encoded = payload.encodedReasons as string;
  const packed = encoded.startsWith('u') ? fromBase64url(encoded.slice(1)) : undefined;
  if (packed === undefined) throw malformed('encodedReasons must be "u" + canonical base64url', 'encodedReasons');
  if (packed.length !== Math.ceil((count * 3) / 8)) throw malformed(`encodedReasons must hold exactly ${count} 3-bit codes`, 'encodedReasons');
  const usedBits = count * 3;
  if (usedBits % 8 !== 0 && (packed[packed.length - 1]! & (0xff >>> (usedBits % 8))) !== 0) throw malformed('encodedReasons padding bits must be zero', 'encodedReasons');
  return { payload: payload as unknown as StatusReasonsPayload, packed };
}

/** Number of set bits before `index` (the position of its code among the document's entries). */
function rank(bytes: Uint8Array, index: number): number {
  let total = 0;
  const whole = index >>> 3;
  for (let i = 0; i < whole; i++) total += POPCOUNT[bytes[i]!]!;
  const rest = index & 7;
  if (rest > 0) total += POPCOUNT[bytes[whole]! & (0xff << (8 - rest)) & 0xff]!;
  return total;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, n) => {
  let c = 0;
  for (let v = n; v !== 0; v &= v - 1) c++;
  return c;
});

/**
 * Opens a reasons document against a status list the caller already verified and accepted (signature,
 * issuer trusted, purpose, URL). Refuses, with the reason for an inspector's log, a document:
 * - not a strict `status-reasons+jwt` JWS, or whose signature does not verify with a key `keys` gives
 *   for the header (another authority's key is not among them): ERR_JWS_*;
 * - malformed: ERR_STATUS_REASONS_MALFORMED;
 * - naming another issuer or another list, or describing a suspension list: ERR_STATUS_REASONS_MISMATCH;
 * - for another version of the list (older or newer), or whose digest or count does not match the
 *   list's bits: ERR_STATUS_REASONS_STALE.
 * Never throws. Any refusal means reason `unspecified` for every index of the list.
 */
export async function openStatusReasons(jws: string, list: ReasonsListBinding, keys: ReasonsKeys): Promise<OpenedStatusReasons> {
  try {
    const decoded = decodeJws(jws, STATUS_REASONS_POLICY);
    const iat = decoded.payload.iat;
    const signedAt = isCount(iat) ? iat * 1000 : Number.NaN;
    const key = await resolveKey(keys, decoded.header, signedAt);
    if (!key) throw new ElicenceError('ERR_JWS_SIGNATURE', `kid ${decoded.header.kid} is not a key of ${list.issuerId}`, { field: 'kid' });
    await verifyJwsSignature(decoded, key);
    const { payload, packed } = parsePayload(decoded.payload);
    if (payload.issuer !== list.issuerId) throw mismatch(`the document is issued by ${payload.issuer}, the list by ${list.issuerId}`, 'issuer');
    if (payload.statusListCredential !== list.id) throw mismatch(`the document describes ${payload.statusListCredential}, not ${list.id}`, 'statusListCredential');
    if (list.purpose !== 'revocation') throw mismatch('reasons describe revocation lists only', 'statusListCredential');
    if (list.version === undefined) throw stale('the list carries no version to bind to', 'statusListVersion');
    if (payload.statusListVersion !== list.version) {
      throw stale(`the document describes version ${payload.statusListVersion} of the list, the list is version ${list.version}`, 'statusListVersion');
    }
    if (payload.encodedListDigest !== encodedListDigest(list.encodedList)) throw stale('the document describes other bits of the list (encodedListDigest)', 'encodedListDigest');
    const setBits = rank(list.bits.bytes, list.bits.length);
    if (payload.count !== setBits) throw stale(`the document holds ${payload.count} reasons, the list has ${setBits} set bits`, 'count');
    const bits = list.bits;
    return {
      ok: true,
      reasons: {
        issuer: payload.issuer,
        statusListCredential: payload.statusListCredential,
        statusListVersion: payload.statusListVersion,
        issuedAt: payload.iat * 1000,
        count: payload.count,
        reasonAt(index: number) {
          if (!Number.isSafeInteger(index) || index < 0 || index >= bits.length || !bits.get(index)) return undefined;
          return unpackedAt(packed, rank(bits.bytes, index));
        },
        codes() {
          const codes = new Uint8Array(payload.count);
          for (let i = 0; i < payload.count; i++) codes[i] = REASON_NUMBERS[unpackedAt(packed, i)];
          return codes;
        },
      },
    };
  } catch (error) {
    return { ok: false, error: error instanceof ElicenceError ? error : new ElicenceError('ERR_STATUS_REASONS_MALFORMED', String(error), { cause: error }) };
  }
}

/**
 * The reason a person is shown for a revoked licence: the opened document's code for its index, else
 * `unspecified` (no document, a refused one, or a bit the document does not cover).
 */
export function revocationReasonOf(opened: OpenedStatusReasons | undefined, index: number): RevocationReason | typeof UNSPECIFIED_REASON {
  return (opened?.ok ? opened.reasons.reasonAt(index) : undefined) ?? UNSPECIFIED_REASON;
}

/** What `issuerKeysFromView` needs of a trust view (src/core/trust/view.ts `TrustView.accept`). */
export interface IssuerKeyAcceptance {
  accept(query: { issuerId: string; kid: string; issuedAt: number }): { ok: true; key: { jwk: JWK } } | { ok: false; authority?: { keys: ReadonlyMap<string, { jwk: JWK }> } };
}

/**
 * Keys for `openStatusReasons` from a trust view: a key the view lists for `issuerId` (valid when the
 * document was signed, or at least listed, as for the list itself). Keys of every other authority are
 * never offered, so a document signed by another authority is refused.
 */
export function issuerKeysFromView(view: IssuerKeyAcceptance, issuerId: string): ReasonsKeys {
  return (header, signedAt) => {
    const acceptance = view.accept({ issuerId, kid: header.kid, issuedAt: signedAt });
    return acceptance.ok ? acceptance.key.jwk : acceptance.authority?.keys.get(header.kid)?.jwk;
  };
}
