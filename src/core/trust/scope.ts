/**
 * Who may speak for whom (docs/trust-list.md): a federated anchor speaks only inside the namespace
 * and jurisdictions that the vouching anchor signed for it. Entries of its list outside them are set
 * aside, their status and keys included, and reported; an entry from before namespaces existed
 * (no `issuerPrefixes`) vouches for nothing.
 */
import type { FederationScope, OpenedTrustList, TrustedAuthority } from './types.js';

export interface ScopedAuthorities {
  inScope: Map<string, TrustedAuthority>;
  outOfScope: Map<string, TrustedAuthority>;
  notes: string[];
}

export function inNamespace(scope: FederationScope, authority: TrustedAuthority): boolean {
  const prefixes = scope.issuerPrefixes ?? [];
  return prefixes.some((p) => authority.id.startsWith(p)) && scope.jurisdictions.some((j) => authority.jurisdiction.startsWith(j));
}

/** Splits a federated list's authorities by the vouching entry's scope. */
export function scopeAuthorities(list: OpenedTrustList, scope: FederationScope, vouchedBy: string): ScopedAuthorities {
  const inScope = new Map<string, TrustedAuthority>();
  const outOfScope = new Map<string, TrustedAuthority>();
  const notes: string[] = [];
  if (scope.issuerPrefixes === undefined) {
    notes.push(`${vouchedBy}'s federation entry for ${list.anchorId} names no issuerPrefixes: it vouches for no authority (ERR_ISSUER_OUT_OF_SCOPE)`);
  }
  for (const authority of list.authorities.values()) {
    if (inNamespace(scope, authority)) {
      inScope.set(authority.id, authority);
    } else {
      outOfScope.set(authority.id, authority);
      if (scope.issuerPrefixes !== undefined)
        notes.push(`${authority.id} (${authority.jurisdiction}) ignored: outside the scope ${vouchedBy} granted ${list.anchorId} (ERR_ISSUER_OUT_OF_SCOPE)`);
    }
  }
  return { inScope, outOfScope, notes };
}
