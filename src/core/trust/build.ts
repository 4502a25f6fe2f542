/** Building and signing trust lists: the payload is checked by the same rules a verifier applies. */
import type { JWK } from 'jose';
import { formatDateTime, parseDateTimeMs } from '../dates.js';
import { type JwsSigner, jwkThumbprint, publicJwk, signCompact } from '../jws-sign.js';
import { malformed, parseTrustListPayload } from './parse.js';
import { type BilingualName, type FederatedAnchorJson, type IssuingAuthorityJson, TRUST_LIST_TYP, type TrustedKeyJson, type TrustListPayload } from './types.js';

export interface TrustedKeyInput {
  /** Public JWK (a private one is reduced to its public members). */
  jwk: JWK;
  validFrom: Date | string;
  validUntil?: Date | string;
}

export interface TrustListInput {
  anchor: { id: string; name: BilingualName; jurisdiction?: string };
  sequence: number;
  issuedAt: Date;
  expiresAt: Date;
  authorities: Array<Omit<IssuingAuthorityJson, 'keys'> & { keys: TrustedKeyInput[] }>;
  federatedAnchors?: Array<Omit<FederatedAnchorJson, 'keys'> & { keys: TrustedKeyInput[] }>;
}

function asDateTime(value: Date | string): string {
  const ms = typeof value === 'string' ? parseDateTimeMs(value) : value.getTime();
  if (ms === undefined || !Number.isFinite(ms)) throw malformed(`bad date ${String(value)}`);
  return formatDateTime(ms);
}

async function keyJson(input: TrustedKeyInput): Promise<TrustedKeyJson> {
  const jwk = publicJwk(input.jwk);
  const kid = await jwkThumbprint(jwk);
  return {
    jwk: { ...jwk, kid },
    validFrom: asDateTime(input.validFrom),
    ...(input.validUntil === undefined ? {} : { validUntil: asDateTime(input.validUntil) }),
  };
}

/** The unsigned trust list payload, checked by the same rules a verifier applies (ERR_TRUST_LIST_MALFORMED). */
export async function buildTrustList(input: TrustListInput): Promise<TrustListPayload> {
  const payload: TrustListPayload = {
    version: 1,
    id: input.anchor.id,
    name: input.anchor.name,
    ...(input.anchor.jurisdiction === undefined ? {} : { jurisdiction: input.anchor.jurisdiction }),
    sequence: input.sequence,
    issuedAt: formatDateTime(input.issuedAt.getTime()),
    expiresAt: formatDateTime(input.expiresAt.getTime()),
    authorities: await Promise.all(
      input.authorities.map(async (a) => ({
        id: a.id,
        name: a.name,
        jurisdiction: a.jurisdiction,
        ...(a.creditCode === undefined ? {} : { creditCode: a.creditCode }),
        status: a.status,
        licenceTypes: [...a.licenceTypes],
        keys: await Promise.all(a.keys.map(keyJson)),
      })),
    ),
    federatedAnchors: await Promise.all(
      (input.federatedAnchors ?? []).map(async (f) => ({
        id: f.id,
        name: f.name,
        keys: await Promise.all(f.keys.map(keyJson)),
        scope: f.scope,
      })),
    ),
  };
  await parseTrustListPayload(payload);
  return payload;
}

export function signTrustList(signer: JwsSigner, payload: TrustListPayload): Promise<string> {
  return signCompact(signer, payload, TRUST_LIST_TYP);
}
