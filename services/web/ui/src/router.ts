// Every page is its own chunk, loaded when first visited: the first load
// carries only the shell and the sign-in page.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { loadSession, session, forget } from '@/lib/session'
import { whenSignedOut } from '@/lib/api'
import Layout from '@/components/ConsoleLayout.vue'
import { pages } from '@/pageRoutes'

const routes: RouteRecordRaw[] = [
  { path: '/signin', name: 'signin', component: () => import('@/pages/SignIn.vue'), meta: { title: '登录', public: true } },
  { path: '/', component: Layout, children: pages },
  { path: '/:rest(.*)*', name: 'missing', component: () => import('@/pages/NotFound.vue'), meta: { title: '页面不存在', public: true } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  let signedIn = false
  try {
    signedIn = await loadSession()
  } catch {
    // The server could not be reached: the sign-in page says so.
  }
  if (!signedIn) return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (session.principal?.role === 'worker') return { name: 'signin', query: { rider: '1' } }
  return true
})

router.afterEach((to) => {
  document.title = `${(to.meta.title as string) || ''} · 暖新街道工作台`
})

whenSignedOut(() => {
  forget()
  const here = router.currentRoute.value
  if (!here.meta.public) router.push({ name: 'signin', query: { next: here.fullPath, expired: '1' } })
})
