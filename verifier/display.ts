/**
 * Display fields of a verified licence with bilingual labels, taken from the built-in licence type
 * definitions (agency-registered types fall back to their field names). The holder is the field a
 * built-in type declares as the holder's name; the licence identifier is checked (its shape, its ISO
 * 7064 check character, its authority segment against the credit code the trust list gives the issuer)
 * and flagged when it does not check out, without changing the verdict: the signature covers it.
 */
import { chinaDate, formatDate, formatDateTime, lastValidChinaDate } from '../src/core/dates.js';
import { licenceIdentifierProblem, parseLicenceIdentifier } from '../src/core/licence-identifier.js';
import { BUILT_IN_LICENCE_TYPES } from '../src/core/licence-types.js';
import type { TrustedAuthority } from '../src/core/trust-list.js';
import type { ParsedLicence } from './licence.js';
import { MESSAGES } from './messages.js';
import type { AuthorisationDisplay, IdentifierFlag, LicenceDisplay, LicenceField } from './verdict.js';

const CREDIT_CODE_LABEL = { zh: MESSAGES.zh.field.creditCode, en: MESSAGES.en.field.creditCode };

/** The identifier as signed, with what is wrong with it (if anything); undefined when the licence has none. */
function identifierDisplay(value: unknown, authority: TrustedAuthority | undefined): LicenceDisplay['identifier'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return { value: JSON.stringify(value) ?? String(value), flag: 'characters' };
  let flag: IdentifierFlag | undefined = licenceIdentifierProblem(value);
  // The issuing authority segment must be the issuer's own credit code, when its anchor lists one.
  if (flag === undefined && authority?.creditCode !== undefined && parseLicenceIdentifier(value, 'licenceIdentifier').authorityCode !== authority.creditCode) flag = 'authority';
  return flag === undefined ? { value } : { value, flag };
}

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
  // The holder's name is the field the type declares; other types' declarations are not known offline.
  const holderKey = definition?.holderNameField;
  const holder = holderKey !== undefined && typeof licence.subject[holderKey] === 'string' ? (licence.subject[holderKey] as string) : undefined;
  const identifier = identifierDisplay(licence.licenceIdentifier, authority);
  return {
    id: licence.id,
    ...(licence.kind === 'boundCopy' ? { bound: true as const } : {}),
    ...(identifier === undefined ? {} : { identifier }),
    type: { code: licence.type, name: definition?.name ?? { zh: licence.type, en: licence.type } },
    holder,
    ...(holder === undefined ? {} : { holderField: holderKey! }),
    creditCode,
    // Every time the verifier shows is in one form: UTC, whole seconds.
    validFrom: formatDateTime(licence.validFrom),
    ...(licence.validUntil === undefined ? {} : { validUntil: formatDateTime(licence.validUntil) }),
    // What people read: China dates, the last valid day inclusive (validUntil is exclusive).
    firstDay: formatDate(chinaDate(licence.validFrom)),
    ...(licence.validUntil === undefined ? {} : { lastDay: formatDate(lastValidChinaDate(licence.validUntil)) }),
    issuedAt: formatDateTime(licence.issuedAt),
    issuer: issuerDisplay(licence, authority),
    ...(licence.supersedes === undefined ? {} : { supersedes: licence.supersedes }),
    fields,
  };
}

function issuerDisplay(licence: ParsedLicence, authority: TrustedAuthority | undefined): LicenceDisplay['issuer'] {
  return { id: licence.issuerId, name: licence.issuerName, ...(authority ? { listedName: authority.name, jurisdiction: authority.jurisdiction } : {}) };
}

/** What an inspector reads of an agent authorisation: the company, its licence, the agent, the matters, the period. */
export function authorisationDisplay(credential: ParsedLicence, authority: TrustedAuthority | undefined): AuthorisationDisplay {
  const { licence, company, agent, matters } = credential.authorisation!;
  const definition = BUILT_IN_LICENCE_TYPES.find((t) => t.code === licence.type);
  const until = credential.validUntil!;
  return {
    id: credential.id,
    company: { ...company },
    licence: {
      id: licence.id,
      identifier: licence.identifier,
      type: { code: licence.type, name: definition?.name ?? { zh: licence.type, en: licence.type } },
      ...(licence.validUntil === undefined ? {} : { validUntil: formatDateTime(licence.validUntil), lastDay: formatDate(lastValidChinaDate(licence.validUntil)) }),
    },
    agent: { ...agent },
    matters: matters === 'all' ? 'all' : [...matters],
    period: {
      validFrom: formatDateTime(credential.validFrom),
      validUntil: formatDateTime(until),
      firstDay: formatDate(chinaDate(credential.validFrom)),
      lastDay: formatDate(lastValidChinaDate(until)),
    },
    issuer: issuerDisplay(credential, authority),
    issuedAt: formatDateTime(credential.issuedAt),
  };
}
