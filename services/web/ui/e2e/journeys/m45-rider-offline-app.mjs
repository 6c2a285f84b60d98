// A rider opens the app where there is no signal at all: the service
// worker kept it on the phone on an earlier visit, so the 随手拍 page opens
// from the phone's copy, the report written there waits on the phone, and
// it is sent once when the signal returns.
import { assert, riderSignIn, until } from '../lib.mjs'

export const phone = true
// By 塔山社区党群服务驿站 (cmd/nuanxin/seed.go). This journey is about the
// service worker, so it lets one run (the others block them).
const here = { latitude: 37.5366, longitude: 121.3982 }
export const contextOptions = { serviceWorkers: 'allow', geolocation: { ...here, accuracy: 20 }, permissions: ['geolocation'] }

// 刘洋, a rider of 塔山社区 (this journey's own: one SMS code a minute per mobile).
const mobile = '13705352468'

/** The signed-in rider's reports whose note holds text. */
async function reportsWith(page, text) {
  const r = await page.request.get('/api/activity/reports?limit=500')
  assert.equal(r.status(), 200, `GET /api/activity/reports answered ${r.status()}`)
  return (await r.json()).items.filter((x) => x.description.includes(text))
}

export async function run(t) {
  const { page, shot } = t
  const stamp = new Date().toISOString().slice(11, 19)

  // A visit with signal: the worker takes over once it has kept the app
  // (it claims the page only after every file is on the phone).
  await riderSignIn(t, mobile, '/m/')
  await page.getByRole('heading', { name: /^你好，/ }).waitFor()
  await until(page, () => navigator.serviceWorker?.controller != null, { what: 'the service worker to take over' })
  const kept = await page.evaluate(async () => (await (await caches.open('nuanxin-rider')).keys()).map((r) => new URL(r.url).pathname))
  t.log(`kept on the phone: ${kept.length} files`)
  assert.ok(kept.includes('/m/') && kept.some((p) => /^\/assets\/Report-.*\.js$/.test(p)), `the page and the 随手拍 page kept: ${kept.join(' ')}`)

  // No signal at all, and the rider opens 随手拍 afresh: from the phone.
  await t.network('offline')
  const opened = await page.goto('/m/report')
  assert.equal(opened?.headers()['x-served-from'], 'phone', 'the page came from the phone, not the network')
  assert.equal(await page.evaluate(() => fetch('/api/session').then(() => 'answered', () => 'no network')), 'no network', 'the phone is really offline')
  // A page that a navigation opened under DevTools' offline emulation still
  // says navigator.onLine is true (the emulation stayed with the old document): set
  // again, it says what a phone without signal says from the start.
  await t.network('offline')
  await page.getByText(/^当前没有网络/).waitFor()
  await page.getByRole('button', { name: '设施损坏' }).tap()
  await page.getByRole('button', { name: '设施损坏', pressed: true }).waitFor()
  await page.getByLabel('情况说明').fill(`e2e 无信号处的路灯坏了 ${stamp}`)
  await page.getByRole('button', { name: /^(仍要)?提交$/ }).tap()
  await page.getByText('已保存在手机上').waitFor()
  await shot('written-offline')

  // The signal returns: the phone sends it by itself, once.
  await t.network('slow4g')
  const deadline = Date.now() + 120000
  while (!(await reportsWith(page, stamp)).length) {
    assert.ok(Date.now() < deadline, 'the kept report reached the service within two minutes')
    await page.waitForTimeout(500) // a poll's pause, between real checks
  }
  // Nothing left waiting on the phone, and one report made.
  await until(page, () => new Promise((resolve) => {
    const open = indexedDB.open('nuanxin-rider')
    open.onsuccess = () => {
      const n = open.result.transaction('report-queue').objectStore('report-queue').count()
      n.onsuccess = () => resolve(n.result === 0)
    }
    open.onerror = () => resolve(false)
  }), { what: 'the phone to let go of the sent report' })
  assert.equal((await reportsWith(page, stamp)).length, 1, 'the report written without signal was made once')
  await page.goto('/m/reports')
  await page.getByRole('link').filter({ hasText: stamp }).waitFor()
  await shot('sent-when-signal-returned')
}
