/**
 * Builds the licence credential (W3C VC 2.0) in the fixed member order of docs/credential-format.md,
 * and signs it as `vc+jwt`. Member order matters: it makes the JWS reproducible byte for byte.
 */
import { formatDateTime } from './dates.js';
import { type JwsSigner, signCompact } from './jws-sign.js';

export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
export const VC_JWT_TYP = 'vc+jwt';
export const VC_JWT_CTY = 'vc';
/** `id` of a VC 2.0 EnvelopedVerifiableCredential carrying a vc+jwt: this prefix, then the compact JWS. */
export const VC_JWT_ENVELOPE_PREFIX = 'data:application/vc+jwt,';

export type StatusPurpose = 'revocation' | 'suspension';
export const STATUS_PURPOSES: readonly StatusPurpose[] = ['revocation', 'suspension'];

export interface StatusSlot {
  listUrl: string;
  index: number;
}

export interface LicenceCredentialInput {
  /** UUIDv7 of the licence. */
  id: string;
  type: string;
  issuer: { id: string; name: string };
  validFrom: Date;
  /** Absent: the licence does not expire (有效期：长期), and the credential has no `validUntil`. */
  validUntil?: Date | undefined;
  /** The licence identifier (证照标识, GB/T 36904), a top-level `licenceIdentifier` right after `id`; absent when not given. */
  licenceIdentifier?: string | undefined;
  /** The submitted subject: `creditCode` becomes `id: urn:uscc:<code>`, the rest is copied in order. */
  subject: Record<string, unknown>;
  status: Record<StatusPurpose, StatusSlot>;
  /** When signed (becomes `iat`). */
  issuedAt: Date;
  /** Licence id this one supersedes (amendment). */
  supersedes?: string;
  /** VC 2.0 `name` / `description` of the credential (a string or language values), when the request gave them. */
  name?: unknown;
  description?: unknown;
}

export interface BitstringStatusListEntry {
  type: 'BitstringStatusListEntry';
  statusPurpose: StatusPurpose;
  statusListIndex: string;
  statusListCredential: string;
}

export interface LicenceCredential {
  '@context': string[];
  id: string;
  licenceIdentifier?: string;
  type: [string, string];
  name?: unknown;
  description?: unknown;
  issuer: { id: string; name: string };
  validFrom: string;
  validUntil?: string;
  credentialSubject: { id: string } & Record<string, unknown>;
  credentialStatus: BitstringStatusListEntry[];
  supersedes?: string;
  iat: number;
}

export const credentialIdOf = (licenceId: string): string => `urn:uuid:${licenceId}`;
export const subjectIdOf = (creditCode: string): string => `urn:uscc:${creditCode}`;

export function buildLicenceCredential(input: LicenceCredentialInput): LicenceCredential {
  const { creditCode, ...fields } = input.subject;
  const credential: LicenceCredential = {
    '@context': [VC_CONTEXT_V2],
    id: credentialIdOf(input.id),
    ...(input.licenceIdentifier === undefined ? {} : { licenceIdentifier: input.licenceIdentifier }),
    type: ['VerifiableCredential', input.type],
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.description === undefined ? {} : { description: input.description }),
    issuer: { id: input.issuer.id, name: input.issuer.name },
    validFrom: formatDateTime(input.validFrom.getTime()),
    ...(input.validUntil === undefined ? {} : { validUntil: formatDateTime(input.validUntil.getTime()) }),
    credentialSubject: { id: subjectIdOf(String(creditCode)), ...fields },
    credentialStatus: (['revocation', 'suspension'] as const).map((purpose) => ({
      type: 'BitstringStatusListEntry' as const,
      statusPurpose: purpose,
      statusListIndex: String(input.status[purpose].index),
      statusListCredential: input.status[purpose].listUrl,
    })),
    iat: Math.floor(input.issuedAt.getTime() / 1000),
  };
  if (input.supersedes !== undefined) {
    // Keep `iat` last so the member order stays as documented.
    const { iat, ...rest } = credential;
    return { ...rest, supersedes: credentialIdOf(input.supersedes), iat };
  }
  return credential;
}

export function signLicenceCredential(signer: JwsSigner, credential: LicenceCredential): Promise<string> {
  return signCompact(signer, credential, VC_JWT_TYP, VC_JWT_CTY);
}

/**
 * A credential's subject in the shape an issue request gives it: `creditCode` (from `id: urn:uscc:…`)
 * and every other member as it is. The inverse of the mapping in buildLicenceCredential, so a licence
 * read back can be edited and sent again (amend).
 */
export function issueRequestSubject(credentialSubject: Record<string, unknown>): Record<string, unknown> {
  const { id, ...fields } = credentialSubject;
  const creditCode = typeof id === 'string' && id.startsWith('urn:uscc:') ? id.slice('urn:uscc:'.length) : id;
  return { creditCode, ...fields };
}
