import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver, VantResolver } from 'unplugin-vue-components/resolvers'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import type { OutputChunk } from 'rollup'

// Two apps, each its own entry and bundle, sharing only the API client
// (src/lib/api.ts): the street-office console (index.html, Element Plus)
// and the rider's phone pages (m/index.html, Vant, under /m/). Both are
// built into ../dist/app, which the Go service embeds (services/web/web.go). Element Plus components are imported on demand,
// with their styles, by the resolver: only what a page uses is shipped,
// and each page is its own chunk (see src/router.ts).
// Vant's icon font is embedded in its CSS (a data: URL of 34 KB), with a
// fallback on Alibaba's CDN that a phone on a closed network or our
// Content-Security-Policy would refuse. The fallback is dropped, and in a
// build the font becomes a file of its own: fetched beside the page (only
// once an icon is drawn), not inside the CSS the first screen waits for.
let building = false
const vantIconFont: Plugin = {
  name: 'nuanxin:vant-icon-font',
  configResolved(c) {
    building = c.command === 'build'
  },
  transform(code, id) {
    if (!/node_modules\/vant\/.*\.css$/.test(id.split('?')[0])) return null
    let out = code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\("[a-z0-9]+"\)/g, '')
    if (!building) return out // the dev server keeps it embedded
    out = out.replace(/url\("?data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)"?\)/, (_, b64: string) => {
      const ref = this.emitFile({ type: 'asset', name: 'vant-icon.woff2', source: Buffer.from(b64, 'base64') })
      return `url(__VITE_ASSET__${ref}__)`
    })
    return out
  },
}

// The rider's service worker (src/rider/sw.js), written to /m/sw.js with
// the list of every file the rider's pages use: the rider entry's chunks,
// static and lazy, their CSS and their fonts. A new release is a new list,
// so a new worker, which keeps the new files and lets the old ones go.
const riderServiceWorker: Plugin = {
  name: 'nuanxin:rider-service-worker',
  apply: 'build',
  generateBundle(_, bundle) {
    const chunks = Object.values(bundle).filter((f): f is OutputChunk => f.type === 'chunk')
    const entry = chunks.find((c) => c.isEntry && c.name === 'rider')
    if (!entry) throw new Error('rider service worker: no rider entry in the bundle')
    const files = new Set<string>()
    const seen = new Set<string>()
    const visit = (name: string) => {
      if (seen.has(name)) return
      seen.add(name)
      const c = bundle[name]
      if (!c || c.type !== 'chunk') return
      files.add(c.fileName)
      c.viteMetadata?.importedCss.forEach((f) => files.add(f))
      c.viteMetadata?.importedAssets.forEach((f) => files.add(f))
      ;[...c.imports, ...c.dynamicImports].forEach(visit)
    }
    visit(entry.fileName)
    // Fonts are named in the CSS, not in the chunks.
    for (const f of Object.values(bundle)) if (f.type === 'asset' && /\.woff2?$/.test(f.fileName)) files.add(f.fileName)
    const list = [...files].sort().map((f) => '/' + f)
    const template = readFileSync(fileURLToPath(new URL('./src/rider/sw.js', import.meta.url)), 'utf8')
    const source = template.replace('const PRECACHE = self.__PRECACHE__', `const PRECACHE = ${JSON.stringify(list)}`)
    if (source === template) throw new Error('rider service worker: src/rider/sw.js has no `const PRECACHE = self.__PRECACHE__`')
    this.emitFile({ type: 'asset', fileName: 'm/sw.js', source })
  },
}

// The dev server answers a rider's page (/m/activities/…) with the rider's
// index.html, as the Go service does; Vite's own fallback would give the
// console's.
const riderPagesInDev: Plugin = {
  name: 'nuanxin:rider-pages-in-dev',
  configureServer(server) {
    server.middlewares.use((req, _res, next) => {
      const path = (req.url || '').split('?')[0]
      if (path.startsWith('/m/') && !path.includes('.') && !path.startsWith('/m/@')) req.url = '/m/index.html'
      next()
    })
  },
}

export default defineConfig({
  plugins: [vantIconFont, riderPagesInDev, riderServiceWorker, vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' }), VantResolver({ importStyle: 'css' })], dts: false })],
  base: '/',
  // Dev servers running side by side (one per engineer) each keep their
  // own pre-bundled dependencies: VITE_CACHE_DIR=/tmp/vite-5181 npx vite.
  cacheDir: process.env.VITE_CACHE_DIR || 'node_modules/.vite',
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: '../dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        console: fileURLToPath(new URL('./index.html', import.meta.url)),
        rider: fileURLToPath(new URL('./m/index.html', import.meta.url)),
      },
    },
    // No source maps in the shipped build: they are not needed to run it.
    sourcemap: false,
  },
  server: {
    // `npm run dev` against the local stack (make run): the BFF answers
    // /api. It accepts writes only from its own origin, which the proxy
    // therefore names.
    proxy: { '/api': { target: 'http://127.0.0.1:8080', headers: { Origin: 'http://127.0.0.1:8080' } } },
  },
  test: {
    // Pure logic runs in Node; a test that needs a DOM says so with a
    // `// @vitest-environment jsdom` comment at its top.
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
})
