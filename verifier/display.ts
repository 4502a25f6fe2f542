/**
 * Display fields of a verified licence with bilingual labels, taken from the built-in licence type
 * definitions (agency-registered types fall back to their field names).
 */
import { chinaDate, formatDate, formatDateTime, lastValidChinaDate } from '../src/core/dates.js';
import { BUILT_IN_LICENCE_TYPES } from '../src/core/licence-types.js';
import type { TrustedAuthority } from '../src/core/trust-list.js';
import type { ParsedLicence } from './licence.js';
import { MESSAGES } from './messages.js';
import type { LicenceDisplay, LicenceField } from './verdict.js';

const CREDIT_CODE_LABEL = { zh: MESSAGES.zh.field.creditCode, en: MESSAGES.en.field.creditCode };
/** Subject members that name the holder, by licence type convention. */
const HOLDER_FIELDS = ['name', 'operatorName'];

export function licenceDisplay(licence: ParsedLicence, authority: TrustedAuthority | undefined): LicenceDisplay {
  const definition = BUILT_IN_LICENCE_TYPES.find((t) => t.code === licence.type);
  const properties = definition?.schema.properties ?? {};
  const subjectId = typeof licence.subject.id === 'string' ? licence.subject.id : '';
  const creditCode = subjectId.startsWith('urn:uscc:') ? subjectId.slice('urn:uscc:'.length) : undefined;
  const fields: LicenceField[] = [];
  if (creditCode !== undefined) fields.push({ key: 'creditCode', label: CREDIT_CODE_LABEL, value: creditCode });
  for (const [key, value] of Object.entries(licence.subject)) {
    if (key === 'id') continue;
    const property = properties[key];
    const zh = typeof property?.title === 'string' ? property.title : key;
    const en = typeof property?.['x-title-en'] === 'string' ? property['x-title-en'] : key;
    fields.push({ key, label: { zh, en }, value });
  }
  const holderKey = HOLDER_FIELDS.find((k) => typeof licence.subject[k] === 'string');
  return {
    id: licence.id,
    type: { code: licence.type, name: definition?.name ?? { zh: licence.type, en: licence.type } },
    holder: holderKey === undefined ? undefined : (licence.subject[holderKey] as string),
    creditCode,
    // Every time the verifier shows is in one form: UTC, whole seconds.
    validFrom: formatDateTime(licence.validFrom),
    ...(licence.validUntil === undefined ? {} : { validUntil: formatDateTime(licence.validUntil) }),
    // What people read: China dates, the last valid day inclusive (validUntil is exclusive).
    firstDay: formatDate(chinaDate(licence.validFrom)),
    ...(licence.validUntil === undefined ? {} : { lastDay: formatDate(lastValidChinaDate(licence.validUntil)) }),
    issuedAt: formatDateTime(licence.issuedAt),
    issuer: {
      id: licence.issuerId,
      name: licence.issuerName,
      ...(authority ? { listedName: authority.name, jurisdiction: authority.jurisdiction } : {}),
    },
    ...(licence.supersedes === undefined ? {} : { supersedes: licence.supersedes }),
    fields,
  };
}
