/**
 * Where the app's trusted anchor keys come from (docs/verifier-app.md, "Anchor keys").
 * Either baked into the build (VERIFIER_ANCHORS at build time: fixed, nothing to confirm), or pinned
 * on first sync from the serving deployment's /.well-known/trust-anchor.json after the inspector
 * compares the fingerprints shown with the officially published ones. Pinned keys, and the anchor id
 * they speak for, only ever change by another explicit confirmation; the server can never swap them
 * silently.
 */
import { type AnchorKeys, type JWK, readPinnedAnchors } from '../index.js';
import type { PinnedAnchors } from './storage.js';

declare const __ELICENCE_ANCHORS__: AnchorKeys | null;

/** Anchor keys built into this app, if the build was given any. */
export const BUILT_IN_ANCHORS: AnchorKeys | null = typeof __ELICENCE_ANCHORS__ === 'undefined' ? null : __ELICENCE_ANCHORS__;

export interface OfferedKey {
  jwk: JWK;
  thumbprint: string;
}

export interface Offer {
  /** The anchor id the server says these keys speak for (absent from older deployments). */
  anchorId: string | undefined;
  keys: OfferedKey[];
}

/** The server's anchor id and public keys, with thumbprints computed here; a bad document offers nothing. */
export async function offeredKeys(document: unknown): Promise<Offer> {
  try {
    const [anchor] = (await readPinnedAnchors(document, 'trust-anchor.json')).anchors;
    return { anchorId: anchor?.id, keys: (anchor?.keys ?? []).slice(0, 32).map((jwk) => ({ jwk, thumbprint: String(jwk.kid) })) };
  } catch {
    return { anchorId: undefined, keys: [] };
  }
}

/** What confirming the offer would change: keys not pinned yet, and a new anchor id. */
export function unpinned(offer: Offer, pinned: PinnedAnchors | undefined): Offer {
  const known = new Set(pinned?.thumbprints ?? []);
  const anchorId = offer.anchorId !== undefined && offer.anchorId !== pinned?.anchorId ? offer.anchorId : undefined;
  return { anchorId, keys: offer.keys.filter((k) => !known.has(k.thumbprint)) };
}

export function withAdded(pinned: PinnedAnchors | undefined, offer: Offer, now: number): PinnedAnchors {
  const anchorId = offer.anchorId ?? pinned?.anchorId;
  return {
    keys: [...(pinned?.keys ?? []), ...offer.keys.map((k) => k.jwk)],
    thumbprints: [...(pinned?.thumbprints ?? []), ...offer.keys.map((k) => k.thumbprint)],
    pinnedAt: now,
    ...(anchorId === undefined ? {} : { anchorId }),
  };
}

/** What the verifier library is given: the built-in anchors, or the pinned keys with their anchor id. */
export function anchorsOf(pinned: PinnedAnchors | undefined): AnchorKeys {
  return BUILT_IN_ANCHORS ?? { ...(pinned?.anchorId === undefined ? {} : { anchorId: pinned.anchorId }), keys: pinned?.keys ?? [] };
}

/** The kids of the built-in anchor keys, whatever form the build was given them in (for display). */
export function builtInKids(): string[] {
  if (!BUILT_IN_ANCHORS) return [];
  const groups = Array.isArray(BUILT_IN_ANCHORS) ? BUILT_IN_ANCHORS : [BUILT_IN_ANCHORS];
  return groups.flatMap((g: JWK | { keys?: readonly JWK[] }) => ('keys' in g && Array.isArray(g.keys) ? g.keys : [g as JWK])).map((k) => String(k.kid ?? k.x));
}

/** A thumbprint in groups of four, easier to compare aloud with a published notice. */
export function fingerprintText(thumbprint: string): string {
  return thumbprint.match(/.{1,4}/g)?.join(' ') ?? thumbprint;
}

/** The anchor id of the built-in anchors when there is exactly one with an id (province-only sync). */
export function builtInAnchorId(): string | undefined {
  if (!BUILT_IN_ANCHORS) return undefined;
  const groups = Array.isArray(BUILT_IN_ANCHORS) ? BUILT_IN_ANCHORS : [BUILT_IN_ANCHORS];
  const ids = groups.map((g) => (g as { anchorId?: unknown; id?: unknown }).anchorId ?? (g as { id?: unknown }).id).filter((id): id is string => typeof id === 'string');
  return ids.length === 1 ? ids[0] : undefined;
}
