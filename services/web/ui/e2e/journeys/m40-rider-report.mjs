// A rider's 随手拍 on a phone in 塔山社区: a big photo from the camera
// goes up compressed to at most 1 MB; the report shows in 我的随手拍 with
// its photo; a second one at the same spot is told "附近已有人报告"
// before sending; and one written without a signal is kept on the phone
// (IndexedDB) and sent once when the signal returns.
import { assert, pictureJPEG, riderSignIn } from '../lib.mjs'

export const phone = true
// By 塔山社区党群服务驿站 (cmd/nuanxin/seed.go), where the phone says it is.
const here = { latitude: 37.5366, longitude: 121.3982 }
export const contextOptions = { geolocation: { ...here, accuracy: 20 }, permissions: ['geolocation'] }

// 赵磊, a rider of 塔山社区 (this journey's own: one SMS code a minute per mobile).
const mobile = '17853560124'
const maxPhoto = 1_000_000

/** Every report of the signed-in rider, through the API the pages use. */
async function myReports(page) {
  const all = []
  let after = ''
  for (;;) {
    const r = await page.request.get(`/api/activity/reports?limit=500${after ? `&after=${after}` : ''}`)
    assert.equal(r.status(), 200, `GET /api/activity/reports answered ${r.status()}`)
    const p = await r.json()
    all.push(...p.items)
    if (!p.next) return all
    after = p.next
  }
}

/** A JPEG of w × h random pixels, made in the browser: noise does not compress. */
function noisyJPEG(page, w, h) {
  return pictureJPEG(page, w, h, '', { grain: 512 })
}

/** Picks a category, and writes the note. */
async function fill(page, category, note) {
  await page.getByRole('button', { name: category }).tap()
  await page.getByRole('button', { name: category, pressed: true }).waitFor()
  await page.getByLabel('情况说明').fill(note)
}

export async function run(t) {
  const { page, shot } = t
  const stamp = new Date().toISOString().slice(11, 19)
  // What the page sends as a report: the size of each body and of its photo parts.
  await page.addInitScript(() => {
    const send = window.fetch
    window.__reportBodies = []
    window.fetch = function (input, init) {
      const url = typeof input === 'string' ? input : input.url
      if (init?.method === 'POST' && new URL(url, location.href).pathname === '/api/activity/reports' && init.body instanceof Blob) {
        const body = init.body
        new Response(body, { headers: { 'Content-Type': new Headers(init.headers).get('Content-Type') } }).formData().then(
          (form) => window.__reportBodies.push({ size: body.size, photos: form.getAll('photo').map((p) => p.size) }),
          (e) => window.__reportBodies.push({ size: body.size, error: String(e) }),
        )
      }
      return send.apply(this, arguments)
    }
  })
  await riderSignIn(t, mobile, '/m/report')
  const before = (await myReports(page)).length

  // ---- 1. a report with a big photo, online ----
  await page.getByRole('heading', { name: '随手拍', exact: true }).waitFor()
  await page.getByText('已获取当前位置').waitFor()
  await shot('report-form')
  // Typed on two lines: sent as one (the service takes no line breaks).
  await fill(page, '设施损坏', `塔山南路9号\n路灯不亮 ${stamp}`)
  await page.getByLabel('地点说明').fill('塔山南路9号驿站门口')
  const big = await noisyJPEG(page, 3000, 2000)
  t.log(`camera photo: ${(big.length / 1e6).toFixed(1)} MB`)
  assert.ok(big.length > 2_000_000, `the test photo is only ${big.length} bytes`)
  await t.measure('compress-photo', async () => {
    await page.getByLabel('拍照').setInputFiles({ name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: big })
    await page.getByRole('img', { name: '第 1 张照片' }).waitFor({ timeout: 60000 })
  })
  await shot('photo-attached')
  const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/activity/reports')
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/activity/reports', { timeout: 90000 })
  await page.getByRole('button', { name: /^(仍要)?提交$/ }).tap()
  const req = await posted
  const res = await answered
  assert.equal(res.status(), 201, `POST /api/activity/reports answered ${res.status()}`)
  assert.ok(req.headers()['idempotency-key'], 'the report is sent with an Idempotency-Key')
  const sent = await res.json()
  // The body the page handed the network, and its parts (Chromium tells a
  // test nothing of a Blob body: the page's fetch is watched instead), and
  // what the service stored.
  const bodies = await page.evaluate(() => window.__reportBodies)
  assert.equal(bodies.length, 1, `one report body sent: ${JSON.stringify(bodies)}`)
  const sizes = bodies[0].photos
  t.log(`request body: ${(bodies[0].size / 1e6).toFixed(2)} MB; photo part: ${sizes.map((s) => `${(s / 1e6).toFixed(2)} MB`).join(', ')}`)
  assert.equal(sizes.length, 1, 'one photo part')
  assert.ok(sizes[0] <= maxPhoto, `the uploaded photo is ${sizes[0]} bytes, over 1 MB`)
  assert.ok(bodies[0].size <= maxPhoto + 4096, `the POST's body is ${bodies[0].size} bytes, over 1 MB and a report`)
  assert.deepEqual(sent.photos.map((p) => p.size), sizes, 'the stored photo is the uploaded one')
  await page.getByText('已提交，社区会尽快处理').waitFor()
  await shot('sent')

  // It is in 我的随手拍, with its photo.
  await page.getByRole('button', { name: /^我的随手拍/ }).first().tap()
  const card = page.getByRole('link').filter({ hasText: `路灯不亮 ${stamp}` })
  await card.waitFor()
  await card.getByText('待受理').waitFor()
  await shot('my-reports')
  await card.tap()
  await page.getByRole('heading', { name: '设施损坏' }).waitFor()
  const photo = page.getByRole('img', { name: '第 1 张照片' })
  await photo.waitFor()
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await photo.elementHandle(), { timeout: 60000 })
  await page.getByText('处理进度').waitFor()
  await shot('report-detail')

  // ---- 2. a second one at the same spot: told before sending ----
  await page.goto('/m/report')
  await page.getByText('已获取当前位置').waitFor()
  await page.getByRole('button', { name: '设施损坏' }).tap()
  await page.getByRole('heading', { name: '附近已有人报告' }).waitFor()
  await page.getByRole('button', { name: '仍要提交' }).waitFor()
  await page.getByRole('heading', { name: '附近已有人报告' }).scrollIntoViewIfNeeded()
  await shot('already-reported-nearby')
  assert.equal((await myReports(page)).length, before + 1, 'one report made so far')

  // ---- 3. no signal: kept on the phone, sent once when it returns ----
  await page.goto('/m/report')
  await page.getByText('已获取当前位置').waitFor()
  await fill(page, '环境卫生', `塔山南路垃圾桶满溢 ${stamp}`)
  await page.getByLabel('拍照').setInputFiles({ name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: await noisyJPEG(page, 800, 600) })
  await page.getByRole('img', { name: '第 1 张照片' }).waitFor()
  // Every report POST from here on, with its answer.
  const posts = []
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/activity/reports') {
      const p = { key: r.headers()['idempotency-key'], status: 0, replayed: false }
      posts.push(p)
      r.response().then(async (res) => {
        if (!res) return
        p.status = res.status()
        p.replayed = (await res.headerValue('idempotent-replayed')) === 'true'
      }, () => {})
    }
  })
  await t.network('offline')
  await page.getByText('当前没有网络').waitFor()
  await page.getByRole('button', { name: /^(仍要)?提交$/ }).tap()
  await page.getByText('已保存在手机上').waitFor()
  await shot('kept-on-phone')
  // On the phone: in IndexedDB, with its photo as a Blob.
  const kept = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('nuanxin-rider')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const all = open.result.transaction('report-queue').objectStore('report-queue').getAll()
      all.onsuccess = () => resolve(all.result.map((r) => ({ key: r.key, note: r.report.description, photos: r.photos.map((b) => (b instanceof Blob ? b.size : -1)) })))
    }
  }))
  assert.equal(kept.length, 1, `one report on the phone: ${JSON.stringify(kept)}`)
  assert.ok(kept[0].note.includes(stamp) && kept[0].photos.length === 1 && kept[0].photos[0] > 0, `kept with its photo: ${JSON.stringify(kept)}`)
  await page.getByRole('button', { name: /^我的随手拍/ }).first().tap()
  const waiting = page.getByRole('article').filter({ hasText: `垃圾桶满溢 ${stamp}` })
  await waiting.getByText('待发送（有信号后自动发送）').waitFor()
  await shot('waiting-for-signal')
  // Without a service worker the app shell does not load offline: no reload here.
  assert.equal(posts.length, 0, 'nothing is sent without a signal')

  // The signal returns, but the first answer is lost on the way back: the
  // service makes the report, the phone never hears of it (as when the
  // signal drops again mid-answer). The phone keeps the report and sends it
  // again with the same key; the service answers the first answer again.
  const lost = []
  await page.route('**/api/activity/reports', async (route) => {
    if (route.request().method() !== 'POST' || lost.length) return route.fallback()
    const res = await route.fetch()
    lost.push({ key: route.request().headers()['idempotency-key'], status: res.status(), replayed: res.headers()['idempotent-replayed'] === 'true' })
    await route.abort('aborted')
  })
  await t.network('slow4g')
  // Sent again by the queue's own loop (every 30 s while a report waits).
  await waiting.waitFor({ state: 'detached', timeout: 120000 })
  const sentCard = page.getByRole('link').filter({ hasText: `垃圾桶满溢 ${stamp}` })
  await sentCard.waitFor({ timeout: 30000 })
  await shot('sent-when-signal-returned')
  const after = await myReports(page)
  assert.equal(after.filter((r) => r.description.includes(`垃圾桶满溢 ${stamp}`)).length, 1, 'the kept report was made once')
  assert.equal(after.length, before + 2, `two reports made in all (${before} → ${after.length})`)
  t.log(`tries: ${JSON.stringify(posts)}; the one whose answer was lost: ${JSON.stringify(lost)}`)
  assert.equal(lost.length, 1, 'the first try reached the service')
  assert.deepEqual([lost[0].status, lost[0].replayed], [201, false], `the first try made the report: ${JSON.stringify(lost)}`)
  const heard = posts.filter((p) => p.status)
  assert.ok(heard.length >= 1 && heard.every((p) => p.status === 201 && p.replayed), `every answer the phone got was the first one replayed: ${JSON.stringify(posts)}`)
  assert.ok(posts.every((p) => p.key === kept[0].key) && lost[0].key === kept[0].key, `every try with the key made at 提交: ${JSON.stringify(posts)}`)
  const left = await page.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('nuanxin-rider')
    open.onsuccess = () => {
      const n = open.result.transaction('report-queue').objectStore('report-queue').count()
      n.onsuccess = () => resolve(n.result)
    }
  }))
  assert.equal(left, 0, 'nothing left on the phone')
}
