/**
 * Turns the bundle's trust lists into the lists a verifier accepts: each one checked on its own
 * signature (a pinned anchor key, or a federation entry of a directly accepted list), then its expiry,
 * grace period and sequence. Signature and shape results are memoised by JWS text; time rules run on
 * every call because `now` changes.
 */
import type { JWK } from 'jose';
import type { VerifierBundle } from '../src/core/bundle.js';
import { ElicenceError, type ErrorCode } from '../src/core/errors.js';
import type { DecodedJws } from '../src/core/jws-verify.js';
import {
  anchorKeyMap,
  checkTrustListTimes,
  decodeTrustList,
  federate,
  findFederationKey,
  openTrustList,
  type AnchorKeys,
  type OpenedTrustList,
  type VerifiedTrustList,
} from '../src/core/trust-list.js';
import { BoundedMap, keyIdentity, outcomeOf, syncOutcomeOf, type Outcome } from './cache.js';

export interface TrustProblem {
  code: ErrorCode;
  message: string;
}

export interface TrustState {
  lists: VerifiedTrustList[];
  problems: TrustProblem[];
}

export interface TrustOptions {
  anchors: AnchorKeys;
  now: number;
  graceSeconds: number;
  skewSeconds: number;
  minSequences: Readonly<Record<string, number>>;
}

interface Memo {
  decoded: Outcome<DecodedJws>;
  opened: Map<string, Promise<Outcome<OpenedTrustList>>>;
}

const memo = new BoundedMap<string, Memo>(256);

function memoFor(jws: string): Memo {
  return memo.getOrSet(jws, () => ({ decoded: syncOutcomeOf(() => decodeTrustList(jws)), opened: new Map() }));
}

function open(entry: Memo, decoded: DecodedJws, key: JWK): Promise<Outcome<OpenedTrustList>> {
  const id = keyIdentity(key);
  let opened = entry.opened.get(id);
  if (!opened) {
    opened = outcomeOf(() => openTrustList(decoded, key));
    entry.opened.set(id, opened);
  }
  return opened;
}

function problemOf(error: unknown): TrustProblem {
  if (error instanceof ElicenceError) return { code: error.code, message: error.message };
  return { code: 'ERR_TRUST_LIST_MALFORMED', message: String(error) };
}

// The accepted form of an opened list differs only by `inGrace` (and the vouching entry, which is
// fixed by the opening key): build each form once instead of copying the list on every call.
const acceptedForms = new WeakMap<OpenedTrustList, Map<string, VerifiedTrustList>>();

function acceptedForm(opened: OpenedTrustList, formKey: string, build: () => VerifiedTrustList): VerifiedTrustList {
  let forms = acceptedForms.get(opened);
  if (!forms) {
    forms = new Map();
    acceptedForms.set(opened, forms);
  }
  let form = forms.get(formKey);
  if (!form) {
    form = build();
    forms.set(formKey, form);
  }
  return form;
}

/** Keeps the highest sequence per anchor id: a verifier never goes back to an older list. */
function newestPerAnchor(lists: VerifiedTrustList[]): VerifiedTrustList[] {
  const newest = new Map<string, VerifiedTrustList>();
  for (const list of lists) {
    const seen = newest.get(list.anchorId);
    if (!seen || list.sequence > seen.sequence) newest.set(list.anchorId, list);
  }
  return [...newest.values()];
}

export async function trustedLists(bundle: VerifierBundle, options: TrustOptions): Promise<TrustState> {
  const anchors = await anchorKeyMap(options.anchors);
  const problems: TrustProblem[] = [];
  const time = (anchorId: string) => ({
    now: options.now,
    graceSeconds: options.graceSeconds,
    skewSeconds: options.skewSeconds,
    ...(options.minSequences[anchorId] === undefined ? {} : { minSequence: options.minSequences[anchorId] }),
  });

  const direct: VerifiedTrustList[] = [];
  const pending: Array<{ entry: Memo; decoded: DecodedJws }> = [];
  for (const item of bundle.trustLists) {
    const entry = memoFor(item.jws);
    if (!entry.decoded.ok) {
      problems.push(problemOf(entry.decoded.error));
      continue;
    }
    const decoded = entry.decoded.value;
    const key = anchors.get(decoded.header.kid);
    if (!key) {
      pending.push({ entry, decoded });
      continue;
    }
    const opened = await open(entry, decoded, key);
    if (!opened.ok) {
      problems.push(problemOf(opened.error));
      continue;
    }
    const timed = syncOutcomeOf(() => checkTrustListTimes(opened.value, time(opened.value.anchorId)));
    if (timed.ok) direct.push(acceptedForm(opened.value, `direct|${timed.value.inGrace}`, () => ({ ...opened.value, ...timed.value })));
    else problems.push(problemOf(timed.error));
  }
  const accepted = newestPerAnchor(direct);

  const federated: VerifiedTrustList[] = [];
  for (const { entry, decoded } of pending) {
    const found = findFederationKey(decoded, accepted);
    if (!found) {
      problems.push({ code: 'ERR_TRUST_ANCHOR_UNKNOWN', message: `trust list signed by key ${decoded.header.kid}, which no pinned or federated anchor holds` });
      continue;
    }
    const opened = await open(entry, decoded, found.key.jwk);
    if (!opened.ok) {
      problems.push(problemOf(opened.error));
      continue;
    }
    const result = syncOutcomeOf(() => federate(opened.value, found, time(opened.value.anchorId)));
    if (result.ok) federated.push(acceptedForm(opened.value, `${found.vouchedBy}|${result.value.inGrace}`, () => result.value));
    else problems.push(problemOf(result.error));
  }
  return { lists: [...accepted, ...newestPerAnchor(federated)], problems };
}
