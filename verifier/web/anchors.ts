/**
 * Where the app's trusted anchor keys come from (docs/verifier-app.md, "Anchor keys").
 * Either baked into the build (VERIFIER_ANCHORS at build time: fixed, nothing to confirm), or pinned
 * on first sync from the serving deployment's /.well-known/trust-anchor.json after the inspector
 * compares the fingerprints shown with the officially published ones. Pinned keys only ever grow by
 * another explicit confirmation; the server can never swap them silently.
 */
import type { JWK } from 'jose';
import { jwkThumbprint, publicJwk } from '../../src/core/jws-sign.js';
import type { PinnedAnchors } from './storage.js';

declare const __ELICENCE_ANCHORS__: { keys: JWK[] } | null;

/** Anchor keys built into this app, if the build was given any. */
export const BUILT_IN_ANCHORS: { keys: JWK[] } | null = typeof __ELICENCE_ANCHORS__ === 'undefined' ? null : __ELICENCE_ANCHORS__;

export interface OfferedKey {
  jwk: JWK;
  thumbprint: string;
}

/** Public Ed25519 / P-256 keys of a JWKS with their computed thumbprints; anything else is dropped. */
export async function offeredKeys(jwks: unknown): Promise<OfferedKey[]> {
  const raw = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(raw)) return [];
  const out: OfferedKey[] = [];
  for (const candidate of raw.slice(0, 32)) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    const key = candidate as JWK;
    const okp = key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string';
    const ec = key.kty === 'EC' && key.crv === 'P-256' && typeof key.x === 'string' && typeof key.y === 'string';
    if (!okp && !ec) continue;
    try {
      const jwk = publicJwk(key);
      out.push({ jwk, thumbprint: await jwkThumbprint(jwk) });
    } catch {
      // A malformed key is simply not offered.
    }
  }
  return out;
}

/** Keys offered by the server that this device has not pinned yet. */
export function unpinned(offered: OfferedKey[], pinned: PinnedAnchors | undefined): OfferedKey[] {
  const known = new Set(pinned?.thumbprints ?? []);
  return offered.filter((k) => !known.has(k.thumbprint));
}

export function withAdded(pinned: PinnedAnchors | undefined, added: OfferedKey[], now: number): PinnedAnchors {
  return {
    keys: [...(pinned?.keys ?? []), ...added.map((k) => k.jwk)],
    thumbprints: [...(pinned?.thumbprints ?? []), ...added.map((k) => k.thumbprint)],
    pinnedAt: now,
  };
}

/** A thumbprint in groups of four, easier to compare aloud with a published notice. */
export function fingerprintText(thumbprint: string): string {
  return thumbprint.match(/.{1,4}/g)?.join(' ') ?? thumbprint;
}
