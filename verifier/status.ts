/**
 * Finds the status list a licence points to. A list counts only when the core opens it against the
 * trust view (its own JWS verifies with a key of the licence's issuer that was valid when the list was
 * signed, and that issuer is accepted), it names the same issuer, its signed `id` is the licence's
 * `statusListCredential` and its purpose matches. The bundle's `url` is only a hint for finding
 * candidates.
 */
import type { BundleStatusList } from '../src/core/bundle.js';
import type { ParsedStatusList, StatusPurpose } from '../src/core/status-list.js';
import { openStatusList, type TrustView } from '../src/core/trust-list.js';
import type { VerifierCode } from './verdict.js';

export type StatusListLookup = { ok: true; list: ParsedStatusList; fetchedAt: string } | { ok: false; code: VerifierCode; message: string };

async function checkCandidate(
  candidate: BundleStatusList,
  url: string,
  purpose: StatusPurpose,
  issuerId: string,
  view: TrustView,
): Promise<{ list?: ParsedStatusList; problem?: string }> {
  const opened = await openStatusList(candidate.jws, view);
  if (!opened.ok) return { problem: `${opened.error.code}: ${opened.error.message}` };
  const { list, acceptance } = opened;
  if (list.issuerId !== issuerId) return { problem: `list is issued by ${list.issuerId}, not ${issuerId}` };
  if (!acceptance.ok) return { problem: `${acceptance.code}: ${acceptance.message}` };
  if (list.id !== url) return { problem: `signed id ${list.id} is not ${url}` };
  if (list.purpose !== purpose) return { problem: `list purpose is ${list.purpose}, not ${purpose}` };
  return { list };
}

/** The newest valid list for `url` among the bundle's entries. */
export async function findStatusList(statusLists: readonly BundleStatusList[], url: string, purpose: StatusPurpose, issuerId: string, view: TrustView): Promise<StatusListLookup> {
  let best: { list: ParsedStatusList; fetchedAt: string } | undefined;
  const problems: string[] = [];
  for (const candidate of statusLists) {
    if (candidate.url !== url) continue;
    const { list, problem } = await checkCandidate(candidate, url, purpose, issuerId, view);
    if (list) {
      if (!best || list.issuedAt > best.list.issuedAt) best = { list, fetchedAt: candidate.fetchedAt };
    } else if (problem) problems.push(problem);
  }
  if (best) return { ok: true, ...best };
  if (problems.length === 0) return { ok: false, code: 'ERR_STATUS_LIST_MISSING', message: `the bundle has no ${purpose} list ${url}` };
  return { ok: false, code: 'ERR_STATUS_LIST_INVALID', message: `no usable ${purpose} list ${url}: ${problems.join('; ')}` };
}
