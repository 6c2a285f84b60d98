// The rider's phone pages (/m/): Vant, their own bundle; only the API
// client (lib/api.ts) is shared with the console.
import { createApp } from 'vue'
import App from './App.vue'
import { router } from './router'
import { whenSignedOut } from '@/lib/api'
import { apply } from './session'
import { applyTextSize } from './display'
import './rider.css'
// Functions (not components) bring their own styles.
import 'vant/es/toast/style'
import 'vant/es/dialog/style'

// A session that ended (expired, or signed out elsewhere) sends the rider
// back to sign in, and then to where they were.
whenSignedOut(() => {
  apply(null)
  const here = router.currentRoute.value
  if (!here.meta.public) router.replace({ name: 'signin', query: { next: here.fullPath } })
})

applyTextSize()
createApp(App).use(router).mount('#app')

// 随手拍 written without signal wait on the phone and go when it returns,
// whatever page is open (src/rider/reports/queue.ts). Loaded after the
// first screen: it is not needed to draw it.
addEventListener('load', () => {
  import('./reports/queue').then((q) => q.startReportQueue()).catch(() => {
    // The queue's code did not load (no signal on a first visit): the
    // report page starts it when it is opened.
  })
})

// The app kept on the phone, to open without signal (src/rider/sw.js,
// written to /m/sw.js by the build); not in the dev server, whose files
// change under it.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  addEventListener('load', () => {
    navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch(() => {
      // Not kept offline; everything else works.
    })
  })
}
