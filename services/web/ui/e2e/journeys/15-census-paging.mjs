// A clerk pages through the census ledger and back: the pages follow the
// registry's cursors, and going back shows the same rows again.
import { assert, signIn } from '../lib.mjs'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'street')
  await page.getByRole('menuitem', { name: '人员台账' }).click()
  const summary = page.getByText(/^共 \d+ 人 · 第 1 页$/)
  await summary.waitFor()
  const total = Number((await summary.innerText()).match(/共 (\d+) 人/)[1])
  assert.ok(total > 20, `the demo street has more than a page of workers (${total})`)
  const firstRow = async () => (await page.locator('.el-table__body tr').first().innerText()).trim()
  const page1 = await firstRow()
  await page.getByRole('button', { name: '下一页' }).click()
  await page.getByText(/^共 \d+ 人 · 第 2 页$/).waitFor()
  // The page number moves at the click; the rows when the registry answers.
  await page.waitForFunction((before) => document.querySelector('.el-table__body tr')?.innerText?.trim() !== before, page1)
  const page2 = await firstRow()
  assert.notEqual(page2, page1, 'the second page shows other workers')
  await shot('page-2')
  await page.getByRole('button', { name: '上一页' }).click()
  await page.getByText(/^共 \d+ 人 · 第 1 页$/).waitFor()
  await page.waitForFunction((before) => document.querySelector('.el-table__body tr')?.innerText?.trim() === before, page1)
  await shot('back-to-page-1')
}
