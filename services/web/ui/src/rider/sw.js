// The rider's pages without signal: this service worker keeps the app
// itself on the phone (the page and every script, style and font the
// rider's pages use) so a rider with no network can still open it and
// write a 随手拍, which the app keeps and sends when the signal returns
// (src/rider/reports/queue.ts). The API is never cached: its answers are
// personal and must be current.
//
// The build (vite.config.ts, riderServiceWorker) writes this file to
// /m/sw.js with PRECACHE set to the list of the release's files: each
// release is a new worker, which keeps its files and lets the last
// release's go.
//
// - /assets/…: named by their content's hash, so a kept copy is always
//   right: cache first.
// - a page under /m/: the network first (a release is seen at once), the
//   kept page when there is no network.
const PRECACHE = self.__PRECACHE__
const CACHE = 'nuanxin-rider'
const SHELL = '/m/'

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      await cache.addAll([SHELL, ...PRECACHE])
      await self.skipWaiting()
    })(),
  )
})

// The new release's worker takes over the open pages and lets go of the
// files no longer in the app.
self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      const keep = new Set([SHELL, ...PRECACHE])
      for (const req of await cache.keys()) if (!keep.has(new URL(req.url).pathname)) await cache.delete(req)
      await self.clients.claim()
    })(),
  )
})

self.addEventListener('fetch', (event) => {
  const req = event.request
  if (req.method !== 'GET') return
  const url = new URL(req.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/assets/')) event.respondWith(cacheFirst(req))
  else if (req.mode === 'navigate' && url.pathname.startsWith('/m/')) event.respondWith(networkFirst(req))
})

async function cacheFirst(req) {
  const cache = await caches.open(CACHE)
  const hit = await cache.match(req)
  if (hit) return hit
  const res = await fetch(req)
  if (res.ok) await cache.put(req, res.clone())
  return res
}

async function networkFirst(req) {
  const cache = await caches.open(CACHE)
  try {
    const res = await fetch(req)
    if (res.ok && (res.headers.get('Content-Type') || '').startsWith('text/html')) await cache.put(SHELL, res.clone())
    return res
  } catch (e) {
    const shell = await cache.match(SHELL)
    if (!shell) throw e
    // Marked, so that whoever looks (a journey, an engineer with the
    // browser's tools) sees the page came from the phone.
    const headers = new Headers(shell.headers)
    headers.set('X-Served-From', 'phone')
    return new Response(shell.body, { status: shell.status, headers })
  }
}
