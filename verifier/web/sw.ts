/**
 * Service worker of the verifier app: precaches the app shell (index, hashed scripts and styles, the
 * jsQR chunk, icon, manifest) so the app opens and verifies with no network. The page is fetched
 * network-first (a new release reaches inspectors when online), everything else cache-first (asset
 * names are content hashes, so a cached one is never outdated). Data requests (the bundle, anchor
 * keys) are not touched: the app keeps that data in IndexedDB itself.
 */

// Minimal service worker types: the project's type-check runs with the DOM library, not WebWorker.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ServiceWorkerScope {
  readonly location: Location;
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}

declare const __ELICENCE_BUILD_ID__: string;
declare const __ELICENCE_PRECACHE__: string[];

const worker = self as unknown as ServiceWorkerScope;
const CACHE_PREFIX = 'elicence-verifier-';
const CACHE = `${CACHE_PREFIX}${__ELICENCE_BUILD_ID__}`;
const scope = new URL(worker.registration.scope);
const INDEX = new URL('./', scope).toString();

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(__ELICENCE_PRECACHE__.map((path) => new URL(path, scope).toString())))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => worker.clients.claim()),
  );
});

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(INDEX, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(INDEX);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached ?? fetch(request);
}

worker.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const isPage = request.mode === 'navigate' || url.toString() === INDEX || url.pathname === `${scope.pathname}index.html`;
  event.respondWith(isPage ? networkFirst(request) : cacheFirst(request));
});
