// A street admin's first page: the street's figures, the month's trends,
// and what needs them now. Also measures how long the figures take to
// show after the page is asked for (reported, not asserted: speed is
// shown by measurements, never by timed tests).
import { assert, signIn } from '../lib.mjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'street')
  const started = Date.now()
  await page.goto('/')
  const figures = page.getByTestId('figures')
  await figures.getByText('新就业群体', { exact: true }).waitFor()
  const ms = Date.now() - started
  t.log(`dashboard: figures shown ${ms} ms after navigation`)
  writeFileSync(join(t.dir, 'timing.json'), JSON.stringify({ dashboard_figures_ms: ms }) + '\n')
  await page.getByRole('heading', { name: /奇山街道/ }).waitFor()
  // The figure on the card is the statistics service's own.
  const o = await page.evaluate(() => fetch('/api/stats/stats/overview').then((r) => r.json()))
  const workers = o.figures.find((f) => f.metric === 'workers').value
  const card = figures.locator('.card').filter({ hasText: '新就业群体' }).first()
  assert.equal((await card.locator('.value').innerText()).trim(), String(workers))
  await page.getByText('待我处理').waitFor()
  await page.locator('.chart canvas').first().waitFor()
  await page.locator('.todos .el-tag').filter({ hasText: '…' }).first().waitFor({ state: 'detached' })
  await shot('dashboard')
  // Each thing that needs me leads to where it is handled.
  await page.getByRole('link', { name: '本月尚未联系的结对' }).click()
  await page.waitForURL(/\/pairing\?tab=overdue/)
  await page.getByRole('tab', { name: '逾期未联系', selected: true }).waitFor()
  await page.goBack()
  await page.getByRole('link', { name: '待确认的线上报到' }).click()
  await page.waitForURL(/\/census\/workers\?tab=awaiting/)
  await shot('awaiting-from-the-dashboard')
  // District leaders pick a street.
  await page.getByRole('button', { name: '退出' }).click()
  await page.waitForURL(/\/signin/)
  await signIn(t, 'district')
  await page.getByRole('heading', { name: /全区|区/ }).waitFor()
  // Element Plus's select takes the click on its wrapper, not the input.
  await page.locator('.el-select', { has: page.getByRole('combobox', { name: '查看的街道' }) }).click()
  await page.getByRole('option', { name: '奇山街道' }).click()
  await page.getByRole('heading', { name: /奇山街道/ }).waitFor()
  await shot('district-picks-a-street')
}
