/**
 * The verifier bundle (docs/trust-list.md §Bundle): what `GET /v1/verifier-bundle` returns and an
 * offline verifier keeps. It only carries signed pieces (trust lists, status lists, status reasons) with the time each
 * was fetched; nothing in it is trusted as a whole, every piece is verified on its own signature.
 */

import { formatDateTime, parseDateTimeMs } from './dates.js';
import { ElicenceError } from './errors.js';
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

export interface VerifierBundle {
  version: 1;
  generatedAt: string;
  trustLists: BundleTrustList[];
  statusLists: BundleStatusList[];
  /** Optional: bundles made before reasons documents existed have none, and stay valid. */
  statusReasons?: BundleStatusReasons[];
}

const MAX_ENTRIES = 20_000;
const MAX_JWS_LENGTH = 4 * 1024 * 1024;
const MAX_URL_LENGTH = 2048;
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function malformed(message: string, field?: string): ElicenceError {
  return new ElicenceError('ERR_BUNDLE_MALFORMED', message, field === undefined ? {} : { field });
}

function entry(value: unknown, field: string, urlRequired: boolean): { url?: string; jws: string; fetchedAt: string } {
  if (!isRecord(value)) throw malformed(`${field} must be an object`, field);
  const { url, jws, fetchedAt } = value;
  if (url !== undefined || urlRequired) {
    if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL_LENGTH) throw malformed(`${field}.url must be a URL`, `${field}.url`);
  }
  if (typeof jws !== 'string' || jws.length > MAX_JWS_LENGTH || !JWS_SHAPE.test(jws)) throw malformed(`${field}.jws must be a compact JWS`, `${field}.jws`);
  if (parseDateTimeMs(fetchedAt) === undefined) throw malformed(`${field}.fetchedAt must be a dateTime`, `${field}.fetchedAt`);
  return { ...(url === undefined ? {} : { url: url as string }), jws, fetchedAt: fetchedAt as string };
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
  };
}

/** Assembles a bundle; `generatedAt` defaults to now. Entries are copied as given (already signed). */
export function buildBundle(parts: { trustLists: BundleTrustList[]; statusLists: BundleStatusList[]; statusReasons?: BundleStatusReasons[]; generatedAt?: Date }): VerifierBundle {
  const generatedAt = formatDateTime((parts.generatedAt ?? new Date()).getTime());
  return {
    version: 1,
    generatedAt,
    trustLists: [...parts.trustLists],
    statusLists: [...parts.statusLists],
    ...(parts.statusReasons === undefined ? {} : { statusReasons: [...parts.statusReasons] }),
  };
}
