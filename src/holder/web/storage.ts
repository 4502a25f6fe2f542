/**
 * What the holder app keeps on the device, in IndexedDB (through idb-keyval): the holder session (its
 * token, authority, holder, end), the last licence list the server sent with when it was fetched, and
 * each licence's QR image (SVG text) so "show licence" works offline. Nothing here is the holder code:
 * it is exchanged and forgotten. (Issue 24 adds the device key here: a non-extractable CryptoKey.)
 */
import { clear, createStore, del, get, set, type UseStore } from 'idb-keyval';

export interface StoredSession {
  token: string;
  authority: { id: string; nameZh: string; nameEn: string };
  holder: { creditCode: string };
  expiresAt: string;
}

export interface HolderLicence {
  id: string;
  licenceIdentifier: string | null;
  type: string;
  typeName: { zh: string; en: string };
  holderName: string | null;
  status: 'active' | 'suspended' | 'revoked' | 'expired';
  statusReason: string | null;
  validFrom: string;
  validUntil: string | null;
  validity: { from: string; until: string | null };
  issuedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  qrText: string;
  checkCode: string;
  history: { action: string; at: string; reason: string | null; supersededBy?: string; supersedes?: string }[];
  links: Record<string, string>;
}

export interface LicenceList {
  checkedAt: string;
  authority: { id: string; nameZh: string; nameEn: string };
  holder: { creditCode: string; name: string | null };
  items: HolderLicence[];
}

export interface StoredList {
  list: LicenceList;
  /** When this device received it (device clock, ms). */
  fetchedAt: number;
}

let store: UseStore | undefined;
const db = (): UseStore => (store ??= createStore('elicence-holder', 'kv'));

export const loadSession = () => get<StoredSession>('session', db());
export const saveSession = (value: StoredSession) => set('session', value, db());
export const loadList = () => get<StoredList>('list', db());
export const saveList = (value: StoredList) => set('list', value, db());
export const loadQr = (id: string, checkCode: string) => get<string>(`qr:${id}:${checkCode}`, db());
export const saveQr = (id: string, checkCode: string, svg: string) => set(`qr:${id}:${checkCode}`, svg, db());
/** Everything: sign-out, or a session the server ended (the code was rotated). */
export const forgetAll = () => clear(db());
export const forgetSession = () => del('session', db());
