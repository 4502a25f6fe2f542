/**
 * The holder app (docs/holder-app.md): a business opens the link the authority gave it
 * (`/holder/#c=<holder code>`); the code is taken from the fragment, removed from the address bar,
 * exchanged once for a holder session and forgotten. The app lists the holder's licences with their
 * status, validity (China dates), identifier and history, keeps the last list and each QR in IndexedDB,
 * and works offline after the first use (service worker). Every status shown carries how long ago it
 * was checked: offline, a licence is never shown as valid without its age.
 */

import { createDeviceKeys, liveQrText, publicJwkOf, qrSvgOf } from './device-key.js';
import { byId, el } from './dom.js';
import { ageText, initialLang, type Lang, type Status, saveLang, TEXTS } from './i18n.js';
import {
  type AgentAuthorisation,
  type BoundCopy,
  forgetAll,
  forgetDevice,
  type HolderLicence,
  type LicenceList,
  loadAgent,
  loadDevice,
  loadList,
  loadQr,
  loadSession,
  type StoredAgent,
  type StoredDevice,
  type StoredList,
  type StoredSession,
  saveAgent,
  saveDevice,
  saveList,
  saveQr,
  saveSession,
} from './storage.js';

interface ServerDevice {
  id: string;
  status: 'active' | 'removed';
  label: string | null;
  createdAt: string;
}

interface WakeLockSentinel {
  release(): Promise<void>;
}

const state: {
  lang: Lang;
  session: StoredSession | undefined;
  stored: StoredList | undefined;
  refreshFailed: boolean;
  showing: HolderLicence | undefined;
  wakeLock: WakeLockSentinel | undefined;
  qrUrl: string | undefined;
  device: StoredDevice | undefined;
  devices: ServerDevice[];
  authorisations: AgentAuthorisation[];
  liveTimer: ReturnType<typeof setTimeout> | undefined;
  agentMode: boolean;
  agent: StoredAgent | undefined;
} = {
  lang: initialLang(),
  session: undefined,
  stored: undefined,
  refreshFailed: false,
  showing: undefined,
  wakeLock: undefined,
  qrUrl: undefined,
  device: undefined,
  devices: [],
  authorisations: [],
  liveTimer: undefined,
  agentMode: false,
  agent: undefined,
};

const t = () => TEXTS[state.lang];
/** API paths are relative to the app (/holder/), so a deployment under a path prefix works too. */
const api = (path: string) => new URL(path.replace(/^\/holder\//, ''), document.baseURI).toString();
const auth = (): HeadersInit => (state.session ? { Authorization: `Bearer ${state.session.token}` } : {});

function setMessage(text: string): void {
  byId('message').textContent = text;
}

/** The code in the fragment (`#c=...`), removed from the address bar and history at once. */
function takeCodeFromFragment(): string | undefined {
  if (!location.hash) return undefined;
  const code = new URLSearchParams(location.hash.slice(1)).get('c') ?? undefined;
  history.replaceState(history.state, '', location.pathname + location.search);
  return code || undefined;
}

/**
 * `fromLink`: the code came in a link (the fragment), which anyone can send. A link for another business
 * than the one this device holds replaces nothing without the person's yes: switching forgets the
 * current business's list and this phone's device key (its live QR), and would show the other
 * business's licences in their place.
 */
async function exchange(code: string, fromLink = false): Promise<void> {
  setMessage(t().opening);
  let response: Response;
  try {
    response = await fetch(api('v1/session'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  } catch {
    setMessage(state.stored ? '' : t().offlineNoData);
    return;
  }
  if (response.status === 429) return setMessage(t().rateLimited);
  if (!response.ok) return setMessage(t().codeRefused);
  const session = (await response.json()) as StoredSession & { tokenType: string };
  const previous = state.session;
  const sameBusiness = previous !== undefined && previous.authority.id === session.authority.id && previous.holder.creditCode === session.holder.creditCode;
  const holdsAnother = !sameBusiness && (previous !== undefined || (state.stored !== undefined && state.stored.list.holder.creditCode !== session.holder.creditCode));
  const authorityName = state.lang === 'zh' ? session.authority.nameZh : session.authority.nameEn;
  if (holdsAnother && fromLink && !window.confirm(t().switchBusiness(authorityName, session.holder.creditCode))) {
    // The session just opened is ended again: the device stays with the business it holds.
    await fetch(api('v1/session'), { method: 'DELETE', headers: { Authorization: `Bearer ${session.token}` } }).catch(() => undefined);
    return setMessage(t().switchDeclined);
  }
  if (!sameBusiness) {
    // Another business on this device: nothing of the previous one stays.
    await forgetAll();
    state.stored = undefined;
  }
  state.session = { token: session.token, authority: session.authority, holder: session.holder, expiresAt: session.expiresAt };
  await saveSession(state.session);
  setMessage('');
}

async function refresh(): Promise<void> {
  if (!state.session) return;
  const button = byId<HTMLButtonElement>('refresh');
  button.disabled = true;
  button.textContent = t().refreshing;
  try {
    const response = await fetch(api('v1/licences'), { headers: auth(), cache: 'no-store' });
    if (response.status === 401) {
      await forgetAll();
      state.session = undefined;
      state.stored = undefined;
      setMessage(t().sessionEnded);
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const list = (await response.json()) as LicenceList;
    state.stored = { list, fetchedAt: Date.now() };
    state.refreshFailed = false;
    await saveList(state.stored);
    // Each QR image, for showing and downloading offline (keyed by its check code: a new licence, a new image).
    await Promise.all(
      list.items.map(async (licence) => {
        if (await loadQr(licence.id, licence.checkCode)) return;
        const svg = await fetch(api(licence.links['qrSvg']!), { headers: auth() });
        if (svg.ok) await saveQr(licence.id, licence.checkCode, await svg.text());
      }),
    ).catch(() => undefined);
    await syncDevices();
  } catch {
    state.refreshFailed = true;
  } finally {
    button.disabled = false;
    button.textContent = t().refresh;
    render();
  }
}

/** The status as of now on this device: a licence past its last day reads expired even offline. */
function statusOf(licence: HolderLicence, now = Date.now()): Status {
  if (licence.status !== 'active' && licence.status !== 'suspended') return licence.status;
  if (licence.validUntil && Date.parse(licence.validUntil) <= now) return 'expired';
  if (Date.parse(licence.validFrom) > now) return 'notYetValid';
  return licence.status;
}

/** "Status checked 3 min ago", or the offline / unreachable wording; never a status without its age. */
function freshnessText(): string {
  if (!state.stored) return '';
  const age = ageText(Date.now() - state.stored.fetchedAt, state.lang);
  if (!navigator.onLine) return t().offlineAgo(age);
  if (state.refreshFailed) return t().refreshFailed(age);
  return t().checkedAgo(age);
}

function renderFreshness(): void {
  const line = byId('freshness');
  line.textContent = freshnessText();
  line.dataset.state = !state.stored ? 'none' : !navigator.onLine ? 'offline' : state.refreshFailed ? 'failed' : 'online';
  for (const node of document.querySelectorAll<HTMLElement>('[data-age]')) node.textContent = freshnessText();
  if (state.showing && !state.agentMode) byId('show-status').textContent = `${t().status[statusOf(state.showing)]} · ${freshnessText()}`;
}

const fileStem = (licence: HolderLicence) => `licence-${licence.licenceIdentifier ?? licence.id}`;

async function download(licence: HolderLicence, path: string, filename: string, offline?: () => Promise<Blob | undefined>): Promise<void> {
  let blob: Blob | undefined;
  try {
    const response = await fetch(api(path), { headers: auth() });
    if (response.ok) blob = await response.blob();
  } catch {
    // offline: fall back below
  }
  blob ??= await offline?.();
  if (!blob) return setMessage(t().downloadFailed);
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: filename, hidden: '' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  void licence;
}

function licenceItem(licence: HolderLicence): HTMLElement {
  const m = t();
  const status = statusOf(licence);
  const identifier = licence.licenceIdentifier ?? licence.id;
  const button = (label: string, onClick: () => void, cls = 'secondary') => {
    const b = el('button', { type: 'button', class: cls }, label);
    b.addEventListener('click', onClick);
    return b;
  };
  const cachedSvg = async () => {
    const svg = await loadQr(licence.id, licence.checkCode);
    return svg ? new Blob([svg], { type: 'image/svg+xml' }) : undefined;
  };
  const card = (format: 'a4' | 'a5' | 'card', label: string) =>
    button(`${m.card} ${label}`, () => void download(licence, `${licence.links['card']!}?format=${format}`, `${fileStem(licence)}-card-${format}.html`));
  const history = el(
    'ol',
    { class: 'history' },
    ...licence.history.map((event) =>
      el('li', {}, el('time', { datetime: event.at }, event.at.slice(0, 10)), ' ', m.actions[event.action] ?? event.action, event.reason ? ` (${event.reason})` : ''),
    ),
  );
  const headingId = `h-${licence.id}`;
  return el(
    'li',
    {},
    el(
      'article',
      { class: `licence status-${status}`, 'aria-labelledby': headingId, 'data-id': licence.id },
      el('h3', { id: headingId }, licence.typeName[state.lang]),
      licence.holderName ? el('p', { class: 'holder' }, licence.holderName) : null,
      el('p', { class: 'status' }, el('strong', { class: 'badge' }, m.status[status]), ' · ', el('span', { 'data-age': '' }, freshnessText())),
      licence.supersededBy ? el('p', { class: 'note' }, m.replacedBy) : null,
      el(
        'dl',
        {},
        el('dt', {}, m.identifier),
        el('dd', { class: 'code' }, identifier),
        el('dt', {}, m.validity),
        el('dd', {}, m.validityText(licence.validity.from, licence.validity.until)),
        el('dt', {}, m.checkCode),
        el('dd', { class: 'code' }, licence.checkCode),
      ),
      el(
        'div',
        { class: 'actions' },
        button(m.show, () => void show(licence), 'primary'),
        button(m.downloadPng, () => void download(licence, licence.links['qrPng']!, `${fileStem(licence)}-qr.png`)),
        button(m.downloadSvg, () => void download(licence, licence.links['qrSvg']!, `${fileStem(licence)}-qr.svg`, cachedSvg)),
        card('a4', m.cardA4),
        card('a5', m.cardA5),
        card('card', m.cardWall),
      ),
      el('details', {}, el('summary', {}, m.history), history),
    ),
  );
}

function render(): void {
  if (state.agentMode) {
    byId('sign-in').hidden = true;
    byId('licences').hidden = true;
    byId('agent-mode').hidden = false;
    renderAgentMode();
    return;
  }
  const signedIn = state.session !== undefined;
  byId('sign-in').hidden = signedIn || state.stored !== undefined;
  byId('licences').hidden = !state.stored;
  const list = byId('licence-list');
  list.replaceChildren();
  if (state.stored) {
    const { list: data } = state.stored;
    byId('holder-name').textContent = `${data.holder.name ?? ''} ${data.holder.creditCode}`.trim();
    if (data.items.length === 0) list.append(el('li', {}, t().none));
    for (const licence of data.items) list.append(licenceItem(licence));
  }
  byId('refresh').hidden = !signedIn;
  renderDevices();
  renderAgents();
  renderFreshness();
}

/** The bound copy this phone can show live for a licence: active, not ending in the next minute. */
function boundCopyFor(licence: HolderLicence): BoundCopy | undefined {
  return state.device?.boundCopies.find((copy) => copy.licenceId === licence.id && copy.status === 'active' && Date.parse(copy.validUntil) > Date.now() + 60_000);
}

const timeText = (ms: number) => new Date(ms).toLocaleTimeString(state.lang === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });

function setQrImage(source: Blob, alt: string): void {
  if (state.qrUrl) URL.revokeObjectURL(state.qrUrl);
  state.qrUrl = URL.createObjectURL(source);
  const image = byId<HTMLImageElement>('show-qr');
  image.src = state.qrUrl;
  image.alt = alt;
}

/** Draws the live QR of `jws` for the current slot, then again at every slot boundary until closed. */
async function drawLive(jws: string, keys: CryptoKeyPair, identifier: string): Promise<void> {
  const m = t();
  const now = Date.now();
  const text = await liveQrText(jws, keys, now);
  setQrImage(new Blob([qrSvgOf(text, m.liveAlt(identifier))], { type: 'image/svg+xml' }), m.liveAlt(identifier));
  const image = byId<HTMLImageElement>('show-qr');
  image.dataset['qrText'] = text;
  const note = byId('show-live');
  note.dataset['mode'] = 'live';
  note.textContent = m.live(timeText(now));
  byId('show-text').textContent = m.liveText(identifier, timeText(now));
  const next = (Math.floor(now / 30_000) + 1) * 30_000;
  clearTimeout(state.liveTimer);
  state.liveTimer = setTimeout(() => void drawLive(jws, keys, identifier).catch(() => undefined), next - Date.now() + 50);
}

function openShowDialog(title: string): Promise<void> {
  byId('show-title').textContent = title;
  byId('show').hidden = false;
  byId('main').setAttribute('aria-hidden', 'true');
  renderFreshness();
  byId('show-close').focus();
  // Keep the screen on while the licence is shown (where the browser allows it).
  const wakeLock = (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<WakeLockSentinel> } }).wakeLock;
  return (async () => {
    state.wakeLock ??= await wakeLock?.request('screen').catch(() => undefined);
  })();
}

async function show(licence: HolderLicence): Promise<void> {
  const m = t();
  const identifier = licence.licenceIdentifier ?? licence.id;
  const copy = boundCopyFor(licence);
  state.showing = licence;
  if (copy && state.device) {
    await drawLive(copy.credential, state.device.keys, identifier);
  } else {
    const svg = await loadQr(licence.id, licence.checkCode);
    let source: Blob | undefined = svg ? new Blob([svg], { type: 'image/svg+xml' }) : undefined;
    if (!source) {
      const response = await fetch(api(licence.links['qrSvg']!), { headers: auth() }).catch(() => undefined);
      if (response?.ok) source = await response.blob();
    }
    if (!source) {
      state.showing = undefined;
      return setMessage(m.downloadFailed);
    }
    setQrImage(source, m.qrAlt(identifier, licence.checkCode));
    byId<HTMLImageElement>('show-qr').dataset['qrText'] = licence.qrText;
    const note = byId('show-live');
    note.dataset['mode'] = 'static';
    note.textContent = m.staticNote;
    byId('show-text').textContent = m.qrText(identifier, licence.checkCode);
  }
  await openShowDialog(`${licence.typeName[state.lang]} · ${licence.holderName ?? ''}`);
}

// ---- Devices (this phone's key, the holder's administrators) ----

async function syncDevices(): Promise<void> {
  if (!state.session) return;
  const [devices, agents] = await Promise.all([
    fetch(api('v1/devices'), { headers: auth(), cache: 'no-store' }).catch(() => undefined),
    fetch(api('v1/agents'), { headers: auth(), cache: 'no-store' }).catch(() => undefined),
  ]);
  if (devices?.ok) state.devices = ((await devices.json()) as { items: ServerDevice[] }).items;
  if (agents?.ok) state.authorisations = ((await agents.json()) as { items: AgentAuthorisation[] }).items;
  const device = state.device;
  if (!device) return;
  // Silent renewal: the server re-signs copies near their end and binds licences issued since.
  const response = await fetch(api(`v1/bound-copies?device=${encodeURIComponent(device.id)}`), { headers: auth(), cache: 'no-store' }).catch(() => undefined);
  if (!response) return;
  if (response.status === 404 || response.status === 409) {
    // Removed (from another phone or by the authority): this key shows nothing live any more.
    state.device = undefined;
    await forgetDevice();
    return;
  }
  if (!response.ok) return;
  state.device = { ...device, boundCopies: ((await response.json()) as { items: BoundCopy[] }).items, fetchedAt: Date.now() };
  await saveDevice(state.device);
}

async function registerThisDevice(): Promise<void> {
  const m = t();
  const button = byId<HTMLButtonElement>('register-device');
  button.disabled = true;
  try {
    const keys = await createDeviceKeys();
    const response = await fetch(api('v1/devices'), {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ jwk: await publicJwkOf(keys) }),
    });
    if (response.status === 409) return setMessage(m.deviceLimit);
    if (!response.ok) return setMessage(m.deviceFailed);
    const body = (await response.json()) as { device: ServerDevice; boundCopies: BoundCopy[] };
    state.device = { id: body.device.id, keys, boundCopies: body.boundCopies, fetchedAt: Date.now() };
    await saveDevice(state.device);
    await syncDevices();
  } catch {
    setMessage(m.deviceFailed);
  } finally {
    button.disabled = false;
    render();
  }
}

async function removeServerDevice(id: string): Promise<void> {
  const response = await fetch(api(`v1/devices/${encodeURIComponent(id)}`), { method: 'DELETE', headers: auth() }).catch(() => undefined);
  if (!response?.ok) return setMessage(t().deviceFailed);
  if (state.device?.id === id) {
    state.device = undefined;
    await forgetDevice();
  }
  await syncDevices();
  render();
}

const actionButton = (label: string, onClick: () => void, cls = 'secondary') => {
  const b = el('button', { type: 'button', class: cls }, label);
  b.addEventListener('click', onClick);
  return b;
};

function renderDevices(): void {
  const m = t();
  byId('device-state').textContent = state.device ? m.deviceReady : m.deviceNone;
  byId('register-device').hidden = state.device !== undefined || !state.session;
  byId('device-list').replaceChildren(
    ...state.devices
      .filter((d) => d.status === 'active')
      .map((d) =>
        el(
          'li',
          { 'data-device': d.id },
          el('span', {}, m.deviceItem(d.id, d.createdAt.slice(0, 10)), d.id === state.device?.id ? ` (${m.thisDevice})` : ''),
          actionButton(m.remove, () => void removeServerDevice(d.id)),
        ),
      ),
  );
}

// ---- Agents: the administrator's side ----

function renderAgents(): void {
  const m = t();
  const select = byId<HTMLSelectElement>('agent-licence');
  const chosen = select.value;
  const current = (state.stored?.list.items ?? []).filter((l) => statusOf(l) === 'active');
  select.replaceChildren(...current.map((l) => el('option', { value: l.id }, `${l.typeName[state.lang]} ${l.licenceIdentifier ?? l.id}`)));
  if (chosen) select.value = chosen;
  byId('agents').hidden = !state.session || current.length === 0;
  byId('agent-list').replaceChildren(
    ...state.authorisations.map((a) =>
      el(
        'li',
        { 'data-authorisation': a.id },
        el('span', {}, m.agentItem(a.agent.name, a.matters === 'all' ? m.allMatters : a.matters.join(', '), a.validUntil.slice(0, 10), a.status)),
        a.status === 'active' ? actionButton(m.revoke, () => void revokeAgent(a.id)) : null,
      ),
    ),
  );
}

async function inviteAgentFromForm(): Promise<void> {
  const m = t();
  const value = (id: string) => byId<HTMLInputElement>(id).value.trim();
  const matters = value('agent-matters');
  const response = await fetch(api('v1/agents'), {
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/json' },
    body: JSON.stringify({
      licenceId: byId<HTMLSelectElement>('agent-licence').value,
      agent: { name: value('agent-name'), idNumberMasked: value('agent-id') },
      matters: matters === '' ? 'all' : matters.split(/[,，\s]+/).filter(Boolean),
      validUntil: value('agent-until'),
    }),
  }).catch(() => undefined);
  if (!response) return setMessage(m.agentFailed('offline'));
  const body = (await response.json()) as { link?: string; error?: { message: string } };
  if (!response.ok || !body.link) return setMessage(m.agentFailed(body.error?.message ?? String(response.status)));
  setMessage('');
  byId<HTMLInputElement>('agent-link').value = body.link;
  byId('agent-link-box').hidden = false;
  byId<HTMLInputElement>('agent-link').select();
}

async function revokeAgent(id: string): Promise<void> {
  const response = await fetch(api(`v1/agents/${encodeURIComponent(id)}/revoke`), { method: 'POST', headers: auth() }).catch(() => undefined);
  if (!response?.ok) return setMessage(t().agentFailed(String(response?.status ?? 'offline')));
  await syncDevices();
  render();
}

// ---- Agent mode: the agent's own phone ----

const payloadOf = (jws: string): Record<string, unknown> => {
  const part = jws.split('.')[1] ?? '';
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)))) as Record<string, unknown>;
};

async function acceptInvitation(code: string): Promise<void> {
  const m = t();
  const agent: StoredAgent = state.agent ?? { keys: await createDeviceKeys(), authorisations: [] };
  const response = await fetch(api('v1/agent-invitations/accept'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, jwk: await publicJwkOf(agent.keys) }),
  }).catch(() => undefined);
  if (!response?.ok) return setMessage(response ? m.agentLinkGone : m.offlineNoData);
  const authorisation = (await response.json()) as AgentAuthorisation;
  state.agent = { keys: agent.keys, authorisations: [authorisation, ...agent.authorisations.filter((a) => a.id !== authorisation.id)] };
  await saveAgent(state.agent);
  setMessage(m.agentAccepted);
}

/**
 * Online, each authorisation this phone holds is brought up to date: the request carries a live EL2 text
 * of it (the proof by this phone's key is the only credential), and the answer is the current form (the
 * successor after an amendment of the licence) with its status.
 */
async function refreshAgentAuthorisations(): Promise<void> {
  const agent = state.agent;
  if (!agent || agent.authorisations.length === 0) return;
  const updated = await Promise.all(
    agent.authorisations.map(async (a) => {
      try {
        const response = await fetch(api('v1/agent-authorisations/refresh'), {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ qr: await liveQrText(a.credential, agent.keys) }),
          cache: 'no-store',
        });
        return response.ok ? ((await response.json()) as AgentAuthorisation) : a;
      } catch {
        return a;
      }
    }),
  );
  const seen = new Set<string>();
  state.agent = { keys: agent.keys, authorisations: updated.filter((a) => !seen.has(a.id) && seen.add(a.id)) };
  await saveAgent(state.agent);
}

function renderAgentMode(): void {
  const m = t();
  const list = byId('agent-auths');
  const items = state.agent?.authorisations ?? [];
  if (items.length === 0) {
    list.replaceChildren(el('li', {}, m.agentNone));
    return;
  }
  list.replaceChildren(
    ...items.map((a) => {
      const subject = payloadOf(a.credential)['credentialSubject'] as { company?: { name?: string }; licence?: { identifier?: string } };
      const company = subject.company?.name ?? '';
      return el(
        'li',
        { 'data-authorisation': a.id },
        el(
          'span',
          {},
          `${company} · `,
          m.agentItem(a.agent.name, a.matters === 'all' ? m.allMatters : a.matters.join(', '), a.validUntil.slice(0, 10), m.agentStatus[a.status] ?? a.status),
        ),
        a.status !== 'active'
          ? null
          : actionButton(
              m.agentShow,
              () =>
                void (async () => {
                  await drawLive(a.credential, state.agent!.keys, subject.licence?.identifier ?? a.licenceId);
                  byId('show-status').textContent = '';
                  await openShowDialog(`${m.agentModeTitle} · ${company}`);
                })(),
              'primary',
            ),
      );
    }),
  );
}

function closeShow(): void {
  clearTimeout(state.liveTimer);
  state.liveTimer = undefined;
  byId('show').hidden = true;
  byId('main').removeAttribute('aria-hidden');
  state.showing = undefined;
  void state.wakeLock?.release().catch(() => undefined);
  state.wakeLock = undefined;
}

function applyLanguage(): void {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = t().title;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const value = (t() as unknown as Record<string, unknown>)[node.dataset['i18n']!];
    if (typeof value === 'string') node.textContent = value;
  }
  render();
}

/** A code typed or linked while the app runs: exchanged, then the list fetched. */
async function openWith(code: string, fromLink = false): Promise<void> {
  await exchange(code, fromLink);
  render();
  await refresh();
}

async function startAgentMode(): Promise<void> {
  state.agentMode = true;
  const invitation = location.hash ? (new URLSearchParams(location.hash.slice(1)).get('i') ?? undefined) : undefined;
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
  state.agent = await loadAgent();
  applyLanguage();
  if (invitation) await acceptInvitation(invitation);
  render();
  await refreshAgentAuthorisations();
  render();
  document.body.dataset['ready'] = '1';
}

async function start(): Promise<void> {
  if (new URLSearchParams(location.search).get('mode') === 'agent') {
    wireCommon();
    return startAgentMode();
  }
  const code = takeCodeFromFragment();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => undefined);
  // Ask the browser to keep this data (licences for offline use) under storage pressure.
  void navigator.storage?.persist?.().catch(() => false);

  wireCommon();
  byId('register-device').addEventListener('click', () => void registerThisDevice());
  byId('agent-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void inviteAgentFromForm();
  });
  byId('code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('code');
    const typed = input.value;
    input.value = '';
    void openWith(typed);
  });
  byId('refresh').addEventListener('click', () => void refresh());
  byId('sign-out').addEventListener('click', async () => {
    if (state.session && state.device) await fetch(api(`v1/devices/${encodeURIComponent(state.device.id)}`), { method: 'DELETE', headers: auth() }).catch(() => undefined);
    if (state.session) await fetch(api('v1/session'), { method: 'DELETE', headers: auth() }).catch(() => undefined);
    await forgetAll();
    state.session = undefined;
    state.device = undefined;
    state.devices = [];
    state.authorisations = [];
    state.stored = undefined;
    render();
  });
  // A link opened while the app is already open changes only the fragment: take that code too.
  window.addEventListener('hashchange', () => {
    const next = takeCodeFromFragment();
    if (next) void openWith(next, true);
  });
  window.addEventListener('online', () => void refresh());
  window.addEventListener('offline', renderFreshness);
  setInterval(renderFreshness, 30_000);

  [state.session, state.stored, state.device] = await Promise.all([loadSession(), loadList(), loadDevice()]);
  if (code) await exchange(code, true);
  applyLanguage();
  if (state.session) await refresh();
  else if (!code && !state.stored) byId('sign-in').hidden = false;
  document.body.dataset['ready'] = '1';
}

/** What both modes share: the language switch and the show dialog. */
function wireCommon(): void {
  byId('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    saveLang(state.lang);
    applyLanguage();
  });
  byId('show-close').addEventListener('click', closeShow);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !byId('show').hidden) closeShow();
  });
  document.addEventListener('visibilitychange', () => {
    // A wake lock is dropped when the page is hidden; take it again when the licence is still shown.
    if (document.visibilityState === 'visible' && state.showing && !state.wakeLock) void show(state.showing);
  });
}

void start();
