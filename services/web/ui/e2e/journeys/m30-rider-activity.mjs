// A rider on a phone and an activity of their community: 塔山社区's staff
// publish one (through the API the console uses); the rider finds it under
// 本社区, signs up, withdraws, signs up again, types a wrong check-in code
// (told so in Chinese) and then the right one, and checks out once it has
// run a while; 我的 shows it with the hours. A second activity is checked
// in with one tap from the link its board's QR code encodes.
import { apiAs, assert, riderSignIn, staffPage } from '../lib.mjs'

export const phone = true
// Beside 塔山社区党群服务驿站 (37.5362, 121.3978 in the demo seed), where A is held.
const here = { latitude: 37.5365, longitude: 121.3982 }
export const contextOptions = { geolocation: here, permissions: ['geolocation'] }

// 张晓东 of 塔山社区 (奇山街道), one of the demo riders; no other journey signs him in.
const mobile = '18765431029'
const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'

/** Staff drafts and publishes an activity for 塔山社区; answers it with its check-in code. */
async function publish(call, body) {
  const { id } = await call('POST', '/activity/activities', body)
  await call('POST', `/activity/activities/${id}/publish`)
  const a = await call('GET', `/activity/activities/${id}`)
  assert.match(a.checkin_code, /^[A-HJKMNP-Z2-9]{6}$/)
  return a
}

const later = (ms) => new Date(Date.now() + ms).toISOString()

export async function run(t) {
  const { page, shot } = t

  // 塔山社区's staff publish two: A starts in a little while (sign-ups
  // close at the start; check-in is open from an hour before), B later.
  const staff = await staffPage(t, 'community')
  const call = await apiAs(t, staff)
  const stamp = Date.now()
  const near = await call('GET', `/registry/stations/nearby?lat=${here.latitude}&lng=${here.longitude}&limit=1`)
  const station = near.items[0]
  assert.ok(station, 'a station near 塔山社区')
  const startsA = Date.now() + 75_000
  const A = await publish(call, {
    title: `e2e 骑手志愿服务 ${stamp}`, kind: 'volunteer_service', description: '在塔山社区驿站为骑手义务维修电动车，签到签退计志愿时长。',
    station_id: station.id, address: '奇山街道塔山社区党群服务中心一楼',
    starts_at: new Date(startsA).toISOString(), ends_at: new Date(startsA + 2 * 3600_000).toISOString(),
    capacity: 20, volunteer_service: true,
  })
  const B = await publish(call, {
    title: `e2e 电动车消防安全培训 ${stamp}`, kind: 'safety_training', description: '现场演示灭火器使用。',
    address: '奇山街道塔山社区党群服务中心二楼', starts_at: later(10 * 60_000), ends_at: later(70 * 60_000),
  })
  await staff.close()

  // The rider finds A under 本社区.
  await riderSignIn(t, mobile, '/m/activities')
  const cardA = page.getByRole('link', { name: new RegExp(A.title) })
  await t.measure('activities-list', () => cardA.waitFor())
  await page.getByRole('tab', { name: '本社区', selected: true }).waitFor()
  assert.match(await cardA.innerText(), /剩余 20 个名额/)
  await shot('community-list')
  // Nearest first: A is held at the station a few steps away.
  await page.getByRole('button', { name: '离我最近' }).tap()
  await page.getByRole('button', { name: /离我最近 ✓/ }).waitFor()
  const shown = await cardA.innerText()
  assert.ok(shown.includes(station.name) && / · \d+ 米/.test(shown), `A at ${station.name}, with the distance: ${shown}`)
  await shot('nearest-first')
  await page.getByRole('tab', { name: '全街道' }).tap()
  await page.getByRole('tab', { name: '全街道', selected: true }).waitFor()
  assert.equal(await cardA.count(), 0, 'a community\'s activity is not under 全街道')
  await shot('street-list')
  await page.getByRole('tab', { name: '本社区' }).tap()
  await cardA.tap()

  // Sign up, withdraw (confirmed), sign up again.
  await page.getByRole('heading', { name: A.title }).waitFor()
  await shot('activity')
  const state = page.getByTestId('my-state')
  await page.getByRole('button', { name: '报名', exact: true }).tap()
  await state.filter({ hasText: '已报名' }).waitFor()
  await shot('signed-up')
  await page.getByRole('button', { name: '取消报名' }).tap()
  const dlg = page.getByRole('dialog').filter({ hasText: '确定不参加' })
  await dlg.waitFor()
  await shot('withdraw-confirm')
  await dlg.getByRole('button', { name: '取消报名' }).tap()
  await page.getByRole('button', { name: '报名', exact: true }).waitFor()
  await state.waitFor({ state: 'detached' })
  await shot('withdrawn')
  await page.getByRole('button', { name: '报名', exact: true }).tap()
  await state.filter({ hasText: '已报名' }).waitFor()

  // A wrong code is refused in Chinese; the right one, typed in lower case with a space, checks in.
  const wrong = A.checkin_code.split('').map((c) => alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]).join('')
  t.allow('POST', /^\/api\/activity\/activities\/[0-9a-f-]+\/attendance\/check-in$/, 422)
  const field = page.getByLabel('签到码')
  await field.fill(wrong)
  await page.getByRole('button', { name: '签到', exact: true }).tap()
  await page.getByText('签到码不正确，请核对现场显示的签到码').waitFor()
  await shot('wrong-code')
  await field.fill(`${A.checkin_code.slice(0, 3).toLowerCase()} ${A.checkin_code.slice(3).toLowerCase()}`)
  await page.getByRole('button', { name: '签到', exact: true }).tap()
  await state.filter({ hasText: '已签到' }).waitFor()
  await shot('checked-in')

  // B, from its board's QR code: one tap.
  await page.goto(`/m/checkin?activity=${B.id}&code=${B.checkin_code}`)
  await page.getByText(B.title).waitFor()
  await shot('qr-link')
  await page.getByRole('button', { name: '签到', exact: true }).tap()
  await page.getByText('签到成功').waitFor()
  await shot('qr-checked-in')

  // While A runs a while. No signal: the activity's page says so, and
  // loads on 重试 (its page and the list already on the phone).
  await page.getByRole('button', { name: '查看活动' }).tap()
  await page.getByRole('heading', { name: B.title }).waitFor()
  await page.getByRole('button', { name: '返回' }).tap()
  const cardB = page.getByRole('link', { name: new RegExp(B.title) })
  await cardB.waitFor()
  await page.waitForLoadState('networkidle')
  await t.network('offline')
  await cardB.tap()
  await page.getByText('网络异常，请检查网络后重试').waitFor()
  await shot('offline')
  await t.network('slow4g')
  await page.getByRole('button', { name: '重试' }).tap()
  await page.getByRole('heading', { name: B.title }).waitFor()
  await state.filter({ hasText: '已签到' }).waitFor()

  // An activity that is not there (or not for the rider's community).
  t.allow('GET', /^\/api\/activity\/activities\/[0-9a-f-]+$/, 404)
  await page.goto('/m/activities/0196a3f2-5c1e-7b40-9d2e-3f4a5b6c7d8e')
  await page.getByText(/没有找到这个活动/).waitFor()
  await shot('not-found')

  // Back at A once it has run a while: check out, with the hours.
  const wait = startsA + 30_000 - Date.now()
  if (wait > 0) {
    t.log(`waiting ${Math.round(wait / 1000)} s for A to have run a while`)
    await page.waitForTimeout(wait)
  }
  await page.goto(`/m/activities/${A.id}`)
  await page.getByLabel('签退码').fill(A.checkin_code)
  await shot('check-out')
  await page.getByRole('button', { name: '签退', exact: true }).tap()
  await state.filter({ hasText: '已签退' }).waitFor()
  await page.getByTestId('my-hours').filter({ hasText: /分钟|小时/ }).waitFor()
  await shot('checked-out')

  // 我的: both, with their states, and the rider's volunteer hours.
  await page.goto('/m/activities?tab=mine')
  await page.getByRole('tab', { name: '我的', selected: true }).waitFor()
  const mineA = page.getByRole('link', { name: new RegExp(A.title) })
  await mineA.waitFor()
  assert.match(await mineA.innerText(), /已签退/)
  assert.match(await mineA.innerText(), /服务时长/)
  assert.match(await page.getByRole('link', { name: new RegExp(B.title) }).innerText(), /已签到/)
  await page.getByTestId('my-hours').filter({ hasText: /小时|分钟|暂无/ }).waitFor()
  await shot('mine')
}
