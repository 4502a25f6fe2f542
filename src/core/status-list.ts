/**
 * W3C Bitstring Status List v1.0: the bitstring itself, its `encodedList` form (multibase `u` +
 * base64url of the GZIP, bit 0 = most significant bit of byte 0), the unsigned
 * `BitstringStatusListCredential` payload the issuer signs (vc+jwt, like a licence), and the parser the
 * verifier runs on a signed list's payload. Decoding is bounded: a hard cap on the inflated size.
 */
import type { StatusPurpose } from './credential.js';
import { formatDateTime, parseDateTimeMs } from './dates.js';
import { base64url, fromBase64url, readStreamCapped } from './encoding.js';
import { ElicenceError } from './errors.js';
import { isRecord } from './strict-json.js';

export { STATUS_PURPOSES, type StatusPurpose } from './credential.js';

/** W3C minimum for herd privacy: 131,072 entries (16 KiB). */
export const MIN_STATUS_LIST_ENTRIES = 131_072;
/** Hard cap on an inflated list: 2 MiB, i.e. 16,777,216 entries. */
export const MAX_STATUS_LIST_BYTES = 2 * 1024 * 1024;
/** Longest `encodedList` accepted before inflating (an incompressible 2 MiB list fits). */
const MAX_ENCODED_LENGTH = Math.ceil((MAX_STATUS_LIST_BYTES * 1.01 + 64) / 3) * 4 + 1;

function malformed(message: string, cause?: unknown): ElicenceError {
  return new ElicenceError('ERR_STATUS_LIST_MALFORMED', message, cause === undefined ? {} : { cause });
}

/** A fixed-length bitstring; index 0 is the most significant bit of byte 0. */
export class Bitstring {
  readonly bytes: Uint8Array;

  /** A zeroed list of `entries` bits (a multiple of 8), or a view over existing bytes. */
  constructor(entriesOrBytes: number | Uint8Array = MIN_STATUS_LIST_ENTRIES) {
    if (typeof entriesOrBytes === 'number') {
      if (!Number.isSafeInteger(entriesOrBytes) || entriesOrBytes <= 0 || entriesOrBytes % 8 !== 0) {
        throw new RangeError('a bitstring length must be a positive multiple of 8');
      }
      this.bytes = new Uint8Array(entriesOrBytes / 8);
    } else {
      this.bytes = entriesOrBytes;
    }
  }

  /** Number of entries (bits). */
  get length(): number {
    return this.bytes.length * 8;
  }

  get(index: number): boolean {
    this.checkIndex(index);
    return (this.bytes[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
  }

  set(index: number, value = true): void {
    this.checkIndex(index);
    const mask = 0x80 >>> (index & 7);
    if (value) this.bytes[index >>> 3]! |= mask;
    else this.bytes[index >>> 3]! &= ~mask;
  }

  /** Number of set bits. */
  count(): number {
    let total = 0;
    for (const byte of this.bytes) {
      let b = byte;
      while (b !== 0) {
        b &= b - 1;
        total++;
      }
    }
    return total;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`status list index ${index} is outside 0..${this.length - 1}`);
    }
  }
}

function streamOf(bytes: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes as BufferSource);
      controller.close();
    },
  });
}

/** `encodedList` of a bitstring: `u` + base64url (no padding) of its GZIP (Web CompressionStream). */
export async function encodeStatusList(list: Bitstring | Uint8Array): Promise<string> {
  const bytes = list instanceof Bitstring ? list.bytes : list;
  const gzipped = await readStreamCapped(streamOf(bytes).pipeThrough(new CompressionStream('gzip')), Number.MAX_SAFE_INTEGER);
  return `u${base64url(gzipped!)}`;
}

export interface DecodeStatusListOptions {
  /** Fewest entries accepted (default 131,072). */
  minEntries?: number;
  /** Largest inflated size in bytes (default 2 MiB). */
  maxBytes?: number;
}

/** Decodes an `encodedList`; any defect (prefix, base64url, GZIP, size) is ERR_STATUS_LIST_MALFORMED. */
export async function decodeStatusList(encodedList: unknown, options: DecodeStatusListOptions = {}): Promise<Bitstring> {
  const minEntries = options.minEntries ?? MIN_STATUS_LIST_ENTRIES;
  const maxBytes = options.maxBytes ?? MAX_STATUS_LIST_BYTES;
  if (typeof encodedList !== 'string' || !encodedList.startsWith('u')) throw malformed('encodedList must be a multibase base64url string ("u" prefix)');
  if (encodedList.length > MAX_ENCODED_LENGTH) throw malformed('encodedList is too long');
  const gzipped = fromBase64url(encodedList.slice(1));
  if (gzipped === undefined) throw malformed('encodedList is not canonical base64url');
  if (gzipped.length < 18 || gzipped[0] !== 0x1f || gzipped[1] !== 0x8b) throw malformed('encodedList is not GZIP data');
  let inflated: Uint8Array | undefined;
  try {
    inflated = await readStreamCapped(streamOf(gzipped).pipeThrough(new DecompressionStream('gzip')), maxBytes);
  } catch (cause) {
    throw malformed('encodedList does not inflate', cause);
  }
  if (inflated === undefined) throw malformed(`status list inflates beyond ${maxBytes} bytes`);
  if (inflated.length * 8 < minEntries) throw malformed(`status list has fewer than ${minEntries} entries`);
  return new Bitstring(inflated);
}

export interface StatusListCredential {
  '@context': string[];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: { id: string; name: string };
  validFrom: string;
  validUntil: string;
  credentialSubject: {
    id: string;
    type: 'BitstringStatusList';
    statusPurpose: StatusPurpose;
    encodedList: string;
    ttl: number;
    /** Grows with every change of the list's bits (absent from lists signed before it was added). */
    version?: number;
  };
  iat: number;
}

export interface StatusListCredentialInput {
  /** The list's stable URL, also the licences' `statusListCredential`. */
  url: string;
  issuer: { id: string; name: string };
  purpose: StatusPurpose;
  encodedList: string;
  /** Signing time: becomes `validFrom` and `iat`. */
  issuedAt: Date;
  /** Hard expiry for offline verifiers; keep it well beyond `ttl` (see docs/verifier.md). */
  validUntil: Date;
  /** Caching hint in milliseconds. */
  ttlMs: number;
  /** The list's version: an integer that grows with every change of its bits (signed, for reasons documents to bind to). */
  version?: number;
}

/** The unsigned status list credential; sign it with `signCompact(signer, payload, 'vc+jwt', 'vc')`. */
export function buildStatusListCredential(input: StatusListCredentialInput): StatusListCredential {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: input.url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: { id: input.issuer.id, name: input.issuer.name },
    validFrom: formatDateTime(input.issuedAt.getTime()),
    validUntil: formatDateTime(input.validUntil.getTime()),
    credentialSubject: {
      id: `${input.url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: input.purpose,
      encodedList: input.encodedList,
      ttl: input.ttlMs,
      ...(input.version === undefined ? {} : { version: input.version }),
    },
    iat: Math.floor(input.issuedAt.getTime() / 1000),
  };
}

/** A status list credential whose shape was checked and whose bits were decoded. */
export interface ParsedStatusList {
  id: string;
  issuerId: string;
  purpose: StatusPurpose;
  /** Epoch ms. */
  validFrom: number;
  validUntil: number | undefined;
  ttlMs: number | undefined;
  /** Signing time in epoch ms (`iat`, else `validFrom`). */
  issuedAt: number;
  /** `credentialSubject.version`: grows with every change of the bits; undefined on lists without it. */
  version: number | undefined;
  /** `credentialSubject.encodedList` exactly as signed (a reasons document binds to its SHA-256). */
  encodedList: string;
  bits: Bitstring;
}

/**
 * Checks a status list credential payload (already signature-checked or not: this only reads it)
 * and decodes its bits. Throws ERR_STATUS_LIST_MALFORMED.
 */
export async function parseStatusListCredential(payload: unknown, options: DecodeStatusListOptions = {}): Promise<ParsedStatusList> {
  if (!isRecord(payload)) throw malformed('status list credential must be an object');
  const context = payload['@context'];
  if (!Array.isArray(context) || context[0] !== 'https://www.w3.org/ns/credentials/v2') throw malformed('@context must start with the VC 2.0 context');
  const type = payload.type;
  if (!Array.isArray(type) || !type.includes('VerifiableCredential') || !type.includes('BitstringStatusListCredential')) {
    throw malformed('type must include BitstringStatusListCredential');
  }
  const { id, issuer, credentialSubject: subject } = payload;
  if (typeof id !== 'string' || id.length === 0) throw malformed('id must be the list URL');
  const issuerId = typeof issuer === 'string' ? issuer : isRecord(issuer) ? issuer.id : undefined;
  if (typeof issuerId !== 'string' || issuerId.length === 0) throw malformed('issuer.id is missing');
  const validFrom = parseDateTimeMs(payload.validFrom);
  if (validFrom === undefined) throw malformed('validFrom must be a dateTime');
  const validUntil = payload.validUntil === undefined ? undefined : parseDateTimeMs(payload.validUntil);
  if (payload.validUntil !== undefined && validUntil === undefined) throw malformed('validUntil must be a dateTime');
  if (!isRecord(subject) || subject.type !== 'BitstringStatusList') throw malformed('credentialSubject must be a BitstringStatusList');
  const purpose = subject.statusPurpose;
  if (purpose !== 'revocation' && purpose !== 'suspension') throw malformed('statusPurpose must be revocation or suspension');
  if (subject.statusSize !== undefined && subject.statusSize !== 1) throw malformed('only statusSize 1 is supported');
  const ttl = subject.ttl;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < 0)) throw malformed('ttl must be milliseconds');
  const iat = payload.iat;
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0)) throw malformed('iat must be seconds since the epoch');
  const version = subject.version;
  if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)) throw malformed('version must be a non-negative integer');
  const bits = await decodeStatusList(subject.encodedList, options);
  return {
    id,
    issuerId,
    purpose,
    validFrom,
    validUntil,
    ttlMs: ttl,
    issuedAt: typeof iat === 'number' ? iat * 1000 : validFrom,
    version,
    encodedList: subject.encodedList as string,
    bits,
  };
}
