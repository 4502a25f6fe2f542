/**
 * Trust lists (`trust_lists`): the register as the next list carries it (hosted authorities' keys
 * re-read), signed with the anchor's key and stored under a sequence that only grows. A list is
 * published on demand, and lazily when one is asked for and there is none yet, the latest is past half
 * its lifetime, or the register no longer matches it.
 */
import { desc, eq } from 'drizzle-orm';
import { formatDateTime } from '../../core/dates.js';
import { fromBase64url, fromUtf8 } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import { publicJwk } from '../../core/jws-sign.js';
import { buildTrustList, type IssuingAuthorityJson, signTrustList, type TrustListPayload } from '../../core/trust-list.js';
import { trustLists, trustRegistry } from '../../db/schema.js';
import { asConstraintViolation, type Db } from '../../db/store.js';
import { type Actor, actorFields, auditStatements, readAuditHead } from '../audit.js';
import { activeSigner } from '../keys.js';
import type { ServiceDeps } from '../ports.js';
import { type Anchor, findAnchor, requireAnchor } from './anchor.js';
import { withHostedKeys } from './hosted-keys.js';
import { federatedAnchorsSection, listPeers } from './peers.js';
import { listRegistry, type RegisteredAuthority } from './register.js';

const SECOND = 1000;
const DAY = 86_400_000;

export interface StoredTrustList {
  seq: number;
  jws: string;
  issuedAt: number;
  expiresAt: number;
}

export async function latestTrustList(db: Db): Promise<StoredTrustList | undefined> {
  const [row] = await db.select().from(trustLists).orderBy(desc(trustLists.seq)).limit(1);
  return row;
}

export async function trustListHistory(db: Db, limit = 100): Promise<StoredTrustList[]> {
  return db.select().from(trustLists).orderBy(desc(trustLists.seq)).limit(limit);
}

/** The payload of a list this deployment signed (no verification: it came from our own table). */
export function trustListPayloadOf(list: StoredTrustList): TrustListPayload {
  const bytes = fromBase64url(list.jws.split('.')[1] ?? '');
  if (!bytes) throw new ElicenceError('ERR_INTERNAL', `stored trust list #${list.seq} is not a compact JWS`);
  return JSON.parse(fromUtf8(bytes)) as TrustListPayload;
}

/** The authorities section exactly as `buildTrustList` writes it (withdrawn keys left out). */
function authoritiesSection(entries: readonly RegisteredAuthority[]): IssuingAuthorityJson[] {
  return entries.map((a) => ({
    id: a.id,
    name: a.name,
    jurisdiction: a.jurisdiction,
    ...(a.creditCode === undefined ? {} : { creditCode: a.creditCode }),
    status: a.status,
    licenceTypes: [...a.licenceTypes],
    keys: a.keys
      .filter((k) => k.status === 'active')
      .map((k) => ({
        jwk: { ...publicJwk(k.jwk), kid: k.jwk.kid },
        validFrom: formatDateTime(k.validFrom),
        ...(k.validUntil === undefined ? {} : { validUntil: formatDateTime(k.validUntil) }),
      })),
  }));
}

/** The register as the next list would carry it: hosted authorities' keys re-read. */
async function plannedRegister(db: Db): Promise<{ entries: RegisteredAuthority[]; changed: RegisteredAuthority[] }> {
  const entries: RegisteredAuthority[] = [];
  const changed: RegisteredAuthority[] = [];
  for (const entry of await listRegistry(db)) {
    const refreshed = await withHostedKeys(db, entry);
    entries.push(refreshed);
    if (JSON.stringify(refreshed.keys) !== JSON.stringify(entry.keys) || refreshed.creditCode !== entry.creditCode) changed.push(refreshed);
  }
  return { entries, changed };
}

export interface PublishOptions {
  /** Lifetime of this list (default: the anchor's setting, 7 days). */
  ttlMs?: number;
  /** Why it was published (audit): "manual", "changed", "ageing", "first". */
  reason?: string;
}

/** Signs and stores the next list. Must run inside `store.exclusive`. */
async function publishLocked(deps: ServiceDeps, anchor: Anchor, actor: Actor, options: PublishOptions): Promise<StoredTrustList> {
  const { store, clock } = deps;
  const ttl = options.ttlMs ?? anchor.trustListTtlMs;
  if (!Number.isSafeInteger(ttl) || ttl < 60 * SECOND || ttl > 366 * DAY) {
    throw new ElicenceError('ERR_VALIDATION', 'a trust list lives between one minute and one year', { field: 'ttlSeconds' });
  }
  const signer = await activeSigner(deps, { kind: 'anchor', id: anchor.ownerId });
  for (let attempt = 0; ; attempt++) {
    const { entries, changed } = await plannedRegister(store.db);
    const latest = await latestTrustList(store.db);
    const seq = (latest?.seq ?? 0) + 1;
    // Never earlier than the previous list: a verifier keeps the highest sequence, but time should agree.
    const issuedAt = Math.max(Math.floor(clock.now() / SECOND) * SECOND, latest ? Math.floor(latest.issuedAt / SECOND) * SECOND : 0);
    const expiresAt = issuedAt + ttl;
    const payload = await buildTrustList({
      anchor: { id: anchor.id, name: anchor.name, ...(anchor.jurisdiction === undefined ? {} : { jurisdiction: anchor.jurisdiction }) },
      sequence: seq,
      issuedAt: new Date(issuedAt),
      expiresAt: new Date(expiresAt),
      authorities: authoritiesSection(entries).map((a) => ({
        ...a,
        keys: a.keys.map((k) => ({ jwk: k.jwk, validFrom: k.validFrom, ...(k.validUntil === undefined ? {} : { validUntil: k.validUntil }) })),
      })),
      federatedAnchors: federatedAnchorsSection(await listPeers(store.db)),
    });
    const jws = await signTrustList(signer, payload);
    const now = clock.now();
    const refreshes = changed.map((entry) =>
      store.db
        .update(trustRegistry)
        .set({ keysJson: JSON.stringify(entry.keys), creditCode: entry.creditCode ?? null, updatedAt: now })
        .where(eq(trustRegistry.id, entry.id)),
    );
    const audit = auditStatements(
      store.db,
      await readAuditHead(store.db),
      [
        {
          action: 'trust.list.published',
          ...actorFields(actor),
          subjectId: anchor.id,
          content: {
            sequence: seq,
            issuedAt: payload.issuedAt,
            expiresAt: payload.expiresAt,
            reason: options.reason ?? 'manual',
            authorities: entries.length,
            signedBy: signer.kid,
          },
        },
      ],
      now,
    );
    try {
      await store.commit([store.db.insert(trustLists).values({ seq, jws, issuedAt, expiresAt }), ...refreshes, ...audit.statements]);
      return { seq, jws, issuedAt, expiresAt };
    } catch (error) {
      // Another process (the CLI beside the server) took this sequence or the audit head: read again.
      if (attempt < 3 && asConstraintViolation(error)?.kind === 'unique') continue;
      throw error;
    }
  }
}

/** Publishes a new trust list now: the register as it stands, with a sequence one above the last. */
export async function publishTrustList(deps: ServiceDeps, actor: Actor, options: PublishOptions = {}): Promise<StoredTrustList> {
  const anchor = await requireAnchor(deps);
  return deps.store.exclusive(() => publishLocked(deps, anchor, actor, options));
}

/** Why the latest list should be replaced, or undefined when it is current. */
async function staleness(deps: ServiceDeps, latest: StoredTrustList | undefined): Promise<string | undefined> {
  if (!latest) return 'first';
  const now = deps.clock.now();
  if (now >= latest.issuedAt + (latest.expiresAt - latest.issuedAt) / 2) return 'ageing';
  const { entries } = await plannedRegister(deps.store.db);
  const payload = trustListPayloadOf(latest);
  const planned = JSON.stringify(authoritiesSection(entries));
  if (planned !== JSON.stringify(payload.authorities)) return 'changed';
  // Peer anchors registered, changed or removed since.
  const federated = JSON.stringify(federatedAnchorsSection(await listPeers(deps.store.db)));
  return federated === JSON.stringify(payload.federatedAnchors ?? []) ? undefined : 'changed';
}

/**
 * The list to serve: the latest one, or a newly published one when there is none yet, the latest is
 * past half its lifetime, or the register (including hosted authorities' keys) no longer matches it.
 * Undefined when this deployment is not an anchor. A development setup's first list, naming its
 * authority, comes from `ensureDevTrustList` (bootstrap.ts), which the callers run before this.
 */
export async function currentTrustList(deps: ServiceDeps): Promise<StoredTrustList | undefined> {
  const anchor = await findAnchor(deps);
  if (!anchor) return undefined;
  const latest = await latestTrustList(deps.store.db);
  if ((await staleness(deps, latest)) === undefined) return latest!;
  return deps.store.exclusive(async () => {
    // Decide again under the lock: a concurrent request may have published meanwhile.
    const again = await latestTrustList(deps.store.db);
    const reason = await staleness(deps, again);
    return reason === undefined ? again! : publishLocked(deps, anchor, 'system', { reason });
  });
}

/** Publishes the first list, unless one exists by the time the lock is held. */
export async function publishFirstTrustList(deps: ServiceDeps, anchor: Anchor, actor: Actor): Promise<void> {
  await deps.store.exclusive(async () => {
    if (!(await latestTrustList(deps.store.db))) await publishLocked(deps, anchor, actor, { reason: 'first' });
  });
}
