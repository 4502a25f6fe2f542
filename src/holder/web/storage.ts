/**
 * What the holder app keeps on the device, in IndexedDB (through idb-keyval): the holder session (its
 * token, authority, holder, end), the last licence list the server sent with when it was fetched, and
 * each licence's QR image (SVG text) so "show licence" works offline. Nothing here is the holder code:
 * it is exchanged and forgotten. This phone's device key (a non-extractable P-256 CryptoKeyPair: IndexedDB
 * keeps CryptoKey objects by structured clone, the private key never leaves WebCrypto) and the bound
 * copies the server issued for it. Agent mode keeps its own key and authorisations in a store of its
 * own, so signing the business out never removes an agent's authorisation.
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
export interface BoundCopy {
  id: string;
  licenceId: string;
  deviceId: string;
  status: 'active' | 'revoked' | 'expired';
  validUntil: string;
  credential: string;
}

export interface StoredDevice {
  id: string;
  keys: CryptoKeyPair;
  /** The device's bound copies as last fetched, and when (device clock, ms). */
  boundCopies: BoundCopy[];
  fetchedAt: number;
}

export interface AgentAuthorisation {
  id: string;
  licenceId: string;
  agent: { name: string; idNumberMasked: string };
  matters: 'all' | string[];
  validFrom: string;
  validUntil: string;
  status: 'active' | 'revoked' | 'expired';
  credential: string;
}

export interface StoredAgent {
  keys: CryptoKeyPair;
  authorisations: AgentAuthorisation[];
}

export const loadDevice = () => get<StoredDevice>('device', db());
export const saveDevice = (value: StoredDevice) => set('device', value, db());
export const forgetDevice = () => del('device', db());

let agentStore: UseStore | undefined;
const agentDb = (): UseStore => (agentStore ??= createStore('elicence-agent', 'kv'));
export const loadAgent = () => get<StoredAgent>('agent', agentDb());
export const saveAgent = (value: StoredAgent) => set('agent', value, agentDb());

/** Everything: sign-out, or a session the server ended (the code was rotated). */
export const forgetAll = () => clear(db());
export const forgetSession = () => del('session', db());
