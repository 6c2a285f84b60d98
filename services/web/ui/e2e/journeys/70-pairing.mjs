// A community worker keeps in touch with the workers paired to them: pairs
// a worker with themself, logs a contact in two clicks (记录联系, 确认记录),
// sees it counted for this month and off the overdue list, and ends the
// pairing (so the next run can pair the same worker again).
import { assert, signIn, toast, openTab } from '../lib.mjs'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'community')
  await page.getByRole('menuitem', { name: '结对联系' }).click()
  await page.waitForURL(/\/pairing$/)
  await page.getByRole('heading', { name: '结对联系' }).waitFor()
  await page.locator('.el-table, .el-empty').first().waitFor()
  await shot('my-pairings')

  // Pair a worker without an active pairing (the dialog says when one has one).
  await page.getByRole('button', { name: '新建结对' }).click()
  const dialog = page.getByRole('dialog', { name: '新建结对' })
  const options = page.getByRole('option')
  let name = ''
  for (let i = 0; i < 20 && !name; i++) {
    await dialog.getByRole('combobox', { name: '新就业群体' }).click({ force: true })
    const option = options.nth(i)
    await option.waitFor()
    const candidate = (await option.locator('span').first().innerText()).trim()
    const checked = page.waitForResponse((r) => r.url().includes('/api/registry/pairings?') && r.url().includes('worker_id='))
    await option.click()
    await checked
    await page.waitForTimeout(100) // the answer is applied after it arrives
    if (!(await dialog.getByText('请先结束原结对').isVisible())) name = candidate
  }
  assert.ok(name, 'a worker in 塔山社区 without an active pairing')
  t.log(`pairing ${name}`)
  await dialog.getByRole('textbox', { name: '备注' }).fill('e2e 结对')
  await shot('new-pairing')
  await dialog.getByRole('button', { name: '建立结对' }).click()
  await toast(page, '已建立结对')
  const row = page.locator('.el-table__body tr').filter({ hasText: name })
  await row.getByText('本月未联系').waitFor()
  await shot('paired')

  // It is on this month's overdue list until contacted.
  await openTab(page, '逾期未联系')
  await row.getByText('从未联系').waitFor()
  await shot('overdue')
  await openTab(page, '我的结对')

  // Two clicks: 记录联系, then 确认记录 (the method is preselected).
  await row.getByRole('button', { name: `记录联系：${name}` }).click()
  const contact = page.getByRole('dialog', { name: `记录联系：${name}` })
  await contact.waitFor()
  await shot('contact-dialog')
  await contact.getByRole('button', { name: '确认记录' }).click()
  await toast(page, `已记录与${name}的联系`)
  await row.getByText('本月已联系').waitFor()
  assert.doesNotMatch(await row.innerText(), /从未联系/)
  await shot('contacted')

  // Off the overdue list now.
  await openTab(page, '逾期未联系')
  await page.locator('.el-table, .el-empty').first().waitFor()
  await page.locator('.el-skeleton').waitFor({ state: 'detached' })
  assert.equal(await row.count(), 0, 'a contacted pairing is not overdue')
  await shot('overdue-after-contact')

  // End the pairing.
  await openTab(page, '我的结对')
  await row.getByRole('button', { name: `结束结对：${name}` }).click()
  const box = page.getByRole('dialog', { name: '结束结对' })
  await box.getByRole('textbox').fill('e2e 测试结束')
  await box.getByRole('button', { name: '确认结束' }).click()
  await toast(page, '结对已结束')
  await row.waitFor({ state: 'detached' })
  await openTab(page, '全部结对')
  await page.getByRole('combobox', { name: '结对状态' }).click({ force: true })
  await page.getByRole('option', { name: '已结束' }).click()
  await row.first().getByText('已结束').waitFor()
  await shot('ended')

  // A tablet.
  await page.setViewportSize({ width: 1024, height: 768 })
  await openTab(page, '逾期未联系')
  await page.locator('.el-table, .el-empty').first().waitFor()
  await shot('tablet-overdue')
}
