// A rider's points on the phone: staff credit 陈静 (塔山社区) some points;
// she sees her balance and stars, opens her street's supermarket and
// redeems an item by double-tapping the confirm button — one redemption,
// the price taken once. Then a redemption whose answer is lost on the way
// back (the request reached the service, the phone never heard): the app
// retries with the same Idempotency-Key and the service replays the first
// — still one redemption; and when the retry's answer is lost too, 重试
// sends the same key again. With no signal at all, 重试 once it is back. Her 我的兑换 lists them, one is cancelled
// there (points back), and 积分明细 shows each line.
import { apiAs, assert, pictureJPEG, riderSignIn, staffPage } from '../lib.mjs'

export const phone = true

const mobile = '18354516803' // 陈静, 塔山社区, 奇山街道

export async function run(t) {
  const { page, shot } = t
  const stamp = Date.now().toString(36)

  await riderSignIn(t, mobile, '/m/points')
  const me = await apiAs(t, page) // the rider's own API, for checking what the service holds
  const session = await me('GET', '/session')
  const workerId = session.principal.worker_id
  assert.ok(workerId, 'the rider is a worker')
  const accountOf = () => me('GET', `/points/accounts/${workerId}`)
  const redemptionsOf = async () => (await me('GET', '/points/redemptions?limit=500')).items
  // What an earlier run left placed (it failed midway) is cancelled, so the shelf keeps its stock.
  for (const r of await redemptionsOf()) if (r.status === 'placed') await me('POST', `/points/redemptions/${r.id}/cancel`, { reason: '测试结束' })

  // Staff: a store of 奇山街道 serving 塔山社区 with an item in stock, and points for her.
  const staff = await staffPage(t, 'street')
  const call = await apiAs(t, staff)
  const { items: stores } = await call('GET', '/points/stores')
  const store = stores.find((s) => s.street === 'qishan' && (!s.community || s.community === 'tashan'))
  assert.ok(store, 'a store of 奇山街道 serves 塔山社区')
  const { items } = await call('GET', `/points/stores/${store.id}/items`)
  let item = items.filter((i) => i.active && i.stock >= 5).sort((a, b) => a.price - b.price)[0]
  if (!item) item = await call('POST', `/points/stores/${store.id}/items`, { name: `保温杯（测试${stamp}）`, price: 30, stock: 50 }, { 'Idempotency-Key': `m50-item-${stamp}` })
  t.log(`store ${store.name}, item ${item.name} at ${item.price} points, stock ${item.stock}`)
  // Its photo (the console makes it small; journey 40 goes that way).
  item = await call('PUT', `/points/items/${item.id}/photo`, await pictureJPEG(staff, 480, 480, '礼品'), { 'Content-Type': 'image/jpeg' })
  await call('POST', `/points/accounts/${workerId}/adjustments`, { points: item.price * 5, reason: `志愿服务补录（测试${stamp}）` }, { 'Idempotency-Key': `m50-adjust-${stamp}` })
  const credited = await accountOf()
  const before = await redemptionsOf()

  // 积分: the balance, the stars and the hours to the next one.
  await page.reload()
  const balance = page.getByTestId('balance')
  await balance.waitFor()
  assert.equal(Number(await balance.textContent()), credited.balance, 'the page shows the balance')
  await page.getByText(/再服务 [\d.]+ 小时升至 \d 星|已是最高星级/).waitFor()
  await page.getByText(/怎么得积分：志愿服务每小时 \d+ 分/).waitFor() // the street's rule
  await shot('points')

  // The street's supermarket, the item with its photo: one the phone
  // keeps (its URL names its version), not fetched again each visit.
  const photoAnswer = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/points/items/${item.id}/photo`)
  await page.getByRole('link', { name: new RegExp(store.name) }).or(page.getByText(store.name)).first().tap()
  await page.getByRole('heading', { name: store.name }).waitFor()
  const redeemButton = page.getByRole('button', { name: `兑换${item.name}`, exact: true })
  await redeemButton.waitFor()
  const photo = page.getByRole('img', { name: item.name, exact: true })
  await photo.scrollIntoViewIfNeeded()
  await photo.evaluate((img) => img.decode())
  const answered = await photoAnswer
  assert.equal(answered.status(), 200)
  assert.match(answered.headers()['cache-control'] || '', /^private, max-age=\d+, immutable$/, 'the phone may keep the photo')
  await shot('store')

  // Double tap on 确认兑换: one redemption, the price taken once.
  const posts = []
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/points/redemptions') posts.push(r.headers()['idempotency-key'])
  })
  await redeemButton.tap()
  const confirm = page.getByTestId('confirm-redeem')
  await confirm.tap({ trial: true }) // visible, still: the sheet has slid up
  await shot('confirm-sheet')
  await page.evaluate(() => {
    window.__taps = 0
    addEventListener('touchstart', (e) => e.target.closest?.('[data-testid="confirm-redeem"]') && window.__taps++, { capture: true })
  })
  await Promise.all([confirm.tap({ force: true }), confirm.tap({ force: true, noWaitAfter: true }).catch(() => {})])
  assert.equal(await page.evaluate(() => window.__taps), 2, 'both taps reached the confirm button')
  await page.getByRole('heading', { name: '兑换成功' }).waitFor()
  await shot('redeemed')
  assert.ok(posts.length >= 1 && new Set(posts).size === 1, `the double tap sent one key (requests: ${JSON.stringify(posts)})`)
  let after = await redemptionsOf()
  assert.equal(after.length, before.length + 1, 'a double tap places one redemption')
  let acct = await accountOf()
  assert.equal(acct.balance, credited.balance - item.price, 'the price is taken once')
  await page.getByRole('button', { name: '完成' }).tap()

  // A lost answer: the request reaches the service, its answer never reaches
  // the phone. The app retries with the same key; the service replays.
  const tries = []
  let lose = 1
  await page.route('**/api/points/redemptions', async (route) => {
    const req = route.request()
    if (req.method() !== 'POST') return route.fallback()
    const response = await route.fetch()
    tries.push({ key: req.headers()['idempotency-key'], status: response.status(), replayed: response.headers()['idempotent-replayed'] === 'true' })
    if (lose-- > 0) return route.abort('aborted')
    return route.fulfill({ response })
  })
  await redeemButton.tap()
  await confirm.tap()
  await page.getByRole('heading', { name: '兑换成功' }).waitFor()
  await page.getByText('只兑换了一次，没有重复扣分').waitFor()
  await shot('lost-answer-replayed')
  assert.equal(tries.length, 2, `one retry after the lost answer (${JSON.stringify(tries)})`)
  assert.equal(tries[0].key, tries[1].key, 'the retry sends the same Idempotency-Key')
  assert.ok(tries[1].status === 201 && tries[1].replayed, 'the retry is answered with a replay of the first')
  after = await redemptionsOf()
  assert.equal(after.length, before.length + 2, 'the lost answer and its retry place one redemption')
  acct = await accountOf()
  assert.equal(acct.balance, credited.balance - 2 * item.price, 'the price is taken once for it')
  await page.getByRole('button', { name: '完成' }).tap()

  // Both answers lost: the sheet says so and 重试 sends the same key again.
  tries.length = 0
  lose = 2
  await redeemButton.tap()
  await confirm.tap()
  await page.getByRole('button', { name: '重试' }).waitFor()
  await page.getByText('兑换可能已经成功').waitFor()
  await shot('lost-twice-retry')
  await page.getByRole('button', { name: '重试' }).tap()
  await page.getByRole('heading', { name: '兑换成功' }).waitFor()
  assert.equal(tries.length, 3, `two tries, then 重试 (${JSON.stringify(tries)})`)
  assert.equal(new Set(tries.map((x) => x.key)).size, 1, 'every try of one redemption has its key')
  after = await redemptionsOf()
  assert.equal(after.length, before.length + 3, 'three redemptions in all')
  acct = await accountOf()
  assert.equal(acct.balance, credited.balance - 3 * item.price, 'three prices taken')
  await page.unroute('**/api/points/redemptions')
  await page.getByRole('button', { name: '完成' }).tap()

  // No signal at all when confirming: nothing reaches the service; 重试
  // once the signal is back places it, once.
  await redeemButton.tap()
  await confirm.tap({ trial: true })
  await t.network('offline')
  await confirm.tap()
  await page.getByRole('button', { name: '重试' }).waitFor()
  await page.getByText('手机没有网络信号').waitFor()
  await shot('offline-retry')
  await t.network('slow4g')
  await page.getByRole('button', { name: '重试' }).tap()
  await page.getByRole('heading', { name: '兑换成功' }).waitFor()
  after = await redemptionsOf()
  assert.equal(after.length, before.length + 4, 'four redemptions in all')
  acct = await accountOf()
  assert.equal(acct.balance, credited.balance - 4 * item.price, 'four prices taken')
  await page.getByRole('link', { name: '查看我的兑换' }).or(page.getByRole('button', { name: '查看我的兑换' })).first().tap()

  // 我的兑换: the four, 待领取 with where to pick them up; one cancelled here.
  await page.getByRole('heading', { name: '我的兑换' }).or(page.locator('.van-nav-bar__title', { hasText: '我的兑换' })).first().waitFor()
  const placed = page.locator('li[data-status="placed"]')
  await placed.first().waitFor()
  await page.getByText(/领取：/).first().waitFor()
  await shot('redemptions')
  await placed.first().getByRole('button', { name: `取消兑换${item.name}` }).tap()
  await page.getByRole('dialog').getByRole('button', { name: '取消兑换', exact: true }).tap()
  await page.locator('li[data-status="cancelled"]').first().waitFor()
  await shot('cancelled')
  acct = await accountOf()
  assert.equal(acct.balance, credited.balance - 3 * item.price, 'a cancellation gives the points back')

  // 积分明细: the adjustment, the redemptions and the refund.
  await page.goto('/m/points/history')
  await page.getByText(`社区调整：志愿服务补录（测试${stamp}）`).waitFor()
  await page.getByText('积分超市兑换').first().waitFor()
  await page.getByText(/兑换取消/).first().waitFor()
  await shot('history')

  // The journey's other redemptions are cancelled, so the shelf keeps its stock.
  const mine = (await redemptionsOf()).filter((r) => r.status === 'placed' && !before.some((b) => b.id === r.id))
  for (const r of mine) await me('POST', `/points/redemptions/${r.id}/cancel`, { reason: '测试结束' })
}
