/**
 * Trust list types (docs/trust-list.md): the wire format a trust anchor signs (`*Json`, `TrustListPayload`)
 * and the checked forms the acceptance rules work on (times in epoch ms, keys by kid).
 */
import type { JWK } from 'jose';
import type { JwsPolicy } from '../jws-verify.js';

export const TRUST_LIST_TYP = 'trust-list+jwt';
export const TRUST_LIST_VERSION = 1;
export const TRUST_LIST_POLICY: JwsPolicy = { typ: TRUST_LIST_TYP, maxLength: 4 * 1024 * 1024 };

export type AuthorityStatus = 'active' | 'suspended' | 'withdrawn';
export interface BilingualName {
  zh: string;
  en: string;
}

/** Wire format of one key: a public JWK whose `kid` is its RFC 7638 thumbprint, and its window. */
export interface TrustedKeyJson {
  jwk: JWK & { kid: string };
  validFrom: string;
  validUntil?: string;
}

export interface IssuingAuthorityJson {
  /** The authority's did:web: the licences' `issuer.id`. */
  id: string;
  name: BilingualName;
  /** GB/T 2260 six-digit administrative division code. */
  jurisdiction: string;
  /**
   * The authority's unified social credit code (GB 32100), when the anchor lists it: the issuing
   * authority segment of its licences' identifiers (GB/T 36904). Optional; verifiers before it ignore it.
   */
  creditCode?: string;
  status: AuthorityStatus;
  licenceTypes: string[];
  keys: TrustedKeyJson[];
}

export interface FederationScope {
  /**
   * DID prefixes, each ending in `:`, that the federated anchor may speak for (its namespace). An
   * authority entry in its list counts only if its id starts with one of them. Absent in lists from
   * before namespaces: such an entry vouches for nothing.
   */
  issuerPrefixes?: string[];
  /** GB/T 2260 code prefixes (2, 4 or 6 digits) the federated anchor's authorities must fall under. */
  jurisdictions: string[];
  /** Licence types accepted from them; omitted means whatever each authority is listed for. */
  licenceTypes?: string[];
}

export interface FederatedAnchorJson {
  id: string;
  name: BilingualName;
  keys: TrustedKeyJson[];
  scope: FederationScope;
}

export interface TrustListPayload {
  version: 1;
  /** The anchor's identifier (a did:web). */
  id: string;
  name: BilingualName;
  /** The anchor's own GB/T 2260 code, e.g. 330000 for Zhejiang (informative). */
  jurisdiction?: string;
  /** Grows with every list this anchor publishes. */
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  authorities: IssuingAuthorityJson[];
  federatedAnchors: FederatedAnchorJson[];
}

/** A key as the acceptance rules use it (times in epoch ms). */
export interface TrustedKey {
  kid: string;
  jwk: JWK & { kid: string };
  validFrom: number;
  validUntil: number | undefined;
}

export interface TrustedAuthority {
  id: string;
  name: BilingualName;
  jurisdiction: string;
  /** Its unified social credit code, when its anchor lists one. */
  creditCode?: string;
  status: AuthorityStatus;
  licenceTypes: ReadonlySet<string>;
  keys: ReadonlyMap<string, TrustedKey>;
}

export interface FederatedAnchor {
  id: string;
  name: BilingualName;
  keys: ReadonlyMap<string, TrustedKey>;
  scope: FederationScope;
}

/** A signature-checked, shape-checked trust list (time rules not yet applied). */
export interface OpenedTrustList {
  payload: TrustListPayload;
  anchorId: string;
  sequence: number;
  issuedAt: number;
  expiresAt: number;
  authorities: ReadonlyMap<string, TrustedAuthority>;
  federatedAnchors: readonly FederatedAnchor[];
  /** What was left out while reading it, e.g. a key of an algorithm this build does not know. */
  notes: readonly string[];
  /** kid of the key that signed it. */
  signedBy: string;
}

/**
 * A trust list a verifier accepted: direct (signed by a pinned anchor key bound to its id) or
 * federated. A federated list's `authorities` hold only the entries inside the vouching entry's scope;
 * the others are in `outOfScope`, ignored (their status and keys included) and reported.
 */
export interface VerifiedTrustList extends OpenedTrustList {
  /** Present when accepted through another anchor's federation entry. */
  federation?: { vouchedBy: string; scope: FederationScope };
  /** Entries of a federated list outside the vouching scope (empty for a direct list). */
  outOfScope: ReadonlyMap<string, TrustedAuthority>;
  /** True when past `expiresAt` but inside the grace period. */
  inGrace: boolean;
}
