/**
 * Trust lists (docs/trust-list.md): a JWS (`typ: "trust-list+jwt"`) signed by a trust anchor, listing
 * issuing authorities with their keys, key validity windows, jurisdictions and licence types, plus
 * federated anchors whose own trust lists are accepted within a scope. One module per concern under
 * `trust/`: the wire types, shape checks, building and signing, opening one list, the acceptance rules,
 * and the trust view of a whole bundle that every verifier uses.
 */
export * from './trust/types.js';
export { isJurisdictionCode, isJurisdictionPrefix } from './trust/jurisdiction.js';
export { isIssuerPrefix, parseTrustListPayload, prefixesOverlap } from './trust/parse.js';
export { buildTrustList, signTrustList, type TrustedKeyInput, type TrustListInput } from './trust/build.js';
export {
  checkAnchorBinding,
  checkFederation,
  federatedForm,
  checkTrustListTimes,
  decodeTrustList,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_TRUST_LIST_GRACE_SECONDS,
  findFederationKey,
  keyValidAt,
  openTrustList,
  verifyFederatedTrustList,
  verifyTrustList,
  type FederationKey,
  type TrustListTimeOptions,
  type VerifyTrustListOptions,
} from './trust/open.js';
export { pinnedAnchors, readPinnedAnchors, type AnchorKeys, type PinnedAnchor, type PinnedAnchors } from './trust/anchors.js';
export { inNamespace, scopeAuthorities } from './trust/scope.js';
export { acceptIssuer, type Acceptance, type AcceptanceQuery, type AcceptanceRule } from './trust/acceptance.js';
export { acceptTrustLists, type TrustPiece, type TrustProblem, type TrustView, type TrustViewOptions } from './trust/view.js';
export { openStatusList, STATUS_LIST_POLICY, type OpenedStatusList } from './trust/status-lists.js';
