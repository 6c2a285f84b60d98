// The rider's pages, under /m/; each its own chunk.
import { createRouter, createWebHistory } from 'vue-router'
import { loadSession, rider } from './session'

export const router = createRouter({
  history: createWebHistory('/m/'),
  routes: [
    { path: '/signin', name: 'signin', component: () => import('./pages/SignIn.vue'), meta: { title: '登录', public: true } },
    { path: '/enrol', name: 'enrol', component: () => import('./pages/Enrol.vue'), meta: { title: '报到' } },
    { path: '/', name: 'home', component: () => import('./pages/Home.vue'), meta: { title: '暖新' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  let signedIn = false
  try {
    signedIn = await loadSession()
  } catch {
    // No network: the sign-in page says so when it is used.
  }
  return signedIn ? true : { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
})

router.afterEach((to) => {
  document.title = `${to.meta.title || '暖新'} · 暖新骑手`
})
