/**
 * The verifier bundle (docs/trust-list.md §Bundle): what `GET /v1/verifier-bundle` returns and an
 * offline verifier keeps. It only carries signed pieces (trust lists, status lists, status reasons,
 * status patches, and compact status copies with the patch that attests them) with the time each was
 * fetched; nothing in it is trusted as a whole, every piece is verified on its own signature.
 *
 * On the wire a piece's JWS may travel unpacked (`jwsParts`: the protected header and the payload as
 * their UTF-8 JSON text, and the signature): the same signed bytes without base64url around JSON that is
 * itself full of base64url, so GZIP sees the JSON. Parsing turns it back into the exact compact JWS.
 */

import { formatDateTime, parseDateTimeMs } from './dates.js';
import { base64url, fromBase64url, fromUtf8, utf8 } from './encoding.js';
import { ElicenceError } from './errors.js';
import { checkStatusCopyShape, type StatusCopyJson } from './status-set.js';
import { isRecord, parseStrictJson } from './strict-json.js';

export const BUNDLE_VERSION = 1;
export const BUNDLE_MEDIA_TYPE = 'application/vnd.elicence.verifier-bundle+json';

export interface BundleTrustList {
  /** Where it was fetched from (informative). */
  url?: string;
  jws: string;
  fetchedAt: string;
}

export interface BundleStatusList {
  /** The list URL, i.e. the licences' `statusListCredential` (checked against the signed `id`). */
  url: string;
  jws: string;
  fetchedAt: string;
}

/** A status reasons document (`status-reasons+jwt`, docs/trust-list.md §Status reasons). */
export interface BundleStatusReasons {
  /** Where it was fetched from (informative: the signed `statusListCredential` says which list it describes). */
  url: string;
  jws: string;
  fetchedAt: string;
}

/** A status patch (`status-patch+jwt`, docs/trust-list.md §Status patches). */
export interface BundleStatusPatch {
  /** Informative. */
  url?: string;
  jws: string;
  fetchedAt: string;
}

/** Compact copies of status lists, each checked against the digest its attesting patch (`jws`) names for it. */
export interface BundleStatusCopies {
  /** The patch whose entries name each list's version and digest. */
  jws: string;
  fetchedAt: string;
  lists: StatusCopyJson[];
}

export interface VerifierBundle {
  version: 1;
  generatedAt: string;
  trustLists: BundleTrustList[];
  statusLists: BundleStatusList[];
  /** Optional: bundles made before reasons documents existed have none, and stay valid. */
  statusReasons?: BundleStatusReasons[];
  /** Optional: status patches (deltas, and provisional patches since the last cut). */
  statusPatches?: BundleStatusPatch[];
  /** Optional: compact status copies grouped by the patch that attests them. */
  statusCopies?: BundleStatusCopies[];
}

const MAX_ENTRIES = 20_000;
const MAX_COPIES_PER_GROUP = 100_000;
const MAX_JWS_LENGTH = 4 * 1024 * 1024;
const MAX_URL_LENGTH = 2048;
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function malformed(message: string, field?: string): ElicenceError {
  return new ElicenceError('ERR_BUNDLE_MALFORMED', message, field === undefined ? {} : { field });
}

const PART = /^[A-Za-z0-9_-]+$/;

/** The compact JWS of an entry: `jws`, or `jwsParts` [header text, payload text, signature] put back together. */
function jwsOf(value: Record<string, unknown>, field: string): string {
  const { jws, jwsParts } = value;
  if (jws !== undefined) {
    if (jwsParts !== undefined) throw malformed(`${field} has both jws and jwsParts`, `${field}.jws`);
    if (typeof jws !== 'string' || jws.length > MAX_JWS_LENGTH || !JWS_SHAPE.test(jws)) throw malformed(`${field}.jws must be a compact JWS`, `${field}.jws`);
    return jws;
  }
  if (!Array.isArray(jwsParts) || jwsParts.length !== 3 || !jwsParts.every((p) => typeof p === 'string')) {
    throw malformed(`${field} needs jws (a compact JWS) or jwsParts (three strings)`, `${field}.jws`);
  }
  const [header, payload, signature] = jwsParts as [string, string, string];
  if (header.length === 0 || header.length > 4096 || !PART.test(signature) || payload.length === 0 || payload.length > MAX_JWS_LENGTH)
    throw malformed(`${field}.jwsParts is malformed`, `${field}.jwsParts`);
  return `${base64url(utf8(header))}.${base64url(utf8(payload))}.${signature}`;
}

function entry(value: unknown, field: string, urlRequired: boolean): { url?: string; jws: string; fetchedAt: string } {
  if (!isRecord(value)) throw malformed(`${field} must be an object`, field);
  const { url, fetchedAt } = value;
  if (url !== undefined || urlRequired) {
    if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) throw malformed(`${field}.url must be a URL`, `${field}.url`);
  }
  const jws = jwsOf(value, field);
  if (parseDateTimeMs(fetchedAt) === undefined) throw malformed(`${field}.fetchedAt must be a dateTime`, `${field}.fetchedAt`);
  return { ...(url === undefined ? {} : { url: url as string }), jws, fetchedAt: fetchedAt as string };
}

function copiesEntry(value: unknown, field: string): BundleStatusCopies {
  const { jws, fetchedAt } = entry(value, field, false);
  const lists = (value as Record<string, unknown>).lists;
  if (!Array.isArray(lists) || lists.length > MAX_COPIES_PER_GROUP) throw malformed(`${field}.lists must be an array of at most ${MAX_COPIES_PER_GROUP}`, `${field}.lists`);
  return { jws, fetchedAt, lists: lists.map((l, i) => checkStatusCopyShape(l, `${field}.lists[${i}]`)) };
}

function entries(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value) || value.length > MAX_ENTRIES) throw malformed(`${field} must be an array of at most ${MAX_ENTRIES}`, field);
  return value;
}

/**
 * Checks a bundle's shape (JSON text, bytes or an already parsed value) and returns a clean copy.
 * Throws ERR_BUNDLE_MALFORMED (or ERR_JSON_DUPLICATE_KEY for text with repeated keys).
 * It does not verify any signature: the verifier does, piece by piece.
 */
export function parseBundle(input: unknown): VerifierBundle {
  let value = input;
  if (input instanceof Uint8Array) {
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch (cause) {
      throw new ElicenceError('ERR_BUNDLE_MALFORMED', 'bundle is not UTF-8', { cause });
    }
  }
  if (typeof value === 'string') value = parseStrictJson(value, 'ERR_BUNDLE_MALFORMED');
  if (!isRecord(value)) throw malformed('bundle must be a JSON object');
  if (value.version !== BUNDLE_VERSION) throw malformed(`version must be ${BUNDLE_VERSION}`, 'version');
  if (parseDateTimeMs(value.generatedAt) === undefined) throw malformed('generatedAt must be a dateTime', 'generatedAt');
  return {
    version: 1,
    generatedAt: value.generatedAt as string,
    trustLists: entries(value.trustLists, 'trustLists').map((e, i) => entry(e, `trustLists[${i}]`, false)),
    statusLists: entries(value.statusLists, 'statusLists').map((e, i) => entry(e, `statusLists[${i}]`, true) as BundleStatusList),
    ...(value.statusReasons === undefined
      ? {}
      : { statusReasons: entries(value.statusReasons, 'statusReasons').map((e, i) => entry(e, `statusReasons[${i}]`, true) as BundleStatusReasons) }),
    ...(value.statusPatches === undefined ? {} : { statusPatches: entries(value.statusPatches, 'statusPatches').map((e, i) => entry(e, `statusPatches[${i}]`, false)) }),
    ...(value.statusCopies === undefined ? {} : { statusCopies: entries(value.statusCopies, 'statusCopies').map((e, i) => copiesEntry(e, `statusCopies[${i}]`)) }),
  };
}

/** Assembles a bundle; `generatedAt` defaults to now. Entries are copied as given (already signed). */
export function buildBundle(parts: {
  trustLists: BundleTrustList[];
  statusLists: BundleStatusList[];
  statusReasons?: BundleStatusReasons[];
  statusPatches?: BundleStatusPatch[];
  statusCopies?: BundleStatusCopies[];
  generatedAt?: Date;
}): VerifierBundle {
  const generatedAt = formatDateTime((parts.generatedAt ?? new Date()).getTime());
  return {
    version: 1,
    generatedAt,
    trustLists: [...parts.trustLists],
    statusLists: [...parts.statusLists],
    ...(parts.statusReasons === undefined ? {} : { statusReasons: [...parts.statusReasons] }),
    ...(parts.statusPatches === undefined ? {} : { statusPatches: [...parts.statusPatches] }),
    ...(parts.statusCopies === undefined ? {} : { statusCopies: [...parts.statusCopies] }),
  };
}

/** The UTF-8 text a base64url part stands for, when it encodes back to exactly that part. */
function partText(part: string): string | undefined {
  const bytes = fromBase64url(part);
  if (!bytes) return undefined;
  try {
    const text = fromUtf8(bytes);
    return base64url(utf8(text)) === part ? text : undefined;
  } catch {
    return undefined;
  }
}

/** `jwsParts` of a compact JWS whose header and payload are UTF-8 text that encodes back to the same bytes; else undefined. */
export function unpackJws(jws: string): [string, string, string] | undefined {
  const [header, payload, signature, extra] = jws.split('.');
  if (header === undefined || payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const headerText = partText(header);
  const payloadText = partText(payload);
  return headerText === undefined || payloadText === undefined ? undefined : [headerText, payloadText, signature];
}

function unpacked<T extends { jws: string }>(entry: T): Omit<T, 'jws'> & ({ jws: string } | { jwsParts: [string, string, string] }) {
  const parts = unpackJws(entry.jws);
  if (!parts) return entry;
  const { jws: _jws, ...rest } = entry;
  return { ...rest, jwsParts: parts };
}

/**
 * The bundle as sent or stored compactly: every JWS unpacked (`jwsParts`) where that is lossless.
 * `parseBundle` of the result gives back the same bundle.
 */
export function packBundle(bundle: VerifierBundle): Record<string, unknown> {
  return {
    version: bundle.version,
    generatedAt: bundle.generatedAt,
    trustLists: bundle.trustLists.map(unpacked),
    statusLists: bundle.statusLists.map(unpacked),
    ...(bundle.statusReasons === undefined ? {} : { statusReasons: bundle.statusReasons.map(unpacked) }),
    ...(bundle.statusPatches === undefined ? {} : { statusPatches: bundle.statusPatches.map(unpacked) }),
    ...(bundle.statusCopies === undefined ? {} : { statusCopies: bundle.statusCopies.map(unpacked) }),
  };
}

/**
 * The packed bundle as JSON text in ASCII only (every other character escaped): how a verifier keeps it
 * in a file. `parseBundle` reads it back; an ASCII text is half the memory of one with a single Chinese
 * character in it, which matters for a nation's bundle.
 */
export function serializeBundle(bundle: VerifierBundle): string {
  return JSON.stringify(packBundle(bundle)).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
