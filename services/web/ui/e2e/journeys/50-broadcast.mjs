// A street admin broadcasts a policy notice (政策通知) to one community:
// composes it from the template with a unique title, sees the service's
// preview and the segment's size, sends it, and watches the progress reach
// "已完成"; the broadcast is in the list, and the push delivery log shows
// what pushes there are (by default riders have only the inbox on, so a
// fresh stack may have none: the log then says why it is empty).
import { assert, signIn, toast, openTab, until } from '../lib.mjs'

async function get(page, path) {
  return page.evaluate(async (path) => {
    const r = await fetch('/api' + path, { headers: { Accept: 'application/json' } })
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`)
    return r.json()
  }, path)
}

/** Opens the Element Plus select whose input is labelled name. */
const select = (page, name) => page.locator('.el-select').filter({ has: page.getByRole('combobox', { name }) }).click()

export async function run(t) {
  const { page, shot } = t
  const title = `测试通知${Date.now().toString().slice(-8)}`
  const content = '明日起气温骤降，请注意防寒保暖，各驿站提供热水和暖手宝。'

  await signIn(t, 'street')
  // Through the menu, as a clerk goes (a page.goto would abort the dashboard's loads).
  await page.getByRole('menuitem', { name: '通知' }).click()
  await page.getByRole('heading', { name: '通知' }).waitFor()
  await page.locator('.el-radio-button', { hasText: '政策通知' }).click()
  await page.getByLabel('通知标题').fill(title)
  await page.getByLabel('通知内容').fill(content)

  // The segment: one community; its size is shown.
  await select(page, '社区')
  await page.getByRole('option', { name: '塔山社区' }).click()
  const size = page.locator('[data-test="segment-size"]')
  await size.filter({ hasText: /约 [1-9]\d* 人/ }).waitFor()
  const preview = page.getByLabel('通知预览')
  await preview.getByText('以上为骑手收到的内容').waitFor()
  await preview.getByText(title).waitFor()
  await preview.getByText(content).waitFor()
  await shot('compose-preview')

  await page.getByRole('button', { name: '发送通知' }).click()
  const confirm = page.getByRole('dialog', { name: '确认群发' })
  await confirm.getByText(title).waitFor()
  await shot('confirm')
  await confirm.getByRole('button', { name: '发送' }).click()
  await toast(page, '已提交发送')

  // The progress is polled by the page until done.
  const progress = page.locator('[data-test="broadcast-progress"]')
  await progress.getByText(title).waitFor()
  await progress.locator('[data-test="broadcast-status"]').filter({ hasText: '已完成' }).waitFor({ timeout: 60000 })
  await progress.getByText(/已完成：\d+ 人的消息中心已收到/).waitFor()
  await shot('progress-done')
  const list = await get(page, '/notification/broadcasts')
  const b = list.items.find((x) => x.variables.title === title)
  assert.ok(b, 'the broadcast is listed')
  assert.equal(b.status, 'done')
  assert.ok(b.total > 0 && b.sent === b.total, `every recipient has it (${b.sent}/${b.total})`)
  assert.equal(b.segment.community, 'tashan')

  // 群发记录: the broadcast, done.
  await openTab(page, '群发记录')
  const row = page.getByRole('row').filter({ hasText: title })
  await row.getByText('已完成').waitFor()
  await row.getByText(`${b.sent} / ${b.total} 人`).waitFor()
  await shot('broadcasts')

  // 推送记录: the demo's riders of 塔山 with SMS for notices get it by SMS
  // (at once, or in the morning in quiet hours: a row either way). Wait
  // for the notification service to log them, then see them on the page.
  await until(page, async () => {
    const r = await fetch('/api/notification/deliveries?limit=100').then((r) => r.json())
    return r.items.some((d) => d.channel === 'sms')
  }, { what: 'an SMS delivery in the log' })
  await openTab(page, '推送记录')
  await page.locator('#pane-deliveries .el-table__body tr').filter({ hasText: '短信' }).first().waitFor()
  await shot('deliveries')
  await select(page, '推送状态')
  await page.getByRole('option', { name: '已送达' }).click()
  await page.locator('#pane-deliveries .el-table__body tr').first().or(page.getByText('暂无推送记录')).first().waitFor()
  await shot('deliveries-delivered')
}
