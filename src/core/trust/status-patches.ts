/**
 * Opening a status patch (docs/trust-list.md, "Status patches") against a trust view: its JWS must
 * verify with a key the view gives the issuer it names, valid when the patch was signed (`iat`). A
 * patch signed by another authority, even a trusted one, or naming another issuer than its key's, is
 * refused. Decoding and signatures are memoised by JWS text and key, like status lists.
 */
import { ElicenceError } from '../errors.js';
import { type DecodedJws, verifyJwsSignature } from '../jws-verify.js';
import { BoundedMap, keyIdentity, type Outcome, outcomeOf, syncOutcomeOf } from '../memo.js';
import { decodeStatusPatch, type StatusPatch } from '../status-patch.js';
import type { Acceptance } from './acceptance.js';
import type { TrustView } from './view.js';

export type OpenedStatusPatch =
  /** Signed by a key the view lists for its issuer; `acceptance` says whether that issuer is accepted now. */
  { ok: true; patch: StatusPatch; acceptance: Acceptance; kid: string } | { ok: false; error: ElicenceError };

interface Memo {
  decoded: Outcome<{ decoded: DecodedJws; patch: StatusPatch }>;
  verified: Map<string, Promise<Outcome<void>>>;
}

// A national bundle carries one patch per authority (thousands): room for all of them.
const memo = new BoundedMap<string, Memo>(16_384);

function asError(error: unknown): ElicenceError {
  return error instanceof ElicenceError ? error : new ElicenceError('ERR_STATUS_PATCH_MALFORMED', String(error), { cause: error });
}

const NO_PAYLOAD: Record<string, unknown> = {};

/** Decoded once; the payload object itself is dropped (the patch holds what it said), so a nation of patches stays small. */
function memoOf(jws: string): Memo {
  return memo.getOrSet(jws, () => ({
    decoded: syncOutcomeOf(() => {
      const { decoded: full, patch } = decodeStatusPatch(jws);
      return { decoded: { ...full, payload: NO_PAYLOAD }, patch };
    }),
    verified: new Map(),
  }));
}

/** The decoded patch, without checking its signature (to index which lists it names). */
export function peekStatusPatch(jws: string): Outcome<{ decoded: DecodedJws; patch: StatusPatch }> {
  return memoOf(jws).decoded;
}

export async function openStatusPatch(jws: string, view: TrustView): Promise<OpenedStatusPatch> {
  const entry = memoOf(jws);
  if (!entry.decoded.ok) return { ok: false, error: asError(entry.decoded.error) };
  const { decoded, patch } = entry.decoded.value;
  const acceptance = view.accept({ issuerId: patch.issuerId, kid: decoded.header.kid, issuedAt: patch.issuedAt });
  const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(decoded.header.kid);
  if (!key) {
    return {
      ok: false,
      error: new ElicenceError(
        acceptance.ok ? 'ERR_KEY_UNKNOWN' : acceptance.code,
        `status patch of ${patch.issuerId} cannot be verified: ${acceptance.ok ? 'no key' : acceptance.message}`,
      ),
    };
  }
  const id = keyIdentity(key.jwk);
  let verified = entry.verified.get(id);
  if (!verified) {
    verified = outcomeOf(() => verifyJwsSignature(decoded, key.jwk));
    entry.verified.set(id, verified);
  }
  const outcome = await verified;
  return outcome.ok ? { ok: true, patch, acceptance, kid: decoded.header.kid } : { ok: false, error: asError(outcome.error) };
}
