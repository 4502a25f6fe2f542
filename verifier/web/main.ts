/**
 * The inspectors' verifier app (docs/verifier-app.md): scan / pick / paste a licence QR, verify it
 * offline with the verifier library against the bundle kept in IndexedDB, show the answer full screen.
 */
import { ageText, type BundleFreshness, type FreshnessState, freshness, MESSAGES, type VerifierBundle, type VerifyOptions, type VerifyResult, verify } from '../index.js';
import { anchorsOf, BUILT_IN_ANCHORS, builtInAnchorId, builtInKids, fingerprintText, type Offer, offeredKeys, unpinned, withAdded } from './anchors.js';
import { apiUrl, fetchBundle } from './bundle-sync.js';
import { type CameraScan, startCameraScan } from './camera.js';
import { byId, el } from './dom.js';
import { initialLang, type Lang, saveLang, TEXTS } from './i18n.js';
import { readQrFromFile } from './qr-decode.js';
import { renderResult } from './result-view.js';
import {
  forgetAnchors,
  loadAnchorBindings,
  loadAnchors,
  loadBundle,
  loadProvinceOnly,
  loadSequences,
  loadStatusListsSeen,
  loadStatusVersionsSeen,
  type PinnedAnchors,
  type StoredBundle,
  saveAnchorBindings,
  saveAnchors,
  saveBundle,
  saveProvinceOnly,
  saveSequences,
  saveStatusListsSeen,
  saveStatusVersionsSeen,
} from './storage.js';
import { warmUp } from './warm-up.js';

const EMPTY_BUNDLE: VerifierBundle = { version: 1, generatedAt: '1970-01-01T00:00:00Z', trustLists: [], statusLists: [] };

const state: {
  lang: Lang;
  stored: StoredBundle | undefined;
  anchors: PinnedAnchors | undefined;
  sequences: Record<string, number>;
  statusListsSeen: Record<string, number>;
  statusVersionsSeen: Record<string, number>;
  anchorBindings: Record<string, string>;
  provinceOnly: boolean;
  freshness: BundleFreshness | undefined;
  camera: CameraScan | undefined;
  last: VerifyResult | undefined;
} = {
  lang: initialLang(),
  stored: undefined,
  anchors: undefined,
  sequences: {},
  statusListsSeen: {},
  statusVersionsSeen: {},
  anchorBindings: {},
  provinceOnly: false,
  freshness: undefined,
  camera: undefined,
  last: undefined,
};

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

function freshnessLine(label: string, ageSeconds: number | undefined, state: FreshnessState, detail = ''): HTMLElement {
  const note = state === 'stale' ? fresh().tooOld : state === 'grace' ? fresh().inGrace : state === 'missing' ? fresh().none : '';
  return el(
    'div',
    { class: `age age-${state}` },
    el('span', { class: 'age-label' }, `${label}${detail}`),
    el('span', { class: 'age-value' }, ageSeconds === undefined ? fresh().none : agoText(ageSeconds)),
    note && ageSeconds !== undefined ? el('span', { class: 'age-note' }, note) : null,
  );
}

/** What the library needs besides the input: pinned anchors and what this device remembers. */
const verifyOptions = (): VerifyOptions => ({
  anchors: anchorsOf(state.anchors),
  trustListSequences: state.sequences,
  statusListsSeen: state.statusListsSeen,
  statusVersionsSeen: state.statusVersionsSeen,
  anchorBindings: state.anchorBindings,
  provinceOnly: state.stored?.provinceOnly !== undefined,
});

/** Recomputes how fresh the verified data is, per province, then redraws the line. */
async function refreshFreshness(): Promise<void> {
  state.freshness = state.stored ? await freshness(state.stored.bundle, verifyOptions()).catch(() => undefined) : undefined;
  renderFreshness();
}

/**
 * The always-visible lines saying how old each province's trust and status data are (and warning
 * when too old), from verified pieces only.
 */
function renderFreshness(): void {
  const box = byId('freshness');
  const now = Date.now();
  if (!state.stored) {
    box.dataset.state = 'missing';
    box.replaceChildren(el('p', { class: 'age age-missing' }, t().neverSynced));
    return;
  }
  const data = state.freshness;
  box.dataset.state = data?.state === 'missing' || !data ? 'stale' : data.state;
  const lines: HTMLElement[] = [];
  for (const p of data?.provinces ?? []) {
    const name = ` · ${p.name[state.lang]}`;
    lines.push(freshnessLine(fresh().trustList, p.trustListAge, p.trustListState, name));
    lines.push(freshnessLine(fresh().statusLists, p.oldestStatusAge, p.statusState, `${name} (${p.statusLists})`));
  }
  if (lines.length === 0) lines.push(freshnessLine(fresh().trustList, undefined, 'missing'));
  lines.push(
    el('div', { class: 'age age-sync' }, el('span', { class: 'age-label' }, t().lastSync), el('span', { class: 'age-value' }, agoText((now - state.stored.syncedAt) / 1000))),
  );
  box.replaceChildren(...lines);
}

function renderAnchorsList(): void {
  const list = byId('anchors-list');
  const keys = BUILT_IN_ANCHORS ? null : state.anchors?.thumbprints;
  byId('anchors-builtin').hidden = !BUILT_IN_ANCHORS;
  byId('forget-anchors').hidden = !!BUILT_IN_ANCHORS || !state.anchors;
  if (BUILT_IN_ANCHORS) {
    list.replaceChildren(...builtInKids().map((kid) => el('li', { class: 'fingerprint' }, kid)));
    return;
  }
  list.replaceChildren(...(keys?.length ? keys.map((k) => el('li', { class: 'fingerprint' }, fingerprintText(k))) : [el('li', {}, fresh().none)]));
}

/** Shows the offered anchor id and keys' fingerprints and resolves true only on an explicit confirmation. */
function confirmAnchors(offer: Offer, first: boolean): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('anchors-dialog');
  byId('anchors-intro').textContent = first ? t().anchorsIntro : t().anchorsNew;
  byId('anchors-offered').replaceChildren(
    ...(offer.anchorId === undefined ? [] : [el('li', { class: 'anchor-id' }, offer.anchorId)]),
    ...offer.keys.map((k) => el('li', { class: 'fingerprint' }, fingerprintText(k.thumbprint))),
  );
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
  if (offered.keys.length === 0 && offered.anchorId === undefined) return;
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
    const anchorId = state.provinceOnly ? (state.anchors?.anchorId ?? builtInAnchorId()) : undefined;
    const outcome = await fetchBundle(state.stored, Date.now(), verifyOptions(), { provinceOnly: anchorId });
    state.stored = outcome.stored;
    await saveBundle(outcome.stored);
    setMessage(outcome.kind === 'updated' ? t().syncedOk : t().syncNotModified);
    // The freshness line reflects the new data before the page says it synced.
    await refreshFreshness();
    document.body.dataset.synced = String(outcome.stored.syncedAt);
    if (outcome.kind === 'updated') document.body.dataset.syncBytes = String(outcome.bytes);
    warm();
  } catch {
    setMessage(t().syncFailed, 'error');
  } finally {
    button.disabled = false;
    button.textContent = t().sync;
    void refreshFreshness();
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
  let versionsChanged = false;
  for (const list of result.statusLists) {
    // Per issuer and URL (seenKey): another authority's pieces naming the same URL never raise this issuer's.
    if ((state.statusListsSeen[list.seenKey] ?? -1) < list.issuedAt) {
      state.statusListsSeen = { ...state.statusListsSeen, [list.seenKey]: list.issuedAt };
      listsChanged = true;
    }
    if (list.version !== undefined && (state.statusVersionsSeen[list.seenKey] ?? -1) < list.version) {
      state.statusVersionsSeen = { ...state.statusVersionsSeen, [list.seenKey]: list.version };
      versionsChanged = true;
    }
  }
  const newBindings = Object.entries(result.anchorBindings).filter(([kid, id]) => state.anchorBindings[kid] !== id);
  if (newBindings.length > 0) state.anchorBindings = { ...state.anchorBindings, ...Object.fromEntries(newBindings) };
  if (sequencesChanged) await saveSequences(state.sequences);
  if (listsChanged) await saveStatusListsSeen(state.statusListsSeen);
  if (versionsChanged) await saveStatusVersionsSeen(state.statusVersionsSeen);
  if (newBindings.length > 0) await saveAnchorBindings(state.anchorBindings);
}

/** Pre-verifies the held lists in the background so the first scan is as fast as the next. */
function warm(): void {
  if (state.stored) void warmUp(state.stored.bundle, verifyOptions());
}

/** From a decoded QR text to the verdict on screen; measured with performance marks. */
async function verifyText(text: string): Promise<void> {
  performance.mark('elicence:decoded');
  const result = await verify(text.trim(), state.stored?.bundle ?? EMPTY_BUNDLE, verifyOptions());
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
  const provinceOnly = byId<HTMLInputElement>('province-only');
  provinceOnly.addEventListener('change', () => {
    state.provinceOnly = provinceOnly.checked;
    void saveProvinceOnly(state.provinceOnly);
  });
  byId('forget-anchors').addEventListener('click', () => {
    state.anchors = undefined;
    void forgetAnchors();
    renderAnchorsList();
  });
  // The ages move while the page stays open.
  setInterval(() => void refreshFreshness(), 30_000);
}

async function start(): Promise<void> {
  wire();
  [state.stored, state.anchors, state.sequences, state.statusListsSeen, state.statusVersionsSeen, state.anchorBindings, state.provinceOnly] = await Promise.all([
    loadBundle(),
    loadAnchors(),
    loadSequences(),
    loadStatusListsSeen(),
    loadStatusVersionsSeen(),
    loadAnchorBindings(),
    loadProvinceOnly(),
  ]);
  byId<HTMLInputElement>('province-only').checked = state.provinceOnly;
  applyLanguage();
  await refreshFreshness();
  warm();
  document.body.dataset.ready = 'true';
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' }).catch(() => {
      // Without a service worker the app still works online.
    });
  }
}

void start();
