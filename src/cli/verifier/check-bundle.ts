/**
 * What `sync` does to a fetched (or merged) bundle before writing it: every piece is verified on its
 * own, with the core functions the offline verifier uses.
 *
 * - Trust lists: signed by a pinned anchor key, or by a key a directly pinned list federates (same
 *   anchor id, key valid at its issuedAt); shape checked.
 * - Status lists: signed by a key that an accepted trust list gives their issuer, valid when signed;
 *   signed `id` equal to the entry's `url`; shape checked.
 *
 * Policy (docs/verifier.md §sync): a piece that fails any of this (forged, malformed, signed by a
 * key nothing pinned vouches for) makes the WHOLE bundle refused (ERR_BUNDLE_REFUSED): nothing is
 * written and the previous file stays, because a bundle that carries one forgery came through a
 * channel that cannot be relied on. So is a trust list older than the sequence already seen (a
 * rollback). Genuine pieces superseded by newer ones (older sequence, older copy of the same status
 * list) are dropped with a note; genuine but expired pieces are kept with a warning (the verifier
 * decides, with its grace period).
 */
import type { BundleStatusList, BundleTrustList, VerifierBundle } from '../../core/bundle.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../../core/credential.js';
import { ElicenceError } from '../../core/errors.js';
import { decodeJws, verifyJwsSignature, type JwsPolicy } from '../../core/jws-verify.js';
import { parseStatusListCredential } from '../../core/status-list.js';
import {
  acceptIssuer,
  anchorKeyMap,
  checkTrustListTimes,
  decodeTrustList,
  findFederationKey,
  keyValidAt,
  openTrustList,
  type AnchorKeys,
  type OpenedTrustList,
  type VerifiedTrustList,
} from '../../core/trust-list.js';

const STATUS_LIST_POLICY: JwsPolicy = { typ: VC_JWT_TYP, cty: VC_JWT_CTY, maxLength: 4 * 1024 * 1024 };

export interface CheckedTrustList {
  anchorId: string;
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  authorities: number;
  vouchedBy?: string;
}

export interface CheckedStatusList {
  url: string;
  issuer: string;
  purpose: string;
  issuedAt: number;
  validUntil?: number;
}

export interface BundleCheck {
  /** The bundle to keep: only verified pieces, newest per anchor / URL. */
  bundle: VerifierBundle;
  trustLists: CheckedTrustList[];
  statusLists: CheckedStatusList[];
  /** Genuine pieces left out because a newer one is kept. */
  dropped: string[];
  /** Genuine pieces kept that a verifier may refuse (expired, issuer not active). */
  warnings: string[];
}

export interface CheckOptions {
  anchors: AnchorKeys;
  now: number;
  /** Highest sequence already seen per anchor (from the state file). */
  minSequences: Readonly<Record<string, number>>;
}

const describe = (error: unknown): string => (error instanceof ElicenceError ? `${error.code}: ${error.message}` : String(error));

function uniqueByJws<T extends { jws: string }>(entries: readonly T[]): T[] {
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.jws) && seen.add(e.jws));
}

interface OpenedPiece {
  entry: BundleTrustList;
  list: OpenedTrustList;
  vouchedBy?: string;
  federation?: VerifiedTrustList['federation'];
}

async function checkTrustLists(entries: readonly BundleTrustList[], options: CheckOptions, problems: string[]): Promise<OpenedPiece[]> {
  const anchors = await anchorKeyMap(options.anchors);
  const direct: OpenedPiece[] = [];
  const pending: Array<{ entry: BundleTrustList; index: number; decoded: ReturnType<typeof decodeTrustList> }> = [];
  for (const [index, entry] of entries.entries()) {
    const label = `trust list ${index + 1}${entry.url ? ` (${entry.url})` : ''}`;
    try {
      const decoded = decodeTrustList(entry.jws);
      const key = anchors.get(decoded.header.kid);
      if (!key) {
        pending.push({ entry, index, decoded });
        continue;
      }
      direct.push({ entry, list: await openTrustList(decoded, key) });
    } catch (error) {
      problems.push(`${label}: ${describe(error)}`);
    }
  }
  const vouching: VerifiedTrustList[] = direct.map((p) => ({ ...p.list, inGrace: false }));
  const federated: OpenedPiece[] = [];
  for (const { entry, index, decoded } of pending) {
    const label = `trust list ${index + 1}${entry.url ? ` (${entry.url})` : ''}`;
    const found = findFederationKey(decoded, vouching);
    if (!found) {
      problems.push(`${label}: signed by key ${decoded.header.kid}, which no pinned anchor holds and no pinned anchor's list federates`);
      continue;
    }
    try {
      const list = await openTrustList(decoded, found.key.jwk);
      if (list.anchorId !== found.entry.id) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `names ${list.anchorId}, but its key belongs to ${found.entry.id}`);
      if (!keyValidAt(found.key, list.issuedAt)) throw new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `federated key ${found.key.kid} was not valid at its issuedAt`);
      federated.push({ entry, list, vouchedBy: found.vouchedBy, federation: { vouchedBy: found.vouchedBy, scope: found.entry.scope } });
    } catch (error) {
      problems.push(`${label}: ${describe(error)}`);
    }
  }
  return [...direct, ...federated];
}

/** Newest piece per key; the others are reported as dropped. */
function newestBy<T>(items: readonly T[], keyOf: (item: T) => string, rank: (item: T) => number, name: (item: T) => string, dropped: string[]): T[] {
  const best = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    const seen = best.get(key);
    if (!seen || rank(item) > rank(seen)) best.set(key, item);
  }
  const kept = new Set(best.values());
  for (const item of items) if (!kept.has(item)) dropped.push(`${name(item)} (superseded by a newer copy)`);
  return items.filter((item) => kept.has(item));
}

export async function checkBundle(input: VerifierBundle, options: CheckOptions): Promise<BundleCheck> {
  const problems: string[] = [];
  const dropped: string[] = [];
  const warnings: string[] = [];

  const opened = await checkTrustLists(uniqueByJws(input.trustLists), options, problems);
  const trust = newestBy(opened, (p) => p.list.anchorId, (p) => p.list.sequence, (p) => `trust list ${p.list.anchorId} #${p.list.sequence}`, dropped);
  const accepted: VerifiedTrustList[] = [];
  for (const piece of trust) {
    const { list } = piece;
    const seen = options.minSequences[list.anchorId];
    if (seen !== undefined && list.sequence < seen) {
      problems.push(`trust list ${list.anchorId} #${list.sequence} is older than #${seen} already seen (ERR_TRUST_LIST_REPLAYED): a rollback`);
      continue;
    }
    let inGrace = false;
    try {
      inGrace = checkTrustListTimes(list, { now: options.now }).inGrace;
      if (inGrace) warnings.push(`trust list ${list.anchorId} #${list.sequence} expired at ${list.payload.expiresAt} (still in its grace period)`);
    } catch (error) {
      warnings.push(`trust list ${list.anchorId} #${list.sequence}: ${describe(error)}`);
    }
    accepted.push({ ...list, inGrace, ...(piece.federation ? { federation: piece.federation } : {}) });
  }

  const statusPieces: Array<{ entry: BundleStatusList; checked: CheckedStatusList }> = [];
  for (const [index, entry] of uniqueByJws(input.statusLists).entries()) {
    const label = `status list ${entry.url}`;
    try {
      const decoded = decodeJws(entry.jws, STATUS_LIST_POLICY);
      const payload = decoded.payload;
      const issuer = typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer as { id?: unknown } | undefined)?.id;
      if (typeof issuer !== 'string') throw new ElicenceError('ERR_STATUS_LIST_MALFORMED', 'no issuer');
      const signedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : Date.parse(String(payload.validFrom));
      const acceptance = acceptIssuer(accepted, { issuerId: issuer, kid: decoded.header.kid, issuedAt: signedAt });
      // A listed key of a suspended or withdrawn issuer (or one outside its window) still proves the
      // piece genuine: keep it, the verifier refuses the issuer itself.
      const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(decoded.header.kid);
      if (!key) throw new ElicenceError(acceptance.ok ? 'ERR_KEY_UNKNOWN' : acceptance.code, `cannot be verified: ${acceptance.ok ? 'no key' : acceptance.message}`);
      await verifyJwsSignature(decoded, key.jwk);
      const list = await parseStatusListCredential(payload);
      if (list.id !== entry.url) throw new ElicenceError('ERR_STATUS_LIST_MALFORMED', `signed id ${list.id} is not the entry's url`);
      if (!acceptance.ok) warnings.push(`${label}: genuine, but ${acceptance.code}: ${acceptance.message}`);
      statusPieces.push({ entry, checked: { url: entry.url, issuer, purpose: list.purpose, issuedAt: list.issuedAt, ...(list.validUntil === undefined ? {} : { validUntil: list.validUntil }) } });
    } catch (error) {
      problems.push(`${label} (entry ${index + 1}): ${describe(error)}`);
    }
  }
  if (problems.length > 0) {
    throw new ElicenceError('ERR_BUNDLE_REFUSED', `bundle refused, nothing written: ${problems.length} piece(s) failed verification:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  const status = newestBy(statusPieces, (p) => p.entry.url, (p) => p.checked.issuedAt, (p) => `status list ${p.entry.url} signed ${new Date(p.checked.issuedAt).toISOString()}`, dropped);
  for (const { checked } of status) {
    if (checked.validUntil !== undefined && options.now > checked.validUntil) warnings.push(`status list ${checked.url} expired at ${new Date(checked.validUntil).toISOString()}`);
  }
  const keptTrust = trust.filter((p) => accepted.some((a) => a.anchorId === p.list.anchorId && a.sequence === p.list.sequence));
  return {
    bundle: { version: 1, generatedAt: input.generatedAt, trustLists: keptTrust.map((p) => p.entry), statusLists: status.map((p) => p.entry) },
    trustLists: keptTrust.map((p) => ({
      anchorId: p.list.anchorId,
      sequence: p.list.sequence,
      issuedAt: p.list.payload.issuedAt,
      expiresAt: p.list.payload.expiresAt,
      authorities: p.list.authorities.size,
      ...(p.vouchedBy === undefined ? {} : { vouchedBy: p.vouchedBy }),
    })),
    statusLists: status.map((p) => p.checked),
    dropped,
    warnings,
  };
}

/** A delta merged into the previous bundle: both sets of pieces, pruned later by checkBundle. */
export function mergeBundles(previous: VerifierBundle, delta: VerifierBundle): VerifierBundle {
  return {
    version: 1,
    generatedAt: delta.generatedAt,
    trustLists: [...previous.trustLists, ...delta.trustLists],
    statusLists: [...previous.statusLists, ...delta.statusLists],
  };
}
