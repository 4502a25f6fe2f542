/**
 * What the app keeps on the device, in IndexedDB (through idb-keyval): the verifier bundle with its
 * ETag and sync time, the pinned anchor keys (with their anchor id), the highest trust list sequence
 * seen per anchor and the newest status list per URL (so an older list can never be replayed into this
 * device), and the anchor ids that bare pinned keys were bound to.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { JWK, VerifierBundle } from '../index.js';

export interface StoredBundle {
  bundle: VerifierBundle;
  etag?: string;
  /** When this device last heard from the server (ms); ages on screen come from signed times. */
  syncedAt: number;
}

export interface PinnedAnchors {
  keys: JWK[];
  /** RFC 7638 thumbprints, computed here (never taken from the server's `kid`). */
  thumbprints: string[];
  pinnedAt: number;
  /** The anchor id these keys speak for, as confirmed with them (absent when pinned from an older deployment). */
  anchorId?: string;
}

let store: UseStore | undefined;
const db = (): UseStore => (store ??= createStore('elicence-verifier', 'kv'));

export const loadBundle = () => get<StoredBundle>('bundle', db());
export const saveBundle = (value: StoredBundle) => set('bundle', value, db());
export const loadAnchors = () => get<PinnedAnchors>('anchors', db());
export const saveAnchors = (value: PinnedAnchors) => set('anchors', value, db());
export const forgetAnchors = () => del('anchors', db());
export const loadSequences = async () => (await get<Record<string, number>>('sequences', db())) ?? {};
export const saveSequences = (value: Record<string, number>) => set('sequences', value, db());
/** Per status list URL: when the newest copy used was signed, so an older copy is refused later. */
export const loadStatusListsSeen = async () => (await get<Record<string, number>>('statusListsSeen', db())) ?? {};
export const saveStatusListsSeen = (value: Record<string, number>) => set('statusListsSeen', value, db());
/** Per pinned key without an anchor id: the id it was bound to on first use (see the verifier's anchorBindings). */
export const loadAnchorBindings = async () => (await get<Record<string, string>>('anchorBindings', db())) ?? {};
export const saveAnchorBindings = (value: Record<string, string>) => set('anchorBindings', value, db());
