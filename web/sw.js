// Samvaer family app service worker: keeps the app shell in a versioned cache so the app opens without a
// network (and then says it is reconnecting), shows Web Push notifications, and opens the app when one is tapped.
// Static files (the shell, and any other page file fetched once) are answered from the cache first and refreshed
// from the network behind the answer, so the next start gets the new version; bump SHELL_VERSION to drop the old
// cache at once. The WebSocket (/ws), the admin console and the APIs never go through the cache.

const SHELL_VERSION = 'v3';
const CACHE = `samvaer-shell-${SHELL_VERSION}`;
// The page, its style, the manifest, icons and the language catalogs; the JavaScript modules are found from
// /app.js's imports at install.
const SHELL_FILES = [
  '/index.html', '/app.css', '/media.css', '/manifest.json', '/icons/icon.svg', '/icons/icon-192.png', '/icons/icon-512.png',
  ...['en', 'ro', 'da', 'it', 'es'].map((lang) => `/i18n/${lang}.json`),
];
const NEVER = /^\/(ws|api|admin|metrics|healthz|files|media)(\/|$)/; // uploads and media: never cached here
const STATIC = /(^\/$|\.(html|js|css|json|svg|png)$)/;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Fetch into the cache, skipping the HTTP cache so a new version never stores old copies; returns the text. */
async function store(cache, path) {
  const response = await fetch(new Request(path, { cache: 'reload' }));
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  await cache.put(path, response.clone());
  return response.text();
}

/** /app.js and every module it imports, directly or not (static imports only, as the app writes them). */
async function storeModules(cache) {
  const seen = new Set();
  const walk = async (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = await store(cache, path);
    const base = new URL(path, self.location.origin);
    const next = [...text.matchAll(IMPORT)].map((m) => new URL(m[1], base).pathname);
    await Promise.all(next.map(walk));
  };
  await walk('/app.js');
}

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => Promise.all([...SHELL_FILES.map((path) => store(cache, path)), storeModules(cache)]))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('samvaer-shell-') && k !== CACHE)
      .map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

/** Fetch a fresh copy of a shell file and keep it for next time; resolves with the response (or rejects offline). */
async function refresh(cache, key, request) {
  const response = await fetch(request, { cache: 'no-cache' });
  if (response.ok && response.type === 'basic') await cache.put(key, response.clone());
  return response;
}

async function fromShell(request, key, event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(key);
  const fresh = refresh(cache, key, request);
  if (cached) {
    event.waitUntil(fresh.catch(() => {}));
    return cached;
  }
  return fresh;
}

/** A page outside the shell (a link into the app): the network, or the cached app when there is none. */
async function navigate(request) {
  try {
    return await fetch(request);
  } catch (err) {
    const cached = await caches.match('/index.html', { cacheName: CACHE });
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER.test(url.pathname)) return;
  if (STATIC.test(url.pathname)) {
    const key = url.pathname === '/' ? '/index.html' : url.pathname;
    event.respondWith(fromShell(request, key, event));
  } else if (request.mode === 'navigate') {
    event.respondWith(navigate(request));
  }
});

// ---- Web Push (payload agreed with the server: {kind, title, body, tag, url}; never a message's text) ----

function pushPayload(event) {
  try {
    const data = event.data ? event.data.json() : null;
    if (data && typeof data === 'object') return data;
  } catch (e) { /* not JSON: show the generic notice below */ }
  return {};
}

/** A title for a push that came without one, in the device's language from the cached catalogs. */
async function fallbackTitle(call) {
  const key = call ? 'notify.call_fallback' : 'notify.message_fallback';
  const langs = [...(self.navigator.languages || []), 'en'].map((tag) => String(tag).slice(0, 2).toLowerCase());
  const cache = await caches.open(CACHE);
  for (const lang of langs) {
    const hit = await cache.match(`/i18n/${lang}.json`);
    const catalog = hit ? await hit.json().catch(() => ({})) : {};
    if (typeof catalog[key] === 'string') return catalog[key];
  }
  return call ? 'Someone is calling' : 'New message';
}

async function showPush(p) {
  const call = p.kind === 'call';
  const title = typeof p.title === 'string' && p.title ? p.title : await fallbackTitle(call);
  const options = {
    body: typeof p.body === 'string' ? p.body : '',
    tag: typeof p.tag === 'string' && p.tag ? p.tag : (call ? 'call' : 'message'),
    renotify: true,
    requireInteraction: call,
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    data: { url: typeof p.url === 'string' && p.url ? p.url : '/', kind: call ? 'call' : 'message' },
  };
  if (call) options.vibrate = [600, 300, 600, 300, 600];
  return self.registration.showNotification(title, options);
}

self.addEventListener('push', (event) => {
  event.waitUntil(showPush(pushPayload(event)));
});

/** Only our own pages: a payload's url must stay inside the app. */
function appUrl(raw) {
  try {
    const url = new URL(raw || '/', self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin + '/';
  } catch (e) {
    return self.location.origin + '/';
  }
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = appUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find((w) => new URL(w.url).origin === self.location.origin && !NEVER.test(new URL(w.url).pathname));
    if (open) {
      // The page moves itself (a call in progress must not be reloaded away): see web/js/notify.js.
      open.postMessage({ type: 'open', url: target });
      await open.focus();
      return;
    }
    await self.clients.openWindow(target);
  })());
});
