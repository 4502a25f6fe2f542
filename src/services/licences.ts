/** Reading licences: one by id, or a filtered, cursor-paginated list, always within one authority. */
import { and, desc, eq, exists, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import { credentialIdOf, issueRequestSubject } from '../core/credential.js';
import { formatTimestamp } from '../core/dates.js';
import { base64url, fromBase64url, fromUtf8, utf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { parseLicenceIdentifier } from '../core/licence-identifier.js';
import { licenceNameBigrams, licences } from '../db/schema.js';
import type { Db } from '../db/store.js';
import type { LicenceRow } from './issuance.js';
import { containsPattern, nameKey, rarestBigrams } from './name-search.js';
import { statusListUrl } from './status-allocation.js';

export type EffectiveStatus = 'active' | 'suspended' | 'revoked' | 'expired';

/** Lifecycle state as a person reads it: a revoked licence stays revoked; otherwise validUntil decides expiry (none: never). */
export function effectiveStatus(row: Pick<LicenceRow, 'status' | 'validUntil'>, now: number): EffectiveStatus {
  if (row.status === 'revoked') return 'revoked';
  if (row.validUntil !== null && row.validUntil <= now) return 'expired';
  return row.status;
}

export interface LicenceView {
  id: string;
  credentialId: string;
  /** The licence identifier (证照标识, GB/T 36904) in the credential; null for a licence issued before identifiers. */
  licenceIdentifier: string | null;
  type: string;
  status: EffectiveStatus;
  statusReason: string | null;
  authorityId: string;
  holder: { creditCode: string; name: string | null };
  /** The licence fields in the issue-request shape (`creditCode`, not `id: urn:uscc:`): GET, edit, amend. */
  subject: Record<string, unknown>;
  validFrom: string;
  /** Null: no expiry (有效期：长期). */
  validUntil: string | null;
  issuedAt: string;
  updatedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  credential: string;
  credentialStatus: { purpose: 'revocation' | 'suspension'; statusListCredential: string; statusListIndex: number }[];
  links: Record<string, string>;
}

export function licenceView(row: LicenceRow, publicUrl: string, now: number): LicenceView {
  const self = `${publicUrl}/v1/licences/${row.id}`;
  return {
    id: row.id,
    credentialId: credentialIdOf(row.id),
    licenceIdentifier: row.licenceIdentifier,
    type: row.type,
    status: effectiveStatus(row, now),
    statusReason: row.statusReason,
    authorityId: row.authorityId,
    holder: { creditCode: row.holderCreditCode, name: row.holderName },
    subject: licenceSubject(row),
    validFrom: formatTimestamp(row.validFrom),
    validUntil: row.validUntil === null ? null : formatTimestamp(row.validUntil),
    issuedAt: formatTimestamp(row.issuedAt),
    updatedAt: formatTimestamp(row.updatedAt),
    supersedes: row.supersedes,
    supersededBy: row.supersededBy,
    credential: row.jws,
    credentialStatus: [
      { purpose: 'revocation', statusListCredential: statusListUrl(publicUrl, row.revocationListId), statusListIndex: row.revocationIndex },
      { purpose: 'suspension', statusListCredential: statusListUrl(publicUrl, row.suspensionListId), statusListIndex: row.suspensionIndex },
    ],
    links: {
      self,
      history: `${self}/history`,
      qrSvg: `${self}/qr.svg`,
      qrPng: `${self}/qr.png`,
      card: `${self}/card`,
    },
  };
}

/** The signed credential's subject of a licence, in the issue-request shape. */
export function licenceSubject(row: Pick<LicenceRow, 'jws'>): Record<string, unknown> {
  const payload = fromBase64url(row.jws.split('.')[1] ?? '');
  const credential = payload && (JSON.parse(fromUtf8(payload)) as { credentialSubject?: Record<string, unknown> });
  if (!credential?.credentialSubject) throw new ElicenceError('ERR_INTERNAL', 'stored credential has no subject');
  return issueRequestSubject(credential.credentialSubject);
}

/** The licence if it exists and belongs to the authority; ERR_NOT_FOUND otherwise (never reveals another authority's). */
export async function requireLicence(db: Db, authorityId: string, id: string): Promise<LicenceRow> {
  const [row] = await db
    .select()
    .from(licences)
    .where(and(eq(licences.id, id), eq(licences.authorityId, authorityId)));
  if (!row) throw new ElicenceError('ERR_NOT_FOUND', `no licence ${id}`, { field: 'id' });
  return row;
}

export interface LicenceFilter {
  type?: string | undefined;
  holder?: string | undefined;
  /** Any part of the holder's name, two characters or more (the bigram index: name-search.ts). */
  name?: string | undefined;
  /** A licence identifier (证照标识), checked (ERR_LICENCE_IDENTIFIER when its check character fails): the one licence carrying it. */
  identifier?: string | undefined;
  status?: EffectiveStatus | undefined;
  issuedFrom?: number | undefined;
  issuedTo?: number | undefined;
  cursor?: string | undefined;
  limit: number;
  /** Restrict to these types (a token scoped to some types). */
  allowedTypes?: ReadonlySet<string> | undefined;
}

const encodeCursor = (id: string) => base64url(utf8(JSON.stringify({ before: id })));

function decodeCursor(cursor: string): string {
  try {
    const bytes = fromBase64url(cursor);
    const parsed = bytes && (JSON.parse(fromUtf8(bytes)) as { before?: unknown });
    if (parsed && typeof parsed.before === 'string' && parsed.before.length <= 64) return parsed.before;
  } catch {
    // fall through to the typed error
  }
  throw new ElicenceError('ERR_BAD_CURSOR', 'cursor is not one this service returned', { field: 'cursor' });
}

/** The filter's conditions on `licences` (all but the cursor and the name). */
function filterConditions(authorityId: string, filter: LicenceFilter, now: number): SQL[] {
  const conditions: SQL[] = [eq(licences.authorityId, authorityId)];
  if (filter.type) conditions.push(eq(licences.type, filter.type));
  if (filter.allowedTypes) conditions.push(inArray(licences.type, [...filter.allowedTypes]));
  if (filter.holder) conditions.push(eq(licences.holderCreditCode, filter.holder));
  if (filter.identifier !== undefined) {
    parseLicenceIdentifier(filter.identifier, 'identifier');
    conditions.push(eq(licences.licenceIdentifier, filter.identifier));
  }
  if (filter.issuedFrom !== undefined) conditions.push(gte(licences.issuedAt, filter.issuedFrom));
  if (filter.issuedTo !== undefined) conditions.push(lte(licences.issuedAt, filter.issuedTo));
  switch (filter.status) {
    case 'revoked':
      conditions.push(eq(licences.status, 'revoked'));
      break;
    case 'expired':
      conditions.push(ne(licences.status, 'revoked'), isNotNull(licences.validUntil), lte(licences.validUntil, now));
      break;
    case 'active':
    case 'suspended':
      // A licence without validUntil never expires (有效期：长期).
      conditions.push(eq(licences.status, filter.status), or(isNull(licences.validUntil), gt(licences.validUntil, now))!);
      break;
    case undefined:
      break;
  }
  return conditions;
}

export const MIN_NAME_QUERY = 2;

/** Newest first (UUIDv7 ids sort by issue time); `nextCursor` is absent on the last page. */
export async function listLicences(db: Db, authorityId: string, filter: LicenceFilter, now: number): Promise<{ items: LicenceRow[]; nextCursor?: string }> {
  const conditions = filterConditions(authorityId, filter, now);
  const before = filter.cursor ? decodeCursor(filter.cursor) : undefined;
  let rows: LicenceRow[];
  if (filter.name !== undefined) {
    const name = filter.name.trim();
    if (Array.from(name).length < MIN_NAME_QUERY) {
      throw new ElicenceError('ERR_VALIDATION', `a name search needs at least ${MIN_NAME_QUERY} characters`, { field: 'name' });
    }
    // Driven by the rarest bigram's postings (newest first), each other bigram checked by its key, then
    // the licence row joined for the filters; LIKE confirms that the characters are adjacent and in order.
    const [driver, ...others] = await rarestBigrams(db, authorityId, name);
    const b0 = alias(licenceNameBigrams, 'b0');
    const bigramConditions = others.map((bigram, i) => {
      const bn = alias(licenceNameBigrams, `b${i + 1}`);
      return exists(
        db
          .select({ one: sql`1` })
          .from(bn)
          .where(and(eq(bn.authorityId, authorityId), eq(bn.bigram, bigram), eq(bn.licenceId, b0.licenceId))),
      );
    });
    const confirm = Array.from(name).length > MIN_NAME_QUERY ? [sql`${licences.holderName} LIKE ${containsPattern(nameKey(name))} ESCAPE '\\'`] : [];
    const found = await db
      .select({ licence: licences })
      .from(b0)
      .crossJoin(licences)
      .where(
        and(
          eq(b0.authorityId, authorityId),
          eq(b0.bigram, driver!),
          ...(before === undefined ? [] : [lt(b0.licenceId, before)]),
          eq(licences.id, b0.licenceId),
          ...bigramConditions,
          ...confirm,
          ...conditions,
        ),
      )
      .orderBy(desc(b0.licenceId))
      .limit(filter.limit + 1);
    rows = found.map((r) => r.licence);
  } else {
    rows = await db
      .select()
      .from(licences)
      .where(and(...conditions, ...(before === undefined ? [] : [lt(licences.id, before)])))
      .orderBy(desc(licences.id))
      .limit(filter.limit + 1);
  }
  if (rows.length <= filter.limit) return { items: rows };
  return { items: rows.slice(0, filter.limit), nextCursor: encodeCursor(rows[filter.limit - 1]!.id) };
}
