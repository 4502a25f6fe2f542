/**
 * The trust step of `POST /credentials/verify`, with the rules of the offline verifier: the issuer is
 * listed and active on a list this deployment accepts, the `kid` is one of its keys and was valid at
 * the credential's `iat`, the licence type is authorised (and inside a federated anchor's scope). The
 * key comes from the trust view only. A federated province's licence gets its status from the peer
 * pieces this deployment stored. A deployment with no trust view at all (not an anchor, no upstream
 * anchor) falls back to its own hosted keys, with a warning.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { JWK } from 'jose';
import { formatDateTime } from '../../core/dates.js';
import type { DecodedJws } from '../../core/jws-verify.js';
import { isRecord } from '../../core/strict-json.js';
import { openStatusList } from '../../core/trust-list.js';
import { authorities, peerPieces, signingKeys } from '../../db/schema.js';
import type { ServiceDeps } from '../ports.js';
import { type DeploymentTrust, deploymentTrustView } from './deployment-view.js';
import { statusPieceKey } from './peer-pieces.js';

export interface TrustProblem {
  code: string;
  message: string;
}

export type CredentialTrust =
  | {
      ok: true;
      /** The key to check the signature with, from the trust view (or the hosted keys, without one). */
      jwk: JWK & { kid: string };
      /** Issued by an authority hosted here (its status is in this deployment's own tables). */
      hosted: boolean;
      trust: DeploymentTrust | undefined;
      /** The checks passed, by name. */
      checks: string[];
      warnings: TrustProblem[];
    }
  | { ok: false; problem: TrustProblem };

function issuerIdOf(payload: Record<string, unknown>): string | undefined {
  const issuer = payload.issuer;
  const id = typeof issuer === 'string' ? issuer : isRecord(issuer) ? issuer.id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** Who vouches for the credential's issuer and key, by the trust rules; the signature is the caller's. */
export async function credentialTrust(deps: ServiceDeps, decoded: DecodedJws): Promise<CredentialTrust> {
  const payload = decoded.payload;
  const issuerId = issuerIdOf(payload);
  if (issuerId === undefined) return { ok: false, problem: { code: 'ERR_INVALID_CREDENTIAL', message: 'the credential names no issuer' } };
  const db = deps.store.db;
  const [hosted] = await db.select().from(authorities).where(eq(authorities.did, issuerId));
  const trust = await deploymentTrustView(deps);
  if (!trust) {
    if (!hosted) return { ok: false, problem: { code: 'ERR_UNKNOWN_ISSUER', message: 'the issuer is not an authority of this service' } };
    const [key] = await db
      .select()
      .from(signingKeys)
      .where(
        and(
          eq(signingKeys.kid, decoded.header.kid),
          eq(signingKeys.ownerKind, 'authority'),
          eq(signingKeys.ownerId, hosted.id),
          inArray(signingKeys.status, ['active', 'published']),
        ),
      );
    if (!key) return { ok: false, problem: { code: 'ERR_UNKNOWN_KEY', message: "the kid is not one of the issuer's published keys" } };
    const warnings = [
      { code: 'WARN_NO_TRUST_LIST', message: 'this deployment has no trust list (it is not an anchor and has no upstream anchor): checked against its own keys only' },
    ];
    return { ok: true, jwk: { ...(JSON.parse(key.publicJwk) as JWK), kid: key.kid }, hosted: true, trust, checks: [], warnings };
  }
  const types = Array.isArray(payload.type) ? payload.type.filter((t): t is string => typeof t === 'string' && t !== 'VerifiableCredential') : [];
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || types.length !== 1) {
    return { ok: false, problem: { code: 'ERR_INVALID_CREDENTIAL', message: 'a licence credential needs iat (seconds) and exactly one licence type' } };
  }
  const acceptance = trust.view.accept({ issuerId, kid: decoded.header.kid, issuedAt: iat * 1000, licenceType: types[0]! });
  if (!acceptance.ok) return { ok: false, problem: { code: acceptance.code, message: acceptance.message } };
  const list = acceptance.list;
  const warnings = list.inGrace ? [{ code: 'WARN_TRUST_LIST_IN_GRACE', message: `the trust list of ${list.anchorId} expired at ${list.payload.expiresAt} (grace period)` }] : [];
  return { ok: true, jwk: acceptance.key.jwk, hosted: hosted !== undefined, trust, checks: ['issuerTrusted'], warnings };
}

/**
 * The status of a licence of a federated province, from the status lists stored from its anchor's
 * bundle: each must open against the trust view, be signed by the issuer and not be past `validUntil`.
 */
export async function federatedStatus(
  deps: ServiceDeps,
  trust: DeploymentTrust,
  payload: Record<string, unknown>,
  now: number,
): Promise<{ checks: string[]; errors: TrustProblem[] }> {
  const issuerId = issuerIdOf(payload) ?? '';
  const entries = Array.isArray(payload.credentialStatus) ? payload.credentialStatus : [payload.credentialStatus];
  const errors: TrustProblem[] = [];
  let checked = 0;
  for (const entry of entries) {
    if (!isRecord(entry) || entry.type !== 'BitstringStatusListEntry') continue;
    const { statusPurpose: purpose, statusListCredential: url, statusListIndex } = entry;
    const index = typeof statusListIndex === 'string' && /^\d{1,9}$/.test(statusListIndex) ? Number(statusListIndex) : Number.NaN;
    if ((purpose !== 'revocation' && purpose !== 'suspension') || typeof url !== 'string' || !Number.isSafeInteger(index)) {
      errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: 'a credentialStatus entry is malformed' });
      continue;
    }
    const [piece] = await deps.store.db
      .select()
      .from(peerPieces)
      .where(eq(peerPieces.key, statusPieceKey(issuerId, url)));
    const opened = piece ? await openStatusList(piece.jws, trust.view) : undefined;
    if (!opened?.ok || !opened.acceptance.ok || opened.list.issuerId !== issuerId || opened.list.id !== url || opened.list.purpose !== purpose) {
      errors.push({ code: 'ERR_STATUS_UNKNOWN', message: `no usable ${purpose} list ${url} has been received from the issuer's anchor` });
      continue;
    }
    if (opened.list.validUntil !== undefined && now > opened.list.validUntil) {
      errors.push({ code: 'ERR_STATUS_UNKNOWN', message: `the ${purpose} list ${url} expired at ${formatDateTime(opened.list.validUntil)}` });
      continue;
    }
    if (index >= opened.list.bits.length) {
      errors.push({ code: 'ERR_INVALID_CREDENTIAL', message: `statusListIndex ${index} is outside the ${purpose} list` });
      continue;
    }
    if (opened.list.bits.get(index))
      errors.push({
        code: purpose === 'revocation' ? 'ERR_REVOKED' : 'ERR_SUSPENDED',
        message: `the licence is ${purpose === 'revocation' ? 'revoked' : 'suspended'} (${purpose} list signed ${formatDateTime(opened.list.issuedAt)})`,
      });
    checked++;
  }
  if (checked === 0 && errors.length === 0) errors.push({ code: 'ERR_STATUS_UNKNOWN', message: 'the credential carries no status entry' });
  return { checks: errors.length === 0 ? ['credentialStatus'] : [], errors };
}
