// The rider's pages, under /m/; each its own chunk but the first two. Pages with `tab` in
// their meta show the tab bar (App.vue); the others are steps opened from
// a tab and show a back arrow instead.
import { createRouter, createWebHistory } from 'vue-router'
import { ApiError } from '@/lib/api'
import { loadSession, rider, wasSignedIn } from './session'
// The two pages a rider can land on first come with the app itself: on a
// slow network another round trip for their chunk is half a second.
import SignIn from './pages/SignIn.vue'
import Home from './pages/Home.vue'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    public?: boolean
    /** The tab this page belongs to, when the tab bar is shown on it. */
    tab?: 'home' | 'activities' | 'report' | 'points' | 'messages'
  }
}

export const router = createRouter({
  history: createWebHistory('/m/'),
  routes: [
    { path: '/signin', name: 'signin', component: SignIn, meta: { title: '登录', public: true } },
    { path: '/enrol', name: 'enrol', component: () => import('./pages/Enrol.vue'), meta: { title: '报到' } },
    // 首页: the nearest open stations.
    { path: '/', name: 'home', component: Home, meta: { title: '暖新', tab: 'home' } },
    { path: '/stations/:id', name: 'station', component: () => import('./pages/Station.vue'), meta: { title: '驿站' } },
    // 活动: sign up, check in and out, my hours. /checkin is the link the
    // console's QR code encodes (?activity=&code=).
    { path: '/activities', name: 'activities', component: () => import('./pages/Activities.vue'), meta: { title: '活动', tab: 'activities' } },
    { path: '/activities/:id', name: 'activity', component: () => import('./pages/Activity.vue'), meta: { title: '活动详情' } },
    { path: '/checkin', name: 'checkin', component: () => import('./pages/CheckIn.vue'), meta: { title: '活动签到' } },
    // 随手拍: a report with a photo; my reports.
    { path: '/report', name: 'report', component: () => import('./pages/Report.vue'), meta: { title: '随手拍', tab: 'report' } },
    { path: '/reports', name: 'reports', component: () => import('./pages/MyReports.vue'), meta: { title: '我的随手拍' } },
    { path: '/reports/:id', name: 'report-detail', component: () => import('./pages/ReportDetail.vue'), meta: { title: '随手拍详情' } },
    // 积分: balance, stars, history, the supermarket.
    { path: '/points', name: 'points', component: () => import('./pages/Points.vue'), meta: { title: '志愿积分', tab: 'points' } },
    { path: '/points/history', name: 'points-history', component: () => import('./pages/PointsHistory.vue'), meta: { title: '积分明细' } },
    { path: '/stores/:id', name: 'store', component: () => import('./pages/Store.vue'), meta: { title: '积分超市' } },
    { path: '/redemptions', name: 'redemptions', component: () => import('./pages/Redemptions.vue'), meta: { title: '我的兑换' } },
    // 消息: the inbox; my preferences and signing out.
    { path: '/messages', name: 'messages', component: () => import('./pages/Messages.vue'), meta: { title: '消息', tab: 'messages' } },
    { path: '/settings', name: 'settings', component: () => import('./pages/Settings.vue'), meta: { title: '设置' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  // A phone signed in last time opens the home page at once and asks for
  // its stations while the session is on its way; if the session has
  // ended meanwhile, the rider is sent to sign in when its answer comes.
  // The home page only reads, so nothing is done in a session that is gone.
  if (to.name === 'home' && !rider.loaded && wasSignedIn()) {
    loadSession().then(
      (signedIn) => {
        const here = router.currentRoute.value
        if (here.meta.public) return
        if (!signedIn) router.replace({ name: 'signin', query: here.fullPath !== '/' ? { next: here.fullPath } : {} })
        else if (rider.enrolling) router.replace({ name: 'enrol' })
      },
      () => {
        // No signal: as below, the page opens and says what it cannot show.
      },
    )
    return true
  }
  let signedIn = false
  try {
    signedIn = await loadSession()
  } catch (e) {
    // No network (the app opened from the phone's copy): the page opens,
    // and says what it cannot show; a 随手拍 is kept until the signal
    // returns. Any other failure: sign in again.
    if (!(e instanceof ApiError)) return true
  }
  if (!signedIn) return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  // Until the community confirms the 报到, the form's waiting page is all there is.
  if (rider.enrolling && to.name !== 'enrol') return { name: 'enrol' }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title || '暖新'} · 暖新骑手`
})
