// A rider's messages on the phone: the street admin broadcasts a notice to
// 塔山社区's ride-hailing drivers; 周鹏 sees the 消息 tab's unread badge,
// opens the inbox — the notice on top, marked unread — and reads it: the
// badge goes down. In 设置 the consent SMS and WeChat need is asked for
// (and refused here); he sets his quiet hours with the time pickers, saves,
// and after a reload they are kept.
import { apiAs, assert, riderSignIn, staffPage } from '../lib.mjs'

export const phone = true

const mobile = '15553539712' // 周鹏, 塔山社区, 网约车司机

/** Waits (up to two minutes on a busy machine) for a message titled title in the rider's inbox; answers the inbox's first page. */
async function arrived(page, me, title) {
  for (let i = 0; i < 240; i++) {
    const inbox = await me('GET', '/notification/inbox?limit=20')
    if (inbox.items.some((m) => m.title.includes(title))) return inbox
    await page.waitForTimeout(500) // a poll's pause, between real checks
  }
  throw new Error(`the broadcast ${title} did not reach his inbox`)
}

/** The badge's count on the 消息 tab (0 when it shows none). */
async function badge(page) {
  const b = page.locator('.van-tabbar-item', { hasText: '消息' }).locator('.van-badge')
  if (!(await b.count()) || !(await b.isVisible())) return 0
  const s = (await b.textContent()).trim()
  return s === '99+' ? 100 : Number(s || 0)
}

export async function run(t) {
  const { page, shot } = t
  const stamp = Date.now().toString(36)
  const title = `寒潮预警（测试${stamp}）`

  await riderSignIn(t, mobile, '/m/')
  const me = await apiAs(t, page)

  // Staff: a notice to the community's ride-hailing drivers.
  const staff = await staffPage(t, 'street')
  const call = await apiAs(t, staff)
  const broadcast = (heading, key) => call('POST', '/notification/broadcasts', {
    template: 'policy_notice',
    variables: { title: heading, content: '明日起气温骤降，请注意防寒保暖，各驿站提供热水和暖手宝。' },
    segment: { community: 'tashan', occupation: 'ride_hailing_driver' },
  }, { 'Idempotency-Key': key })
  await broadcast(title, `m60-${stamp}`)
  // The broadcast fans out in the background: wait for it in his inbox.
  const inbox = await arrived(page, me, title)
  const msg = inbox.items.find((m) => m.title.includes(title))
  assert.ok(!msg.read_at, 'unread')
  const unread = inbox.unread
  t.log(`unread before: ${unread}`)

  // The tab bar's badge counts it (refreshed on moving between tabs).
  await page.goto('/m/points')
  await page.locator('.van-tabbar-item', { hasText: '消息' }).locator('.van-badge').waitFor()
  assert.equal(await badge(page), Math.min(unread, 100), 'the badge shows the unread count')
  await shot('badge')

  // The inbox: the notice first, marked unread.
  await page.locator('.van-tabbar-item', { hasText: '消息' }).tap()
  const first = page.getByRole('list', { name: '消息列表' }).getByRole('listitem').first()
  await first.getByText(msg.title).waitFor()
  await first.getByRole('img', { name: '未读' }).waitFor()
  await page.getByText(`${unread} 条未读`).waitFor()
  await shot('inbox')

  // Reading it: it opens, is marked read, and the badge goes down.
  const read = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/notification/inbox/${msg.id}/read`)
  await first.getByRole('button').tap()
  assert.equal((await read).status(), 200)
  await first.getByRole('button', { expanded: true }).waitFor()
  await first.getByRole('img', { name: '未读' }).waitFor({ state: 'detached' })
  assert.equal(await badge(page), Math.min(unread - 1, 100), 'the badge goes down by one')
  const after = await me('GET', '/notification/inbox?limit=1')
  assert.equal(after.unread, unread - 1, 'the service counts it read')
  await shot('read')

  // Older messages, a page at a time.
  if (await page.getByRole('button', { name: '加载更多' }).isVisible()) {
    const items = page.getByRole('list', { name: '消息列表' }).getByRole('listitem')
    const shown = await items.count()
    await page.getByRole('button', { name: '加载更多' }).tap()
    await page.waitForFunction((n) => document.querySelectorAll('[aria-label="消息列表"] > li').length > n, shown)
    t.log(`inbox paged: ${shown} → ${await items.count()}`)
  }

  // 全部已读: a second notice comes; one tap marks every message up to the
  // newest on screen read. One come since (another journey's activity
  // notice, say) would stay unread, and the count says so.
  const second = `降温提醒（测试${stamp}）`
  await broadcast(second, `m60-${stamp}-2`)
  await arrived(page, me, second)
  await page.goto('/m/messages')
  await page.getByRole('list', { name: '消息列表' }).getByText(second).waitFor()
  // Wait for the answer, not the request: asking the inbox before the
  // service has marked them would race it.
  const readAll = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/notification/inbox/read')
  await page.getByRole('button', { name: '全部已读' }).tap()
  const answered = await readAll
  assert.equal(answered.status(), 200, 'marked read')
  const { through } = answered.request().postDataJSON()
  const left = await me('GET', '/notification/inbox?unread=true&limit=200')
  assert.ok(left.items.every((m) => m.seq > through), `every message up to the newest shown is read: ${JSON.stringify(left.items.map((m) => m.seq))} ≤ ${through}`)
  await page.getByText(left.unread ? `${left.unread} 条未读` : '没有未读消息').waitFor()
  assert.equal(await badge(page), Math.min(left.unread, 100), 'the badge shows what is left unread')
  await shot('all-read')

  // 设置: SMS and WeChat need his consent — asked, and refused here.
  await page.getByRole('link', { name: '设置' }).or(page.getByRole('button', { name: '设置' })).first().tap()
  await page.getByText('免打扰时段').first().waitFor()
  await shot('settings')
  const wechat = page.getByRole('checkbox', { name: '街道通知：微信推送' })
  const wechatWas = await wechat.getAttribute('aria-checked')
  if (wechatWas !== 'true') {
    await wechat.tap()
    await page.getByRole('dialog').getByRole('button', { name: '同意并开启' }).tap({ trial: true })
    await page.locator('.van-dialog:not([class*="-enter-active"])').waitFor() // faded in, for the screenshot
    await shot('consent-asked')
    await page.getByRole('dialog').getByRole('button', { name: '不开启' }).tap()
    await page.getByRole('dialog').waitFor({ state: 'hidden' })
    assert.equal(await wechat.getAttribute('aria-checked'), 'false', 'without consent the channel stays off')
  }

  // Quiet hours, with the time pickers: the hour next to the one set.
  const prefs = await me('GET', '/notification/preferences')
  const hour = (s) => Number(s.split(':')[0])
  const start = hour(prefs.quiet_hours.start) === 21 ? '22' : '21'
  const end = hour(prefs.quiet_hours.end) === 6 ? '07' : '06'
  const setTime = async (cell, h) => {
    await page.getByTestId(cell).tap()
    const picker = page.locator('.van-picker')
    await picker.waitFor()
    const column = picker.locator('.van-picker-column').first()
    await column.getByText(h, { exact: true }).tap()
    // A tapped hour is chosen at once (Vant marks it selected); 确定 takes it.
    await column.locator('.van-picker-column__item--selected').getByText(h, { exact: true }).waitFor()
    await picker.getByRole('button', { name: '确定' }).tap()
    await picker.waitFor({ state: 'hidden' })
  }
  await setTime('quiet-start', start)
  await setTime('quiet-end', end)
  await page.getByTestId('quiet-start').getByText(`${start}:`).waitFor()
  await page.getByTestId('quiet-end').getByText(`${end}:`).waitFor()
  await shot('quiet-hours-picked')
  const saved = page.waitForResponse((r) => r.request().method() === 'PUT' && new URL(r.url()).pathname === '/api/notification/preferences')
  await page.getByRole('button', { name: '保存设置' }).tap()
  assert.equal((await saved).status(), 200)
  await page.getByText('已保存').waitFor()
  const now = await me('GET', '/notification/preferences')
  assert.equal(hour(now.quiet_hours.start), Number(start), 'the start is saved')
  assert.equal(hour(now.quiet_hours.end), Number(end), 'the end is saved')
  assert.deepEqual(now.channels, prefs.channels, 'the channels are kept as they were')

  // After a reload, they are kept.
  await page.reload()
  await page.getByTestId('quiet-start').getByText(`${start}:`).waitFor()
  await page.getByTestId('quiet-end').getByText(`${end}:`).waitFor()
  await page.getByText(`${start}:${now.quiet_hours.start.split(':')[1]} 至次日 ${end}:`).waitFor()
  await shot('kept-after-reload')

  // 大字模式: the whole page larger, on this phone, and still there on the next visit.
  const large = page.getByRole('switch', { name: '大字模式' })
  await large.tap()
  await page.waitForFunction(() => document.documentElement.style.zoom === '1.25')
  await page.goto('/m/messages')
  await page.getByRole('heading', { name: '消息' }).first().waitFor()
  assert.equal(await page.evaluate(() => document.documentElement.style.zoom), '1.25', '大字模式 is kept on the phone')
  await shot('large-text')
  await page.goto('/m/settings')
  await large.tap()
  await page.waitForFunction(() => document.documentElement.style.zoom === '')
  await page.getByRole('button', { name: '退出登录' }).waitFor()
}
