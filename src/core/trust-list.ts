/**
 * Trust lists (docs/trust-list.md): a JWS (`typ: "trust-list+jwt"`) signed by a trust anchor, listing
 * issuing authorities with their keys, key validity windows, jurisdictions and licence types, plus
 * federated anchors whose own trust lists are accepted within a scope. One module per concern under
 * `trust/`: the wire types, shape checks, building and signing, opening one list, the acceptance rules,
 * and the trust view of a whole bundle that every verifier uses.
 */

export { type Acceptance, type AcceptanceQuery, type AcceptanceRule, acceptIssuer } from './trust/acceptance.js';
export { type AnchorKeys, type PinnedAnchor, type PinnedAnchors, pinnedAnchors, readPinnedAnchors } from './trust/anchors.js';
export { buildTrustList, signTrustList, type TrustedKeyInput, type TrustListInput } from './trust/build.js';
export { isJurisdictionCode, isJurisdictionPrefix } from './trust/jurisdiction.js';
export { comparableDid, inNamespaceOf, namespacesOverlap, urlOfDidWebIssuer } from './trust/namespace.js';
export {
  checkAnchorBinding,
  checkFederation,
  checkTrustListTimes,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_TRUST_LIST_GRACE_SECONDS,
  decodeTrustList,
  type FederationKey,
  federatedForm,
  findFederationKey,
  keyValidAt,
  openTrustList,
  type TrustListTimeOptions,
  type VerifyTrustListOptions,
  verifyFederatedTrustList,
  verifyTrustList,
} from './trust/open.js';
export { isIssuerPrefix, parseTrustListPayload, prefixesOverlap } from './trust/parse.js';
export { inNamespace, scopeAuthorities } from './trust/scope.js';
export { type OpenedStatusList, openStatusList, STATUS_LIST_POLICY } from './trust/status-lists.js';
export * from './trust/types.js';
export { acceptTrustLists, type TrustPiece, type TrustProblem, type TrustView, type TrustViewOptions } from './trust/view.js';
