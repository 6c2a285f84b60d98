// A street admin takes a rider's report (随手拍) from the queue through
// 受理 → 派单 → 办结 → 关闭, with a note at each step, and the drawer shows
// the new state after each. Riders submit reports (staff cannot), so this
// journey needs one still 待受理 in 奇山街道: the demo data seeds 72.
import { assert, signIn } from '../lib.mjs'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'street')
  // Through the menu: a page load would cut off the dashboard's requests.
  await page.getByRole('menuitem', { name: '随手拍' }).first().click()
  await page.getByRole('heading', { name: '随手拍', exact: true }).waitFor()
  await page.locator('.el-table__row, .el-empty').first().waitFor()
  await shot('queue')
  // The same queue on the map.
  await page.getByText('地图', { exact: true }).click()
  await page.getByRole('region', { name: '随手拍地图' }).waitFor()
  await page.locator('.leaflet-interactive').first().waitFor()
  await shot('queue-map')
  await page.getByText('列表', { exact: true }).click()

  // Only those waiting to be accepted; the soonest due is first.
  await page.locator('.el-select', { has: page.getByRole('combobox', { name: '状态' }) }).click()
  const answered = page.waitForResponse((r) => r.url().includes('/api/activity/reports?') && r.url().includes('status=submitted'))
  await page.getByRole('option', { name: '待受理', exact: true }).click()
  await answered
  const first = page.locator('.el-table__body-wrapper .el-table__row').first()
  await first.or(page.locator('.el-empty')).first().waitFor()
  if (!(await first.isVisible())) throw new Error('no report 待受理 in 奇山街道: this journey needs the demo data (riders submit reports, staff cannot)')
  assert.ok((await first.innerText()).includes('待受理'), 'the filtered queue shows reports waiting to be accepted')
  await shot('queue-submitted')
  await first.getByRole('button', { name: /^处理/ }).click()

  const drawer = page.getByRole('dialog', { name: /随手拍/ }).first()
  const status = drawer.getByTestId('report-status')
  await status.filter({ hasText: '待受理' }).waitFor()
  const id = await drawer.locator('[data-report-id]').getAttribute('data-report-id')
  t.log('report', id)
  await shot('drawer')

  /** Takes one step in the drawer's dialog and waits for the new state. */
  async function step(verb, fields, shown) {
    await drawer.getByRole('button', { name: verb, exact: true }).click()
    const dlg = page.getByRole('dialog', { name: `${verb}随手拍` })
    await dlg.waitFor()
    for (const [label, value] of Object.entries(fields)) await dlg.getByLabel(label).fill(value)
    await shot(`${verb}-dialog`)
    await dlg.getByRole('button', { name: `确定${verb}` }).click()
    await dlg.waitFor({ state: 'hidden' })
    await status.filter({ hasText: shown }).waitFor()
    await drawer.getByText(fields['处理说明']).first().waitFor() // the note is in the history
    await shot(shown)
  }
  await step('受理', { 处理说明: '已核实情况，社区受理（e2e）' }, '已受理')
  await step('派单', { 承办单位: '塔山小区物业服务中心', 责任人: '刘经理', 处理说明: '已联系物业现场处理（e2e）' }, '已派单')
  await step('办结', { 处理说明: '现场已整改并复查（e2e）' }, '已办结')
  await step('关闭', { 处理说明: '已回访上报骑手，问题解决（e2e）' }, '已关闭')
  assert.equal(await drawer.getByRole('button', { name: '受理', exact: true }).count(), 0, 'a closed report has no further steps')

  // The service agrees: closed, founded, four steps on record.
  const r = await page.evaluate(async (id) => (await fetch(`/api/activity/reports/${id}`, { credentials: 'same-origin' })).json(), id)
  assert.equal(r.status, 'closed')
  assert.equal(r.valid, true)
  assert.deepEqual(r.transitions.map((x) => x.to), ['accepted', 'dispatched', 'resolved', 'closed'])
  assert.equal(r.transitions[1].unit, '塔山小区物业服务中心')
}
