/**
 * Opening a status list piece of a bundle against a trust view: the list's own JWS must verify with a
 * key the view gives the issuer it names, valid when the list was signed. The same rules as a licence
 * minus the type. Signature first, then inflate: nothing unauthenticated is decompressed. Results are
 * memoised by JWS text and key.
 */
import { VC_JWT_CTY, VC_JWT_TYP } from '../credential.js';
import { parseDateTimeMs } from '../dates.js';
import { ElicenceError } from '../errors.js';
import { type DecodedJws, decodeJws, type JwsPolicy, verifyJwsSignature } from '../jws-verify.js';
import { BoundedMap, keyIdentity, type Outcome, outcomeOf, syncOutcomeOf } from '../memo.js';
import { type ParsedStatusList, parseStatusListCredential } from '../status-list.js';
import type { Acceptance } from './acceptance.js';
import type { TrustView } from './view.js';

export const STATUS_LIST_POLICY: JwsPolicy = { typ: VC_JWT_TYP, cty: VC_JWT_CTY, maxLength: 4 * 1024 * 1024 };

export type OpenedStatusList =
  /** Signed by a key the view lists for its issuer; `acceptance` says whether that issuer is accepted now. */
  { ok: true; list: ParsedStatusList; acceptance: Acceptance } | { ok: false; error: ElicenceError };

interface Memo {
  decoded: Outcome<DecodedJws>;
  parsed: Map<string, Promise<Outcome<ParsedStatusList>>>;
}

const memo = new BoundedMap<string, Memo>(1024);

function asError(error: unknown): ElicenceError {
  return error instanceof ElicenceError ? error : new ElicenceError('ERR_STATUS_LIST_MALFORMED', String(error), { cause: error });
}

/**
 * Opens `jws` as a status list. A listed key of a suspended or withdrawn issuer (or one outside its
 * window) still proves the piece genuine: it opens, with the failed `acceptance` for the caller to judge.
 */
export async function openStatusList(jws: string, view: TrustView): Promise<OpenedStatusList> {
  const entry = memo.getOrSet(jws, () => ({ decoded: syncOutcomeOf(() => decodeJws(jws, STATUS_LIST_POLICY)), parsed: new Map() }));
  if (!entry.decoded.ok) return { ok: false, error: asError(entry.decoded.error) };
  const decoded = entry.decoded.value;
  const payload = decoded.payload;
  const issuerId = typeof payload.issuer === 'string' ? payload.issuer : (payload.issuer as { id?: unknown } | undefined)?.id;
  if (typeof issuerId !== 'string') return { ok: false, error: new ElicenceError('ERR_STATUS_LIST_MALFORMED', 'the list names no issuer') };
  const signedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : (parseDateTimeMs(payload.validFrom) ?? Number.NaN);
  const acceptance = view.accept({ issuerId, kid: decoded.header.kid, issuedAt: signedAt });
  const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(decoded.header.kid);
  if (!key)
    return { ok: false, error: new ElicenceError(acceptance.ok ? 'ERR_KEY_UNKNOWN' : acceptance.code, `cannot be verified: ${acceptance.ok ? 'no key' : acceptance.message}`) };
  const id = keyIdentity(key.jwk);
  let parsed = entry.parsed.get(id);
  if (!parsed) {
    parsed = outcomeOf(async () => {
      await verifyJwsSignature(decoded, key.jwk);
      return parseStatusListCredential(payload);
    });
    entry.parsed.set(id, parsed);
  }
  const outcome = await parsed;
  return outcome.ok ? { ok: true, list: outcome.value, acceptance } : { ok: false, error: asError(outcome.error) };
}
