// The rider's pages without signal: this service worker keeps the app
// itself (the page and its scripts and styles) so a rider with no network
// can still open it and write a 随手拍, which the app keeps on the phone
// and sends when the signal returns (src/rider/reports/queue.ts). The API
// is never cached: its answers are personal and must be current.
//
// - /assets/…: named by their content's hash, so a cached copy is always
//   right: cache first, stored the first time they are fetched.
// - a page under /m/: the network first (a release is seen at once), the
//   cached app when there is no network.
const CACHE = 'nuanxin-rider'
const SHELL = '/m/'
// Old releases' files are let go beyond this many (oldest first).
const MAX_ASSETS = 300

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      const res = await fetch(SHELL, { cache: 'no-cache' })
      if (res.ok) {
        const html = await res.clone().text()
        await cache.put(SHELL, res)
        const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1])
        await cache.addAll(assets)
      }
      await self.skipWaiting()
    })(),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim())
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
  if (res.ok) {
    await cache.put(req, res.clone())
    const keys = await cache.keys()
    for (const old of keys.filter((k) => new URL(k.url).pathname !== SHELL).slice(0, -MAX_ASSETS)) await cache.delete(old)
  }
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
    if (shell) return shell
    throw e
  }
}
