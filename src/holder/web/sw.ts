/**
 * Service worker of the holder app: precaches the app shell (index, hashed script and style, icon,
 * manifest) so the app opens with no network. The page is fetched network-first (a new release
 * reaches holders when online), the shell's files cache-first (their names are content hashes). The
 * holder API (`v1/...` under the scope) is never touched: the app keeps its data in IndexedDB itself,
 * and a response carrying one holder's licences must never sit in a cache.
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
const CACHE_PREFIX = 'elicence-holder-';
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
  if (url.pathname.startsWith(`${scope.pathname}v1/`)) return;
  const isPage = request.mode === 'navigate' || url.toString() === INDEX || url.pathname === `${scope.pathname}index.html`;
  event.respondWith(isPage ? networkFirst(request) : cacheFirst(request));
});

// A module of its own (its names must not meet the verifier's service worker in one type-check).
export {};
