/**
 * The acceptance rules a verifier applies to a credential's issuer against the trust lists it
 * accepted (docs/trust-list.md): issuer listed and active, key known and valid at signing time,
 * licence type authorised, each failing with its own code.
 */
import { formatDateTime } from '../dates.js';
import type { ErrorCode } from '../errors.js';
import { keyValidAt } from './open.js';
import type { TrustedAuthority, TrustedKey, VerifiedTrustList } from './types.js';

export interface AcceptanceQuery {
  issuerId: string;
  kid: string;
  /** When the credential was signed (its `iat`), epoch ms. */
  issuedAt: number;
  /** The licence type; omit for the issuer's own status lists (no type rule). */
  licenceType?: string;
}

export type AcceptanceRule = 'issuerListed' | 'keyValid' | 'typeAuthorised';

export type Acceptance =
  | { ok: true; authority: TrustedAuthority; key: TrustedKey; list: VerifiedTrustList }
  | { ok: false; rule: AcceptanceRule; code: ErrorCode; message: string; authority?: TrustedAuthority; list?: VerifiedTrustList };

function typeAllowed(list: VerifiedTrustList, authority: TrustedAuthority, type: string): boolean {
  const scoped = list.federation?.scope.licenceTypes;
  return authority.licenceTypes.has(type) && (scoped === undefined || scoped.includes(type));
}

type Entry = { list: VerifiedTrustList; authority: TrustedAuthority };

/**
 * The entries allowed to speak for `issuerId`: those of directly pinned anchors when any lists it
 * (direct wins: a federated list never changes what a pinned anchor says about its own authorities),
 * else those of federated lists inside their scope. Federated lists only hold in-scope entries.
 */
function speakersFor(lists: readonly VerifiedTrustList[], issuerId: string): Entry[] {
  const direct: Entry[] = [];
  const federated: Entry[] = [];
  for (const list of lists) {
    const authority = list.authorities.get(issuerId);
    if (authority) (list.federation ? federated : direct).push({ list, authority });
  }
  return direct.length > 0 ? direct : federated;
}

/**
 * The acceptance rules, in order, each failing with its own code: issuer listed (ERR_ISSUER_NOT_LISTED,
 * ERR_ISSUER_OUT_OF_SCOPE) and active (ERR_ISSUER_SUSPENDED, ERR_ISSUER_WITHDRAWN); kid one of its keys
 * (ERR_KEY_UNKNOWN) and valid at issue time (ERR_KEY_NOT_VALID_AT_IAT); type authorised
 * (ERR_TYPE_NOT_AUTHORISED). Only the lists allowed to speak for the issuer count (`speakersFor`);
 * when several do, a suspension or withdrawal in any of them wins; otherwise any entry that passes
 * every rule accepts (keys are the union).
 */
export function acceptIssuer(lists: readonly VerifiedTrustList[], query: AcceptanceQuery): Acceptance {
  const entries = speakersFor(lists, query.issuerId);
  if (entries.length === 0) {
    const outside = lists.find((l) => l.outOfScope.has(query.issuerId));
    if (outside) {
      const authority = outside.outOfScope.get(query.issuerId)!;
      return {
        ok: false,
        rule: 'issuerListed',
        code: 'ERR_ISSUER_OUT_OF_SCOPE',
        message: `${query.issuerId} (${authority.jurisdiction}) is listed by ${outside.anchorId} outside the scope ${outside.federation?.vouchedBy ?? 'its voucher'} granted it`,
      };
    }
    return { ok: false, rule: 'issuerListed', code: 'ERR_ISSUER_NOT_LISTED', message: `${query.issuerId} is not on any trusted list` };
  }
  for (const status of ['withdrawn', 'suspended'] as const) {
    const hit = entries.find((e) => e.authority.status === status);
    if (hit) {
      return {
        ok: false,
        rule: 'issuerListed',
        code: status === 'withdrawn' ? 'ERR_ISSUER_WITHDRAWN' : 'ERR_ISSUER_SUSPENDED',
        message: `${query.issuerId} is ${status} on ${hit.list.anchorId}'s list`,
        ...hit,
      };
    }
  }
  const withKid = entries.filter((e) => e.authority.keys.has(query.kid));
  if (withKid.length === 0) {
    return { ok: false, rule: 'keyValid', code: 'ERR_KEY_UNKNOWN', message: `key ${query.kid} is not one of ${query.issuerId}'s keys`, ...entries[0]! };
  }
  const inWindow = withKid.filter((e) => keyValidAt(e.authority.keys.get(query.kid)!, query.issuedAt));
  if (inWindow.length === 0) {
    return { ok: false, rule: 'keyValid', code: 'ERR_KEY_NOT_VALID_AT_IAT', message: `key ${query.kid} was not valid at ${formatDateTime(query.issuedAt)}`, ...withKid[0]! };
  }
  const type = query.licenceType;
  const accepted = type === undefined ? inWindow[0] : inWindow.find((e) => typeAllowed(e.list, e.authority, type));
  if (!accepted) {
    return { ok: false, rule: 'typeAuthorised', code: 'ERR_TYPE_NOT_AUTHORISED', message: `${query.issuerId} may not issue ${String(type)}`, ...inWindow[0]! };
  }
  return { ok: true, authority: accepted.authority, key: accepted.authority.keys.get(query.kid)!, list: accepted.list };
}
