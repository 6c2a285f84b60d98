import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { fileURLToPath } from 'node:url'

// The console is built into ../dist/app, which the Go service embeds
// (services/web/web.go). Element Plus components are imported on demand,
// with their styles, by the resolver: only what a page uses is shipped,
// and each page is its own chunk (see src/router.ts).
export default defineConfig({
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false })],
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
