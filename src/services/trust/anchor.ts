/**
 * The trust-anchor role (docs/trust-anchor.md): a deployment with an anchor signing key keeps a register
 * of issuing authorities and publishes signed trust lists whose sequence only grows. This module is the
 * anchor's identity (which key makes this deployment an anchor, its did:web, names, list lifetime and
 * the keys verifiers pin); beside it: key intake (jwks.ts), the register (register.ts, hosted-keys.ts,
 * register-edits.ts) and the signed lists (publishing.ts).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import { ElicenceError } from '../../core/errors.js';
import { publicJwk } from '../../core/jws-sign.js';
import type { BilingualName } from '../../core/trust-list.js';
import { signingKeys } from '../../db/schema.js';
import { didWebFor } from '../authorities.js';
import { DEV_ANCHOR_ID, DEV_ANCHOR_NAME } from '../dev-setup.js';
import { publishedKeys } from '../keys.js';
import type { AnchorSettings, AppConfig, ServiceDeps } from '../ports.js';

const DAY = 86_400_000;
/** Default lifetime of a trust list; verifiers add their grace period (default one day) after it. */
export const DEFAULT_TRUST_LIST_TTL_MS = 7 * DAY;

export interface Anchor {
  /** Owner id of the anchor's signing keys (`signing_keys.owner_id`). */
  ownerId: string;
  /** The anchor's did:web, the trust list's `id`. */
  id: string;
  name: BilingualName;
  jurisdiction: string | undefined;
  trustListTtlMs: number;
}

function anchorSettings(config: AppConfig): AnchorSettings {
  return config.anchor ?? {};
}

/** This deployment's anchor (the owner of the oldest active anchor key), or undefined if it is none. */
export async function findAnchor(deps: ServiceDeps): Promise<Anchor | undefined> {
  const [key] = await deps.store.db
    .select({ ownerId: signingKeys.ownerId })
    .from(signingKeys)
    .where(and(eq(signingKeys.ownerKind, 'anchor'), eq(signingKeys.status, 'active')))
    .orderBy(asc(signingKeys.createdAt))
    .limit(1);
  if (!key) return undefined;
  const settings = anchorSettings(deps.config);
  return {
    ownerId: key.ownerId,
    id: didWebFor(deps.config.publicUrl, ['anchors', key.ownerId]),
    name: settings.name ?? (key.ownerId === DEV_ANCHOR_ID ? DEV_ANCHOR_NAME : { zh: key.ownerId, en: key.ownerId }),
    jurisdiction: settings.jurisdiction,
    trustListTtlMs: settings.trustListTtlMs ?? DEFAULT_TRUST_LIST_TTL_MS,
  };
}

/** ERR_FORBIDDEN unless this deployment is a trust anchor. */
export async function requireAnchor(deps: ServiceDeps): Promise<Anchor> {
  const anchor = await findAnchor(deps);
  if (!anchor) throw new ElicenceError('ERR_FORBIDDEN', 'this deployment is not a trust anchor (it has no anchor signing key)');
  return anchor;
}

/** The anchor's id and public keys (active and rotated-out, not retired) as a JWKS, for verifiers to pin. */
export async function anchorJwks(deps: ServiceDeps): Promise<{ anchorId: string; keys: JWK[] } | undefined> {
  const anchor = await findAnchor(deps);
  if (!anchor) return undefined;
  const keys = await publishedKeys(deps.store.db, { kind: 'anchor' });
  // `anchorId` binds the keys to this anchor: a verifier counts a list they sign only if it names it.
  return { anchorId: anchor.id, keys: keys.map((k) => ({ ...publicJwk(k.publicJwk), kid: k.kid, alg: k.alg, use: 'sig' })) };
}
