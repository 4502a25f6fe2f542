/**
 * The preset DEFLATE dictionary of QR format EL2 (live presentation): EL1's dictionary, unchanged and
 * first, then the vocabulary that bound copies and agent authorisations add (docs/qr-format.md,
 * section 11). Frozen like EL1's: its length and SHA-256 are pinned by a known-answer test
 * (tests/live-qr.test.ts) and the document. Nearest (last) is what every live credential carries: the
 * bound copy's own status entry, `cnf` and the licence identifier member.
 */
import { utf8 } from '../encoding.js';
import { QR_DICTIONARY_ENTRIES } from './dictionary.js';

export const LIVE_QR_DICTIONARY_ADDITIONS: readonly string[] = Object.freeze([
  // Agent authorisations (授权用证), in the member order of the issue 24 contract.
  '","type":["VerifiableCredential","AgentAuthorisation"],"issuer":{"id":"did:web:',
  '"credentialSubject":{"licence":{"id":"urn:uuid:0',
  '","identifier":"',
  '","type":"BusinessLicence","validUntil":"20',
  '","type":"FoodBusinessLicence","validUntil":"20',
  '"},"company":{"name":"',
  '","creditCode":"91330',
  '"},"agent":{"name":"',
  '","idNumberMasked":"**********',
  '"},"matters":"all"},"credentialStatus":[{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"',
  '"},"matters":["',
  // Bound copies: the licence identifier, the third (own revocation) status entry and the device key.
  '","licenceIdentifier":"',
  '/suspension/1"},{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"',
  '/revocation/1"}],"cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"","y":""}},"iat":17',
]);

export const LIVE_QR_DICTIONARY_ENTRIES: readonly string[] = Object.freeze([...QR_DICTIONARY_ENTRIES, ...LIVE_QR_DICTIONARY_ADDITIONS]);

/** The dictionary bytes (UTF-8 of the entries concatenated); internal, never handed out to be mutated. */
export const LIVE_QR_DICTIONARY: Uint8Array = utf8(LIVE_QR_DICTIONARY_ENTRIES.join(''));

/** A copy of the EL2 dictionary bytes, for tests and other implementations' tooling. */
export function liveQrDictionaryBytes(): Uint8Array {
  return LIVE_QR_DICTIONARY.slice();
}
