/**
 * The service keeps its own promises: a hosted authority issues only licence types its trust register
 * entry authorises, while that entry is active. On an anchor the entry is its own register's; on a
 * deployment under an upstream anchor, the newest accepted list of that anchor. An authority the
 * register (or list) does not name at all, or a deployment with no list yet, issues with a warning
 * in the log: its licences will not verify as trusted until it is listed. Cached per authority for a
 * few seconds (hot-cache.ts), since it is read for every licence issued.
 */
import { ElicenceError } from '../../core/errors.js';
import type { Authority } from '../authorities.js';
import { cached } from '../hot-cache.js';
import type { ServiceDeps } from '../ports.js';
import { findAnchor } from './anchor.js';
import { deploymentTrustView } from './deployment-view.js';
import { findRegistered, ISSUING_POLICY_CACHE_PREFIX } from './register.js';

type Policy =
  | { kind: 'listed'; source: string; status: 'active' | 'suspended' | 'withdrawn'; types: ReadonlySet<string> }
  /** Not named by the register or list (`why` says which), or no list to decide with. */
  | { kind: 'unlisted'; why: string };

async function loadPolicy(deps: ServiceDeps, authority: Authority): Promise<Policy> {
  if (await findAnchor(deps)) {
    const entry = await findRegistered(deps.store.db, authority.did);
    if (!entry) return { kind: 'unlisted', why: `${authority.did} is not in this anchor's trust register` };
    return { kind: 'listed', source: "this anchor's trust register", status: entry.status, types: new Set(entry.licenceTypes) };
  }
  const trust = await deploymentTrustView(deps);
  if (!trust) return { kind: 'unlisted', why: 'this deployment is not an anchor and has no upstream anchor configured' };
  for (const list of trust.view.lists) {
    const entry = list.authorities.get(authority.did);
    if (!entry) continue;
    const scoped = list.federation?.scope.licenceTypes;
    const types = new Set([...entry.licenceTypes].filter((t) => scoped === undefined || scoped.includes(t)));
    return { kind: 'listed', source: `the trust list of ${list.anchorId} #${list.sequence}`, status: entry.status, types };
  }
  if (trust.view.lists.length === 0) return { kind: 'unlisted', why: `no accepted trust list of ${trust.anchorId} has been fetched yet` };
  return { kind: 'unlisted', why: `${authority.did} is not on the trust list of ${trust.anchorId}` };
}

const warned = new Set<string>();

/**
 * ERR_TYPE_NOT_AUTHORISED (403) when the trust register names `authority` but does not authorise
 * `type` for it, or the authority is suspended or withdrawn there.
 */
export async function assertMayIssue(deps: ServiceDeps, authority: Authority, type: string, field = 'type'): Promise<void> {
  const policy = await cached(deps.store.db, `${ISSUING_POLICY_CACHE_PREFIX}${authority.id}`, () => loadPolicy(deps, authority));
  if (!policy) return;
  if (policy.kind === 'unlisted') {
    const key = `${authority.id}|${policy.why}`;
    if (!warned.has(key)) {
      if (warned.size > 1000) warned.clear();
      warned.add(key);
      console.warn(`warning: ${authority.id} issues licences no verifier will trust: ${policy.why}`);
    }
    return;
  }
  if (policy.status !== 'active') {
    throw new ElicenceError('ERR_TYPE_NOT_AUTHORISED', `${authority.did} (${authority.id}) is ${policy.status} on ${policy.source}: it may not issue ${type}`, { field });
  }
  if (!policy.types.has(type)) {
    throw new ElicenceError(
      'ERR_TYPE_NOT_AUTHORISED',
      `${policy.source} does not authorise ${authority.did} (${authority.id}) to issue ${type} (authorised: ${[...policy.types].join(', ') || 'none'})`,
      { field },
    );
  }
}
