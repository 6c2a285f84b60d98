// A rider on a phone near 塔山社区 looks for water: the home page says why
// it wants the location, asks, and lists the nearest open stations with
// water, nearest first; a station's page gives its hours and a 导航 link
// that opens the map app at the station's WGS-84 point. A return visit
// goes straight to the stations (timed). A second phone that refuses the
// location picks 塔山社区 and sees its stations instead.
//
// Needs the registry that lets workers read an open station
// (GET /v1/stations/{id}) and list a community's (GET /v1/stations?community=).
import { assert, riderSignIn } from '../lib.mjs'
import { join } from 'node:path'

export const phone = true
// A few steps from 塔山社区党群服务驿站 (37.5362, 121.3978 in the demo seed).
const here = { latitude: 37.5365, longitude: 121.3982 }
export const contextOptions = { geolocation: here, permissions: ['geolocation'] }

// The demo rider of this journey: 李明辉, 塔山社区, 奇山街道.
const mobile = '15153572306'

const cards = (page) => page.getByTestId('station-card')

export async function run(t) {
  const { page, shot } = t
  await riderSignIn(t, mobile, '/m/')
  await page.getByRole('heading', { name: /^你好，/ }).waitFor()
  // The reason comes before the browser's question.
  await page.getByText('为了找到离你最近的驿站，需要使用你的位置').waitFor()
  await shot('why-location')

  // The location, then water: the nearest open stations with water.
  await page.getByRole('button', { name: '使用我的位置' }).tap()
  await cards(page).first().waitFor()
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/registry/stations/nearby' && new URL(r.url()).searchParams.get('facility') === 'water')
  await page.getByRole('button', { name: '饮水', exact: true }).tap()
  const nearby = await (await answer).json()
  const q = new URL((await answer).url()).searchParams
  assert.equal(q.get('open_now'), 'true', 'only stations open now are asked for')
  assert.ok(Math.abs(Number(q.get('lat')) - here.latitude) < 1e-6 && Math.abs(Number(q.get('lng')) - here.longitude) < 1e-6, `asked around ${q.get('lat')},${q.get('lng')}`)
  assert.ok(nearby.items.length >= 1, 'at least 烟小暖 (open round the clock, water) is near')
  await page.getByRole('button', { name: '饮水', exact: true, pressed: true }).waitFor()
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=station-card]').length === n, nearby.items.length)
  const shown = await cards(page).evaluateAll((els) => els.map((e) => ({ d: Number(e.dataset.distance), text: e.textContent })))
  assert.deepEqual(shown.map((s) => s.d), nearby.items.map((s) => s.distance_m), 'the cards are the stations found, in order')
  for (let i = 1; i < shown.length; i++) assert.ok(shown[i - 1].d <= shown[i].d, `nearest first: ${shown.map((s) => s.d)}`)
  for (const [i, s] of shown.entries()) {
    assert.match(s.text, /\d+(\.\d)? (米|公里)/, `card ${i} shows its distance: ${s.text}`)
    assert.match(s.text, /营业中/, `card ${i} is open now: ${s.text}`)
    assert.match(s.text, /今日/, `card ${i} shows today's hours: ${s.text}`)
    assert.match(s.text, /饮水/, `card ${i} has water: ${s.text}`)
  }
  t.log(`with water, open now: ${nearby.items.map((s) => `${s.name} ${s.distance_m} m`).join('; ')}`)
  await shot('water-nearby')

  // The nearest one's page: hours, facilities, and 导航 at its WGS-84 point.
  const first = nearby.items[0]
  await cards(page).first().tap()
  await page.waitForURL(new RegExp(`/m/stations/${first.id}`))
  await page.getByRole('heading', { name: first.name, level: 1 }).waitFor()
  await page.getByText('开放时间').waitFor()
  await page.getByText(/距你 \d/).waitFor()
  const checkNavigation = async () => {
    const href = await page.getByRole('link', { name: '导航' }).getAttribute('href')
    const u = new URL(href)
    assert.equal(u.origin + u.pathname, 'https://uri.amap.com/navigation', href)
    assert.equal(u.searchParams.get('to'), `${first.lng},${first.lat},${first.name}`, `导航 goes to the station (longitude first): ${href}`)
    assert.equal(u.searchParams.get('coordinate'), 'wgs84', 'the registry keeps WGS-84 points; Amap is told so')
  }
  await checkNavigation()
  // 电话 when the station gave a number (the registry's answer says), none otherwise.
  const call = page.getByRole('link', { name: '电话' })
  if (first.phone) assert.equal(await call.getAttribute('href'), `tel:${first.phone.replace(/-/g, '')}`, '电话 dials the station')
  else assert.equal(await call.count(), 0, 'no 电话 for a station without a number')
  await shot('station')

  // A link to the page, opened afresh (a reload), works on its own.
  await page.goto(`/m/stations/${first.id}`)
  await page.getByRole('heading', { name: first.name, level: 1 }).waitFor()
  await checkNavigation()
  // Nothing to go back to after a link: 返回 leads home.
  await page.getByRole('button', { name: '返回' }).tap()
  await page.getByRole('heading', { name: /^你好，/ }).waitFor()

  // A return visit: straight to the stations, water still chosen.
  await t.measure('first-screen-home', async () => {
    await page.goto('/m/')
    await cards(page).first().waitFor()
  })
  await page.getByRole('button', { name: '饮水', exact: true, pressed: true }).waitFor()
  await shot('return-visit')

  // No signal: the problem is said, with 重试; the signal back, it works.
  await t.network('offline')
  await page.getByRole('button', { name: '充电', exact: true }).tap()
  await page.getByText('网络异常，请检查网络后重试').waitFor()
  await shot('no-signal')
  await t.network('slow4g')
  await page.getByRole('button', { name: '重试' }).tap()
  await page.getByText('网络异常，请检查网络后重试').waitFor({ state: 'detached' })
  await cards(page).first().waitFor()
  await page.getByRole('button', { name: '饮水', exact: true }).tap()
  await page.getByRole('button', { name: '饮水', exact: true, pressed: true }).waitFor()

  // Another phone, the same rider, no location allowed: the refusal is
  // said, and 塔山社区's stations are listed from the picker.
  const p2 = await t.open({
    viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
    storageState: await t.context.storageState(),
  })
  let askedNearby = false
  p2.on('request', (r) => { if (new URL(r.url()).pathname === '/api/registry/stations/nearby') askedNearby = true })
  await p2.goto('/m/')
  await p2.getByRole('heading', { name: /^你好，/ }).waitFor()
  await p2.getByText('为了找到离你最近的驿站，需要使用你的位置').waitFor()
  await p2.getByRole('button', { name: '使用我的位置' }).tap()
  await p2.getByText('没有获得定位权限，请选择所在社区').waitFor()
  await p2.getByText('选择社区').first().waitFor()
  await p2.getByRole('tab', { name: '请选择' }).waitFor()
  await p2.screenshot({ path: join(t.dir, '90-refused-picker.png') })
  await p2.getByText('奇山街道').tap()
  await p2.getByText('塔山社区').tap()
  await p2.getByTestId('station-card').first().waitFor()
  await p2.locator('.van-popup').waitFor({ state: 'hidden' })
  const listed = await p2.getByTestId('station-card').allTextContents()
  assert.ok(listed.some((s) => s.includes('塔山社区党群服务驿站')), `塔山社区's station is listed: ${listed}`)
  assert.ok(listed.every((s) => /营业中|已打烊/.test(s)), `each says whether it is open: ${listed}`)
  assert.ok(!askedNearby, 'without a location nothing is asked of nearby')
  await p2.screenshot({ path: join(t.dir, '91-community-stations.png') })

  // That phone's session ends (signed out elsewhere, or expired): the home
  // page, opened at once from the phone's hint, gives way to sign in; what
  // it asked meanwhile the web service refused.
  t.allow('GET', /^\/api\/registry\/(stations|vocabulary)$/, 401)
  await p2.context().clearCookies()
  await p2.goto('/m/')
  await p2.waitForURL(/\/m\/signin/)
  await p2.getByRole('button', { name: '登录' }).waitFor()
  await p2.screenshot({ path: join(t.dir, '92-session-ended.png') })
}
