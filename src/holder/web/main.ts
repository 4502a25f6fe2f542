/**
 * The holder app (docs/holder-app.md): a business opens the link the authority gave it
 * (`/holder/#c=<holder code>`); the code is taken from the fragment, removed from the address bar,
 * exchanged once for a holder session and forgotten. The app lists the holder's licences with their
 * status, validity (China dates), identifier and history, keeps the last list and each QR in IndexedDB,
 * and works offline after the first use (service worker). Every status shown carries how long ago it
 * was checked: offline, a licence is never shown as valid without its age.
 */
import { byId, el } from './dom.js';
import { ageText, initialLang, type Lang, type Status, saveLang, TEXTS } from './i18n.js';
import { forgetAll, type HolderLicence, type LicenceList, loadList, loadQr, loadSession, type StoredList, type StoredSession, saveList, saveQr, saveSession } from './storage.js';

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
} = { lang: initialLang(), session: undefined, stored: undefined, refreshFailed: false, showing: undefined, wakeLock: undefined, qrUrl: undefined };

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

async function exchange(code: string): Promise<void> {
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
  if (!previous || previous.authority.id !== session.authority.id || previous.holder.creditCode !== session.holder.creditCode) {
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
  if (state.showing) byId('show-status').textContent = `${t().status[statusOf(state.showing)]} · ${freshnessText()}`;
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
  renderFreshness();
}

async function show(licence: HolderLicence): Promise<void> {
  const m = t();
  const svg = await loadQr(licence.id, licence.checkCode);
  let source: Blob | undefined = svg ? new Blob([svg], { type: 'image/svg+xml' }) : undefined;
  if (!source) {
    const response = await fetch(api(licence.links['qrSvg']!), { headers: auth() }).catch(() => undefined);
    if (response?.ok) source = await response.blob();
  }
  if (!source) return setMessage(m.downloadFailed);
  if (state.qrUrl) URL.revokeObjectURL(state.qrUrl);
  state.qrUrl = URL.createObjectURL(source);
  state.showing = licence;
  const identifier = licence.licenceIdentifier ?? licence.id;
  byId('show-title').textContent = `${licence.typeName[state.lang]} · ${licence.holderName ?? ''}`;
  const image = byId<HTMLImageElement>('show-qr');
  image.src = state.qrUrl;
  image.alt = m.qrAlt(identifier, licence.checkCode);
  byId('show-text').textContent = m.qrText(identifier, licence.checkCode);
  byId('show').hidden = false;
  byId('main').setAttribute('aria-hidden', 'true');
  renderFreshness();
  byId('show-close').focus();
  // Keep the screen on while the licence is shown (where the browser allows it).
  const wakeLock = (navigator as Navigator & { wakeLock?: { request(type: 'screen'): Promise<WakeLockSentinel> } }).wakeLock;
  state.wakeLock = await wakeLock?.request('screen').catch(() => undefined);
}

function closeShow(): void {
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
async function openWith(code: string): Promise<void> {
  await exchange(code);
  render();
  await refresh();
}

async function start(): Promise<void> {
  const code = takeCodeFromFragment();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => undefined);
  // Ask the browser to keep this data (licences for offline use) under storage pressure.
  void navigator.storage?.persist?.().catch(() => false);

  byId('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    saveLang(state.lang);
    applyLanguage();
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
    if (state.session) await fetch(api('v1/session'), { method: 'DELETE', headers: auth() }).catch(() => undefined);
    await forgetAll();
    state.session = undefined;
    state.stored = undefined;
    render();
  });
  byId('show-close').addEventListener('click', closeShow);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && state.showing) closeShow();
  });
  document.addEventListener('visibilitychange', () => {
    // A wake lock is dropped when the page is hidden; take it again when the licence is still shown.
    if (document.visibilityState === 'visible' && state.showing && !state.wakeLock) void show(state.showing);
  });
  // A link opened while the app is already open changes only the fragment: take that code too.
  window.addEventListener('hashchange', () => {
    const next = takeCodeFromFragment();
    if (next) void openWith(next);
  });
  window.addEventListener('online', () => void refresh());
  window.addEventListener('offline', renderFreshness);
  setInterval(renderFreshness, 30_000);

  [state.session, state.stored] = await Promise.all([loadSession(), loadList()]);
  if (code) await exchange(code);
  applyLanguage();
  if (state.session) await refresh();
  else if (!code && !state.stored) byId('sign-in').hidden = false;
  document.body.dataset['ready'] = '1';
}

void start();
