/**
 * The base metadata of a licence (证照基础元数据, GB/T 36903), as a provincial e-licence platform
 * exchanges it: every value read from the signed credential, the type's declarations (its Chinese
 * name, which fields are the number and the holder's name) and the authority, never stored twice.
 * Dates are China dates (docs/credential-format.md §Dates); a licence without expiry ends 长期.
 */
import { issueRequestSubject } from '../core/credential.js';
import { chinaDate, formatDate, lastValidChinaDate, parseDateTimeMs } from '../core/dates.js';
import { fromBase64url, fromUtf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import { licenceIdentifierProblem, parseLicenceIdentifier } from '../core/licence-identifier.js';
import type { LicenceTypeDefinition } from '../core/licence-types.js';
import { isRecord } from '../core/strict-json.js';
import type { Authority } from './authorities.js';
import type { LicenceRow } from './issuance.js';

/** What 有效期截止 says of a licence without expiry. */
export const NO_EXPIRY = '长期';

/**
 * 持证主体代码类型: the kind of code `credentialSubject.id` carries. Every licence type's holder is
 * identified by a unified social credit code (`urn:uscc:`, 001); 111 (resident ID card) is the code
 * of a natural person, whom no licence type of this service identifies yet.
 */
export const HOLDER_CODE_TYPES = [{ prefix: 'urn:uscc:', codeType: '001', name: '统一社会信用代码' }] as const;

export interface LicenceMetadata {
  /** 证照名称: the type's Chinese name. */
  name: string;
  /** 证照类型代码: the catalogue code, as the licence identifier carries it. */
  typeCode: string | null;
  /** 证照编号: the type's number field. */
  number: string | null;
  /** 证照标识. */
  identifier: string | null;
  /** 颁发机构: issuer.name. */
  issuerName: string;
  /** 颁发机构代码: the authority's unified social credit code, as the licence identifier carries it. */
  issuerCode: string | null;
  /** 颁发日期: the China date of iat (YYYY-MM-DD). */
  issueDate: string;
  /** 持证主体: the type's holder-name field. */
  holderName: string | null;
  /** 持证主体代码类型: 001 unified social credit code (111 resident ID card). */
  holderCodeType: string | null;
  /** 持证主体代码: from credentialSubject.id. */
  holderCode: string;
  /** 有效期起始: the China date of validFrom. */
  validFrom: string;
  /** 有效期截止: the China date of the last valid day, or 长期. */
  validTo: string;
}

function credentialOf(jws: string): Record<string, unknown> {
  const bytes = fromBase64url(jws.split('.')[1] ?? '');
  const payload: unknown = bytes && JSON.parse(fromUtf8(bytes));
  if (!isRecord(payload)) throw new ElicenceError('ERR_INTERNAL', 'stored credential is not a JSON object');
  return payload;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** GB/T 36903 base metadata of a stored licence, from its signed credential. */
export function licenceMetadata(row: Pick<LicenceRow, 'jws'>, type: LicenceTypeDefinition | undefined, authority: Pick<Authority, 'creditCode'>): LicenceMetadata {
  const credential = credentialOf(row.jws);
  const credentialSubject = isRecord(credential['credentialSubject']) ? credential['credentialSubject'] : {};
  const subject = issueRequestSubject(credentialSubject);
  const identifier = text(credential['licenceIdentifier']);
  const parts = identifier !== null && licenceIdentifierProblem(identifier) === undefined ? parseLicenceIdentifier(identifier, 'licenceIdentifier') : undefined;
  const issuer = isRecord(credential['issuer']) ? credential['issuer'] : {};
  const subjectId = text(credentialSubject['id']) ?? '';
  const holder = HOLDER_CODE_TYPES.find((t) => subjectId.startsWith(t.prefix));
  const validFrom = parseDateTimeMs(credential['validFrom']);
  // No validUntil member: no expiry.
  const validUntil = credential['validUntil'] === undefined ? null : parseDateTimeMs(credential['validUntil']);
  const iat = credential['iat'];
  if (validFrom === undefined || validUntil === undefined || typeof iat !== 'number') throw new ElicenceError('ERR_INTERNAL', 'stored credential has malformed dates');
  return {
    name: type?.name.zh ?? String((credential['type'] as unknown[] | undefined)?.[1] ?? ''),
    typeCode: parts?.typeCode ?? type?.catalogueCode ?? null,
    number: type?.numberField === undefined ? null : text(subject[type.numberField]),
    identifier,
    issuerName: text(issuer['name']) ?? '',
    issuerCode: parts?.authorityCode ?? authority.creditCode,
    issueDate: formatDate(chinaDate(iat * 1000)),
    holderName: type?.holderNameField === undefined ? null : text(subject[type.holderNameField]),
    holderCodeType: holder?.codeType ?? null,
    holderCode: holder ? subjectId.slice(holder.prefix.length) : subjectId,
    validFrom: formatDate(chinaDate(validFrom)),
    validTo: validUntil === null ? NO_EXPIRY : formatDate(lastValidChinaDate(validUntil)),
  };
}
