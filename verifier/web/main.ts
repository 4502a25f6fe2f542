/**
 * The inspectors' verifier app (docs/verifier-app.md): scan / pick / paste a licence QR, verify it
 * offline with the verifier library against the bundle kept in IndexedDB, show the answer full screen.
 */
import { MESSAGES, ageText, verify, type VerifierBundle, type VerifyResult } from '../index.js';
import { BUILT_IN_ANCHORS, fingerprintText, offeredKeys, unpinned, withAdded, type OfferedKey } from './anchors.js';
import { apiUrl, fetchBundle } from './bundle-sync.js';
import { startCameraScan, type CameraScan } from './camera.js';
import { byId, el } from './dom.js';
import { TEXTS, initialLang, saveLang, type Lang } from './i18n.js';
import { readQrFromFile } from './qr-decode.js';
import { renderResult } from './result-view.js';
import { dataAges, type Freshness } from './signed-times.js';
import { warmUp } from './warm-up.js';
import {
  forgetAnchors,
  loadAnchors,
  loadBundle,
  loadSequences,
  loadStatusListsSeen,
  saveAnchors,
  saveBundle,
  saveSequences,
  saveStatusListsSeen,
  type PinnedAnchors,
  type StoredBundle,
} from './storage.js';

const EMPTY_BUNDLE: VerifierBundle = { version: 1, generatedAt: '1970-01-01T00:00:00Z', trustLists: [], statusLists: [] };

const state: {
  lang: Lang;
  stored: StoredBundle | undefined;
  anchors: PinnedAnchors | undefined;
  sequences: Record<string, number>;
  statusListsSeen: Record<string, number>;
  camera: CameraScan | undefined;
  last: VerifyResult | undefined;
} = { lang: initialLang(), stored: undefined, anchors: undefined, sequences: {}, statusListsSeen: {}, camera: undefined, last: undefined };

const t = () => TEXTS[state.lang];
/** What the app shares with the command line: freshness words here. */
const fresh = () => MESSAGES[state.lang].freshness;

function setMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const message = byId('message');
  message.textContent = text;
  message.dataset.kind = kind;
}

/** Static labels carry data-i18n="<key>"; everything else is rendered from state. */
function applyLanguage(): void {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t().title}`;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const value = (t() as Record<string, unknown>)[node.dataset.i18n!];
    if (typeof value === 'string') node.textContent = value;
  }
  byId<HTMLTextAreaElement>('paste-text').placeholder = t().pastePlaceholder;
  renderFreshness();
  renderAnchorsList();
  if (state.last && !byId('result').hidden) showResult(state.last);
}

const agoText = (seconds: number) => ageText(seconds, state.lang);

function freshnessLine(label: string, ageSeconds: number | undefined, freshness: Freshness): HTMLElement {
  const note = freshness === 'stale' ? fresh().tooOld : freshness === 'grace' ? fresh().inGrace : freshness === 'missing' ? fresh().none : '';
  return el(
    'div',
    { class: `age age-${freshness}` },
    el('span', { class: 'age-label' }, label),
    el('span', { class: 'age-value' }, ageSeconds === undefined ? fresh().none : agoText(ageSeconds)),
    note && ageSeconds !== undefined ? el('span', { class: 'age-note' }, note) : null,
  );
}

/** The always-visible line saying how old the trust and status data are (and warning when too old). */
function renderFreshness(): void {
  const box = byId('freshness');
  const now = Date.now();
  if (!state.stored) {
    box.dataset.state = 'missing';
    box.replaceChildren(el('p', { class: 'age age-missing' }, t().neverSynced));
    return;
  }
  const ages = dataAges(state.stored.bundle, now);
  const worst = [ages.trust?.state ?? 'missing', ages.status?.state ?? 'missing'].includes('stale') || !ages.trust || !ages.status ? 'stale' : ages.trust.state === 'grace' ? 'grace' : 'fresh';
  box.dataset.state = worst;
  box.replaceChildren(
    freshnessLine(fresh().trustList, ages.trust?.ageSeconds, ages.trust?.state ?? 'missing'),
    freshnessLine(`${fresh().statusLists}${ages.status ? ` (${ages.status.count})` : ''}`, ages.status?.ageSeconds, ages.status?.state ?? 'missing'),
    el('div', { class: 'age age-sync' }, el('span', { class: 'age-label' }, t().lastSync), el('span', { class: 'age-value' }, agoText((now - state.stored.syncedAt) / 1000))),
  );
}

function renderAnchorsList(): void {
  const list = byId('anchors-list');
  const keys = BUILT_IN_ANCHORS ? null : state.anchors?.thumbprints;
  byId('anchors-builtin').hidden = !BUILT_IN_ANCHORS;
  byId('forget-anchors').hidden = !!BUILT_IN_ANCHORS || !state.anchors;
  if (BUILT_IN_ANCHORS) {
    list.replaceChildren(...BUILT_IN_ANCHORS.keys.map((k) => el('li', { class: 'fingerprint' }, String(k.kid ?? k.x))));
    return;
  }
  list.replaceChildren(...(keys?.length ? keys.map((k) => el('li', { class: 'fingerprint' }, fingerprintText(k))) : [el('li', {}, fresh().none)]));
}

/** Shows the offered keys' fingerprints and resolves true only on an explicit confirmation. */
function confirmAnchors(keys: OfferedKey[], first: boolean): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('anchors-dialog');
  byId('anchors-intro').textContent = first ? t().anchorsIntro : t().anchorsNew;
  byId('anchors-offered').replaceChildren(...keys.map((k) => el('li', { class: 'fingerprint' }, fingerprintText(k.thumbprint))));
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      confirm.removeEventListener('click', yes);
      cancel.removeEventListener('click', no);
      dialog.close();
      resolve(answer);
    };
    const confirm = byId('anchors-confirm');
    const cancel = byId('anchors-cancel');
    const yes = () => done(true);
    const no = () => done(false);
    confirm.addEventListener('click', yes);
    cancel.addEventListener('click', no);
  });
}

async function syncAnchors(): Promise<void> {
  if (BUILT_IN_ANCHORS) return;
  const response = await fetch(apiUrl('.well-known/trust-anchor.json'), { cache: 'no-store' });
  if (!response.ok) return; // Not an anchor deployment: keep whatever is pinned.
  const offered = unpinned(await offeredKeys(await response.json()), state.anchors);
  if (offered.length === 0) return;
  if (!(await confirmAnchors(offered, !state.anchors))) return;
  state.anchors = withAdded(state.anchors, offered, Date.now());
  await saveAnchors(state.anchors);
  renderAnchorsList();
}

async function sync(): Promise<void> {
  const button = byId<HTMLButtonElement>('sync');
  button.disabled = true;
  button.textContent = t().syncing;
  try {
    await syncAnchors();
    const outcome = await fetchBundle(state.stored, Date.now());
    state.stored = outcome.stored;
    await saveBundle(outcome.stored);
    setMessage(outcome.kind === 'updated' ? t().syncedOk : t().syncNotModified);
    document.body.dataset.synced = String(outcome.stored.syncedAt);
    warm();
  } catch {
    setMessage(t().syncFailed, 'error');
  } finally {
    button.disabled = false;
    button.textContent = t().sync;
    renderFreshness();
  }
}

function showResult(result: VerifyResult): void {
  renderResult(byId('result'), result, state.lang, closeResult);
  byId('home').hidden = true;
}

function closeResult(): void {
  byId('result').hidden = true;
  byId('home').hidden = false;
  state.last = undefined;
}

/**
 * Keeps the highest trust list sequence per anchor and the newest status list per URL that a verdict
 * used, so an older list (a replay that could hide a withdrawal or a revocation) is refused from now on.
 */
async function rememberSeen(result: VerifyResult): Promise<void> {
  let sequencesChanged = false;
  for (const list of result.trustLists) {
    if ((state.sequences[list.anchorId] ?? -1) < list.sequence) {
      state.sequences = { ...state.sequences, [list.anchorId]: list.sequence };
      sequencesChanged = true;
    }
  }
  let listsChanged = false;
  for (const list of result.statusLists) {
    if ((state.statusListsSeen[list.url] ?? -1) < list.issuedAt) {
      state.statusListsSeen = { ...state.statusListsSeen, [list.url]: list.issuedAt };
      listsChanged = true;
    }
  }
  if (sequencesChanged) await saveSequences(state.sequences);
  if (listsChanged) await saveStatusListsSeen(state.statusListsSeen);
}

const currentAnchors = () => BUILT_IN_ANCHORS ?? { keys: state.anchors?.keys ?? [] };

/** Pre-verifies the held lists in the background so the first scan is as fast as the next. */
function warm(): void {
  if (state.stored) void warmUp(state.stored.bundle, currentAnchors(), state.sequences);
}

/** From a decoded QR text to the verdict on screen; measured with performance marks. */
async function verifyText(text: string): Promise<void> {
  performance.mark('elicence:decoded');
  const result = await verify(text.trim(), state.stored?.bundle ?? EMPTY_BUNDLE, {
    anchors: currentAnchors(),
    trustListSequences: state.sequences,
    statusListsSeen: state.statusListsSeen,
  });
  state.last = result;
  showResult(result);
  performance.mark('elicence:verdict');
  const measure = performance.measure('elicence:decode-to-verdict', 'elicence:decoded', 'elicence:verdict');
  byId('result').dataset.ms = measure.duration.toFixed(1);
  void rememberSeen(result);
}

async function onFile(input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  setMessage(t().decoding);
  const text = await readQrFromFile(file).catch(() => undefined);
  if (!text) {
    setMessage(t().noQrFound, 'error');
    return;
  }
  setMessage('');
  await verifyText(text);
}

async function toggleCamera(): Promise<void> {
  const panel = byId('camera');
  if (state.camera) {
    state.camera.stop();
    state.camera = undefined;
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  try {
    state.camera = await startCameraScan(byId<HTMLVideoElement>('video'), (text) => {
      state.camera = undefined;
      panel.hidden = true;
      void verifyText(text);
    });
  } catch {
    panel.hidden = true;
    setMessage(t().cameraUnavailable, 'error');
  }
}

function wire(): void {
  byId('lang').addEventListener('click', () => {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    saveLang(state.lang);
    applyLanguage();
  });
  byId('sync').addEventListener('click', () => void sync());
  byId('scan').addEventListener('click', () => void toggleCamera());
  byId('camera-stop').addEventListener('click', () => void toggleCamera());
  const file = byId<HTMLInputElement>('file');
  file.addEventListener('change', () => void onFile(file));
  byId<HTMLFormElement>('paste-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = byId<HTMLTextAreaElement>('paste-text').value;
    if (text.trim()) void verifyText(text);
  });
  byId('forget-anchors').addEventListener('click', () => {
    state.anchors = undefined;
    void forgetAnchors();
    renderAnchorsList();
  });
  // The ages move while the page stays open.
  setInterval(renderFreshness, 30_000);
}

async function start(): Promise<void> {
  wire();
  [state.stored, state.anchors, state.sequences, state.statusListsSeen] = await Promise.all([loadBundle(), loadAnchors(), loadSequences(), loadStatusListsSeen()]);
  applyLanguage();
  warm();
  document.body.dataset.ready = 'true';
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {
      // Without a service worker the app still works online.
    });
  }
}

void start();
