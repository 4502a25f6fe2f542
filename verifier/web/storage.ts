/**
 * What the app keeps on the device, in IndexedDB (through idb-keyval): the verifier bundle (stored
 * packed: every JWS unpacked, compact status copies) with its ETag and sync time, the pinned anchor keys
 * (with their anchor id), the highest trust list sequence seen per anchor and the newest status list
 * per URL with its version (so an older list, or a replayed patch, can never be replayed into this
 * device), the anchor ids that bare pinned keys were bound to, and the province-only setting.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { type JWK, packBundle, parseBundle, type VerifierBundle } from '../index.js';

export interface StoredBundle {
  bundle: VerifierBundle;
  etag?: string;
  /** When this device last heard from the server (ms); ages on screen come from signed times. */
  syncedAt: number;
  /** Synced province-only, for this anchor id. */
  provinceOnly?: string;
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

export async function loadBundle(): Promise<StoredBundle | undefined> {
  const stored = await get<Omit<StoredBundle, 'bundle'> & { bundle: unknown }>('bundle', db());
  if (!stored) return undefined;
  try {
    return { ...stored, bundle: parseBundle(stored.bundle) };
  } catch {
    return undefined; // A bundle this version cannot read: sync again.
  }
}
export const saveBundle = (value: StoredBundle) => set('bundle', { ...value, bundle: packBundle(value.bundle) }, db());
export const loadAnchors = () => get<PinnedAnchors>('anchors', db());
export const saveAnchors = (value: PinnedAnchors) => set('anchors', value, db());
export const forgetAnchors = () => del('anchors', db());
export const loadSequences = async () => (await get<Record<string, number>>('sequences', db())) ?? {};
export const saveSequences = (value: Record<string, number>) => set('sequences', value, db());
/** Per status list URL: when the newest copy used was signed, so an older copy is refused later. */
export const loadStatusListsSeen = async () => (await get<Record<string, number>>('statusListsSeen', db())) ?? {};
export const saveStatusListsSeen = (value: Record<string, number>) => set('statusListsSeen', value, db());
/** Per status list URL: the highest version used, so a replayed patch can never move a list back. */
export const loadStatusVersionsSeen = async () => (await get<Record<string, number>>('statusVersionsSeen', db())) ?? {};
export const saveStatusVersionsSeen = (value: Record<string, number>) => set('statusVersionsSeen', value, db());
/** Province-only mode: only the pinned anchor's own authorities' status data is synced. */
export const loadProvinceOnly = async () => (await get<boolean>('provinceOnly', db())) === true;
export const saveProvinceOnly = (value: boolean) => set('provinceOnly', value, db());
/** Per pinned key without an anchor id: the id it was bound to on first use (see the verifier's anchorBindings). */
export const loadAnchorBindings = async () => (await get<Record<string, string>>('anchorBindings', db())) ?? {};
export const saveAnchorBindings = (value: Record<string, string>) => set('anchorBindings', value, db());
