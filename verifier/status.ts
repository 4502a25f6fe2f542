/**
 * Finds and checks the status lists a licence points to. A list counts only when its own JWS verifies
 * with a key of the licence's issuer that was valid when the list was signed, it names the same issuer,
 * its signed `id` is the licence's `statusListCredential` and its purpose matches. The bundle's `url`
 * is only a hint for finding candidates. Decoded lists are memoised by JWS text.
 */
import type { BundleStatusList } from '../src/core/bundle.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../src/core/credential.js';
import { ElicenceError } from '../src/core/errors.js';
import { decodeJws, verifyJwsSignature, type DecodedJws, type JwsPolicy } from '../src/core/jws-verify.js';
import { parseStatusListCredential, type ParsedStatusList, type StatusPurpose } from '../src/core/status-list.js';
import { acceptIssuer, type VerifiedTrustList } from '../src/core/trust-list.js';
import { BoundedMap, keyIdentity, outcomeOf, syncOutcomeOf, type Outcome } from './cache.js';
import type { VerifierCode } from './verdict.js';

const STATUS_LIST_POLICY: JwsPolicy = { typ: VC_JWT_TYP, cty: VC_JWT_CTY, maxLength: 4 * 1024 * 1024 };

export type StatusListLookup =
  | { ok: true; list: ParsedStatusList; fetchedAt: string }
  | { ok: false; code: VerifierCode; message: string };

interface Memo {
  decoded: Outcome<DecodedJws>;
  parsed: Map<string, Promise<Outcome<ParsedStatusList>>>;
}

const memo = new BoundedMap<string, Memo>(1024);

function describe(error: unknown): string {
  return error instanceof ElicenceError ? `${error.code}: ${error.message}` : String(error);
}

async function checkCandidate(
  candidate: BundleStatusList,
  url: string,
  purpose: StatusPurpose,
  issuerId: string,
  lists: readonly VerifiedTrustList[],
): Promise<{ list?: ParsedStatusList; problem?: string }> {
  const entry = memo.getOrSet(candidate.jws, () => ({ decoded: syncOutcomeOf(() => decodeJws(candidate.jws, STATUS_LIST_POLICY)), parsed: new Map() }));
  if (!entry.decoded.ok) return { problem: describe(entry.decoded.error) };
  const decoded = entry.decoded.value;
  const payload = decoded.payload;
  const claimedIssuer = typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer as { id?: unknown } | undefined)?.id;
  if (claimedIssuer !== issuerId) return { problem: `list is issued by ${String(claimedIssuer)}, not ${issuerId}` };
  const iat = typeof payload.iat === 'number' ? payload.iat * 1000 : Date.parse(String(payload.validFrom));
  // The same acceptance rules as the licence, minus the type: the issuer's key, valid when it signed.
  const accepted = acceptIssuer(lists, { issuerId, kid: decoded.header.kid, issuedAt: iat });
  if (!accepted.ok) return { problem: `${accepted.code}: ${accepted.message}` };
  const keyId = keyIdentity(accepted.key.jwk);
  let parsed = entry.parsed.get(keyId);
  if (!parsed) {
    // Signature first, then inflate: nothing unauthenticated is decompressed.
    parsed = outcomeOf(async () => {
      await verifyJwsSignature(decoded, accepted.key.jwk);
      return parseStatusListCredential(payload);
    });
    entry.parsed.set(keyId, parsed);
  }
  const outcome = await parsed;
  if (!outcome.ok) return { problem: describe(outcome.error) };
  const list = outcome.value;
  if (list.id !== url) return { problem: `signed id ${list.id} is not ${url}` };
  if (list.purpose !== purpose) return { problem: `list purpose is ${list.purpose}, not ${purpose}` };
  return { list };
}

/** The newest valid list for `url` among the bundle's entries. */
export async function findStatusList(
  statusLists: readonly BundleStatusList[],
  url: string,
  purpose: StatusPurpose,
  issuerId: string,
  lists: readonly VerifiedTrustList[],
): Promise<StatusListLookup> {
  let best: { list: ParsedStatusList; fetchedAt: string } | undefined;
  const problems: string[] = [];
  for (const candidate of statusLists) {
    if (candidate.url !== url) continue;
    const { list, problem } = await checkCandidate(candidate, url, purpose, issuerId, lists);
    if (list) {
      if (!best || list.issuedAt > best.list.issuedAt) best = { list, fetchedAt: candidate.fetchedAt };
    } else if (problem) problems.push(problem);
  }
  if (best) return { ok: true, ...best };
  if (problems.length === 0) return { ok: false, code: 'ERR_STATUS_LIST_MISSING', message: `the bundle has no ${purpose} list ${url}` };
  return { ok: false, code: 'ERR_STATUS_LIST_INVALID', message: `no usable ${purpose} list ${url}: ${problems.join('; ')}` };
}
