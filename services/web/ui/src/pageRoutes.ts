// The console's pages (the menu is made from those with meta.menu). Kept
// apart from router.ts, which the layout imports too.
import type { RouteRecordRaw } from 'vue-router'

/** The console's pages, in the order of the menu. */
export const pages: (RouteRecordRaw & { meta: { title: string; icon?: string; menu?: boolean } })[] = [
  { path: '', name: 'dashboard', component: () => import('@/pages/Dashboard.vue'), meta: { title: '工作台', menu: true } },
  { path: 'census/workers', name: 'workers', component: () => import('@/pages/census/Workers.vue'), meta: { title: '人员台账', menu: true } },
  { path: 'census/workers/:id', name: 'worker', component: () => import('@/pages/census/WorkerDetail.vue'), props: true, meta: { title: '人员详情' } },
  { path: 'census/enterprises', name: 'enterprises', component: () => import('@/pages/census/Enterprises.vue'), meta: { title: '企业台账', menu: true } },
  { path: 'import', name: 'import', component: () => import('@/pages/Import.vue'), meta: { title: '导入', menu: true } },
  { path: 'rosters', name: 'rosters', component: () => import('@/pages/Rosters.vue'), meta: { title: '花名册', menu: true } },
  { path: 'stations', name: 'stations', component: () => import('@/pages/Stations.vue'), meta: { title: '暖心驿站', menu: true } },
  { path: 'pairing', name: 'pairing', component: () => import('@/pages/Pairing.vue'), meta: { title: '结对联系', menu: true } },
  { path: 'activities', name: 'activities', component: () => import('@/pages/activities/Activities.vue'), meta: { title: '活动', menu: true } },
  { path: 'activities/:id', name: 'activity', component: () => import('@/pages/activities/ActivityDetail.vue'), props: true, meta: { title: '活动详情' } },
  { path: 'reports', name: 'reports', component: () => import('@/pages/Reports.vue'), meta: { title: '随手拍', menu: true } },
  { path: 'lists', name: 'lists', component: () => import('@/pages/Lists.vue'), meta: { title: '四张清单', menu: true } },
  { path: 'points', name: 'points', component: () => import('@/pages/Points.vue'), meta: { title: '志愿积分', menu: true } },
  { path: 'notices', name: 'notices', component: () => import('@/pages/Notices.vue'), meta: { title: '通知', menu: true } },
  { path: 'me', name: 'me', component: () => import('@/pages/Me.vue'), meta: { title: '我的账号' } },
]
