/**
 * The bundle's trust lists as one core operation: (trust list pieces, pinned anchors, state, now) ->
 * the trust view a verifier decides with. The offline verifier, the CLI's `sync` check and the web app
 * all call this, so they cannot disagree about which list counts.
 *
 * 1. Genuine: each piece's signature with a pinned anchor key (direct), or with a key that the newest
 *    genuine direct list of another anchor federates (one hop; same anchor id; key valid at its
 *    `issuedAt`); its shape.
 * 2. Newest per anchor: among genuine pieces of one anchor the highest sequence wins, even when it has
 *    expired (then the anchor gives its grace or expiry result); the rest are superseded.
 * 3. Current: the newest is checked against the clock and the highest sequence already seen; a
 *    federated list also needs its vouching list accepted.
 *
 * Decoding and signatures are memoised by JWS text and key; the time rules run on every call.
 */
import type { JWK } from 'jose';
import { ElicenceError, type ErrorCode } from '../errors.js';
import type { DecodedJws } from '../jws-verify.js';
import { BoundedMap, keyIdentity, type Outcome, outcomeOf, syncOutcomeOf } from '../memo.js';
import { type Acceptance, type AcceptanceQuery, acceptIssuer } from './acceptance.js';
import { type AnchorKeys, type PinnedAnchor, pinnedAnchors } from './anchors.js';
import { checkAnchorBinding, checkFederation, checkTrustListTimes, decodeTrustList, type FederationKey, federatedForm, findFederationKey, openTrustList } from './open.js';
import type { OpenedTrustList, TrustedAuthority, VerifiedTrustList } from './types.js';

export interface TrustProblem {
  code: ErrorCode;
  message: string;
}

export interface TrustViewOptions {
  anchors: AnchorKeys;
  /** Verification time, epoch ms. */
  now: number;
  graceSeconds?: number;
  skewSeconds?: number;
  /** Highest sequence already seen per anchor id: an older newest list is refused as a replay. */
  minSequences?: Readonly<Record<string, number>>;
  /** Anchor ids that pinned keys without one were bound to earlier, by kid (the state). */
  anchorBindings?: Readonly<Record<string, string>>;
}

/** What became of one piece of the input, by its index. */
export type TrustPiece =
  | { status: 'accepted'; list: VerifiedTrustList }
  /** Genuine, but another genuine list of the same anchor is newer. */
  | { status: 'superseded'; list: OpenedTrustList }
  /** `genuine` tells a forged or malformed piece from a genuine one that the clock or a replay refuses. */
  | { status: 'refused'; genuine: boolean; problem: TrustProblem; list?: OpenedTrustList };

export interface TrustView {
  /** Accepted lists: newest per anchor, direct first. */
  lists: VerifiedTrustList[];
  /** Every refusal, in input order. */
  problems: TrustProblem[];
  /** What accepted lists left out while being read (keys of unknown algorithms). */
  notes: string[];
  pieces: TrustPiece[];
  /** Anchor id of every pinned key that had none of its own, by kid: persist them (the state). */
  anchorBindings: Record<string, string>;
  /** The acceptance rules against this view's lists. */
  accept(query: AcceptanceQuery): Acceptance;
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

// An accepted list differs from its opened form only by `inGrace` and, when federated, the entry that
// vouched for it (which sets its scope): build each form once per (opened list, entry, inGrace) rather
// than on every call. The entry object belongs to the vouching list, so a newer vouching list (a
// narrowed scope, say) gives a new form at once.
const DIRECT = {};
const NO_AUTHORITIES: ReadonlyMap<string, TrustedAuthority> = new Map();
const acceptedForms = new WeakMap<OpenedTrustList, WeakMap<object, Map<boolean, VerifiedTrustList>>>();

function acceptedForm(opened: OpenedTrustList, inGrace: boolean, found: FederationKey | undefined): VerifiedTrustList {
  let byEntry = acceptedForms.get(opened);
  if (!byEntry) {
    byEntry = new WeakMap();
    acceptedForms.set(opened, byEntry);
  }
  const entry: object = found?.entry ?? DIRECT;
  let byGrace = byEntry.get(entry);
  if (!byGrace) {
    byGrace = new Map();
    byEntry.set(entry, byGrace);
  }
  let form = byGrace.get(inGrace);
  if (!form) {
    form = found ? { ...federatedForm(opened, found), inGrace } : { ...opened, outOfScope: NO_AUTHORITIES, inGrace };
    byGrace.set(inGrace, form);
  }
  return form;
}

/**
 * The anchor id each pinned anchor speaks for: its own, else the one the state bound its keys to,
 * else the id of the first genuine list it signed, unless another pinned anchor holds or claims that
 * id (then none: a bare key set cannot take over another anchor's id).
 */
function bindAnchors(
  signed: ReadonlyArray<{ list: OpenedTrustList; pin: PinnedAnchor }>,
  anchors: readonly PinnedAnchor[],
  state: Readonly<Record<string, string>>,
): { ids: Map<PinnedAnchor, string>; bindings: Record<string, string>; notes: string[] } {
  const ids = new Map<PinnedAnchor, string>();
  const blocked = new Set<PinnedAnchor>();
  const notes: string[] = [];
  const kids = (anchor: PinnedAnchor) => [...anchor.keys.keys()].join(', ');
  for (const anchor of anchors) {
    const remembered = new Set([...anchor.keys.keys()].map((kid) => state[kid]).filter((id): id is string => id !== undefined));
    const id = anchor.id ?? (remembered.size === 1 ? [...remembered][0] : undefined);
    if (id !== undefined) ids.set(anchor, id);
    else if (remembered.size > 1) {
      blocked.add(anchor);
      notes.push(`pinned keys ${kids(anchor)} were bound to several anchor ids earlier; they speak for none`);
    }
  }
  const claims = new Map<PinnedAnchor, string>();
  for (const { list, pin } of signed) {
    if (!ids.has(pin) && !blocked.has(pin) && !claims.has(pin)) claims.set(pin, list.anchorId);
  }
  const taken = new Set(ids.values());
  for (const [pin, id] of claims) {
    const rivals = [...claims.entries()].filter(([other, claimed]) => other !== pin && claimed === id);
    if (taken.has(id) || rivals.length > 0) notes.push(`pinned keys ${kids(pin)} (no anchor id) sign lists of ${id}, which other pinned keys hold: not bound`);
    else ids.set(pin, id);
  }
  const bindings: Record<string, string> = {};
  for (const [anchor, id] of ids) if (anchor.id === undefined) for (const kid of anchor.keys.keys()) bindings[kid] = id;
  return { ids, bindings, notes };
}

interface Genuine {
  index: number;
  list: OpenedTrustList;
  federation?: FederationKey;
}

/** Marks all but the highest sequence per anchor as superseded; returns the newest ones. */
function newestPerAnchor(genuine: readonly Genuine[], pieces: TrustPiece[]): Genuine[] {
  const newest = new Map<string, Genuine>();
  for (const piece of genuine) {
    const seen = newest.get(piece.list.anchorId);
    if (!seen || piece.list.sequence > seen.list.sequence) newest.set(piece.list.anchorId, piece);
  }
  for (const piece of genuine) {
    if (newest.get(piece.list.anchorId) !== piece) pieces[piece.index] = { status: 'superseded', list: piece.list };
  }
  return [...newest.values()];
}

/** Builds the trust view of `trustLists` (bundle pieces, in any order). Never throws for a bad piece. */
export async function acceptTrustLists(trustLists: readonly { jws: string }[], options: TrustViewOptions): Promise<TrustView> {
  const pinned = await pinnedAnchors(options.anchors);
  const pieces: TrustPiece[] = new Array(trustLists.length);
  const refuse = (index: number, error: unknown, list?: OpenedTrustList, genuine = false) => {
    pieces[index] = { status: 'refused', genuine, problem: problemOf(error), ...(list ? { list } : {}) };
  };

  // 1. Lists signed by pinned keys, each counting only for the anchor its key is pinned for.
  const signed: Array<{ index: number; list: OpenedTrustList; pin: PinnedAnchor }> = [];
  const pending: Array<{ index: number; entry: Memo; decoded: DecodedJws }> = [];
  for (const [index, item] of trustLists.entries()) {
    const entry = memoFor(item.jws);
    if (!entry.decoded.ok) {
      refuse(index, entry.decoded.error);
      continue;
    }
    const decoded = entry.decoded.value;
    const pin = pinned.byKid.get(decoded.header.kid);
    if (!pin) {
      pending.push({ index, entry, decoded });
      continue;
    }
    const opened = await open(entry, decoded, pin.keys.get(decoded.header.kid)!);
    if (opened.ok) signed.push({ index, list: opened.value, pin });
    else refuse(index, opened.error);
  }
  const binding = bindAnchors(signed, pinned.anchors, options.anchorBindings ?? {});
  const direct: Genuine[] = [];
  for (const { index, list, pin } of signed) {
    const id = binding.ids.get(pin);
    const bound =
      id === undefined
        ? {
            ok: false as const,
            error: new ElicenceError(
              'ERR_TRUST_ANCHOR_UNKNOWN',
              `trust list ${list.anchorId} #${list.sequence}: its key is pinned without an anchor id, and that id is held or claimed by other pinned keys`,
            ),
          }
        : syncOutcomeOf(() => checkAnchorBinding(list, id));
    if (bound.ok) direct.push({ index, list });
    else refuse(index, bound.error);
  }
  const newestDirect = newestPerAnchor(direct, pieces);

  // 2. Genuine federated lists, vouched for by the newest genuine direct lists only.
  const vouching = newestDirect.map((g) => acceptedForm(g.list, false, undefined));
  const federated: Genuine[] = [];
  for (const { index, entry, decoded } of pending) {
    const found = findFederationKey(decoded, vouching);
    if (!found) {
      refuse(
        index,
        new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list signed by key ${decoded.header.kid}, which no pinned anchor holds and no pinned anchor's list federates`),
      );
      continue;
    }
    const opened = await open(entry, decoded, found.key.jwk);
    const checked = opened.ok ? syncOutcomeOf(() => checkFederation(opened.value, found)) : opened;
    if (opened.ok && checked.ok) federated.push({ index, list: opened.value, federation: found });
    else refuse(index, checked.ok ? undefined : checked.error);
  }
  const newestFederated = newestPerAnchor(federated, pieces);

  // 3. The clock and the replay memory decide which newest lists are current.
  const lists: VerifiedTrustList[] = [];
  const accepted = new Set<string>();
  for (const piece of [...newestDirect, ...newestFederated]) {
    const { list, federation } = piece;
    if (federation && !accepted.has(federation.vouchedBy)) {
      refuse(
        piece.index,
        new ElicenceError('ERR_TRUST_ANCHOR_UNKNOWN', `trust list ${list.anchorId} #${list.sequence}: the list of ${federation.vouchedBy} that vouches for it is not accepted`),
        list,
        true,
      );
      continue;
    }
    const minSequence = options.minSequences?.[list.anchorId];
    const timed = syncOutcomeOf(() =>
      checkTrustListTimes(list, {
        now: options.now,
        ...(options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds }),
        ...(options.skewSeconds === undefined ? {} : { skewSeconds: options.skewSeconds }),
        ...(minSequence === undefined ? {} : { minSequence }),
      }),
    );
    if (!timed.ok) {
      refuse(piece.index, timed.error, list, true);
      continue;
    }
    const form = acceptedForm(list, timed.value.inGrace, federation);
    pieces[piece.index] = { status: 'accepted', list: form };
    lists.push(form);
    accepted.add(list.anchorId);
  }

  const problems = pieces.flatMap((p) => (p.status === 'refused' ? [p.problem] : []));
  const notes = [...pinned.skipped, ...binding.notes, ...lists.flatMap((l) => l.notes.map((note) => `${l.anchorId} #${l.sequence}: ${note}`))];
  return { lists, problems, notes, pieces, anchorBindings: binding.bindings, accept: (query) => acceptIssuer(lists, query) };
}
