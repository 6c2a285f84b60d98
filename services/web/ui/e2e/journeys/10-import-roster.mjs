// A street admin imports a census CSV of 3 good and 2 bad rows, watches
// the job finish, reads the 2 rejections (row, column, reason), downloads
// them to correct, then exports a roster as XLSX.
import { readFile } from 'node:fs/promises'
import { assert, signIn, openTab } from '../lib.mjs'

/** A valid resident ID number (GB 11643): area, birth date, sequence, MOD 11-2 check. */
export function idNumber(seq, birth = '19900101') {
  const body = '370602' + birth + String(seq % 1000).padStart(3, '0')
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((s, d, i) => s + Number(d) * w[i], 0)
  return body + '10X98765432'[sum % 11]
}

/** The same number with a wrong check character. */
function wrongCheck(id) {
  const last = id.at(-1)
  return id.slice(0, 17) + (last === '0' ? '1' : '0')
}

export async function run(t) {
  const { page, shot } = t
  const stamp = Date.now()
  const tag = String(stamp).slice(-6)
  // Birth dates from the stamp keep the numbers unique from run to run.
  const day = (n) => `19${80 + (Math.floor(stamp / 1000) % 20)}0${1 + (n % 9)}${String(10 + (Math.floor(stamp / 7) % 18)).padStart(2, '0')}`
  const mobile = (n) => '139' + String((stamp * 7 + n * 104729) % 1e8).padStart(8, '0')
  const good = [1, 2, 3].map((n) => ({ name: `导入甲${tag}${n}`, mobile: mobile(n), id: idNumber(stamp + n, day(n)) }))
  const badId = { name: `导入错证${tag}`, mobile: mobile(4), id: wrongCheck(idNumber(stamp + 4, day(4))) }
  const badMobile = { name: `导入错号${tag}`, mobile: '1390000', id: idNumber(stamp + 5, day(5)) }
  const line = (p) => [p.name, p.mobile, p.id, '外卖骑手', '塔山社区', '美团', '群众'].join(',')
  // Bad rows on lines 3 and 5 (the header is line 1).
  const csv = ['姓名,手机号,身份证号,职业,所属社区,从业平台,政治面貌', line(good[0]), line(badId), line(good[1]), line(badMobile), line(good[2])].join('\r\n') + '\r\n'

  await signIn(t, 'street')
  // Through the menu: a page load would cut off what the dashboard is still fetching.
  const menu = (name) => page.getByRole('menuitem', { name, exact: true }).click()
  await menu('导入')
  await page.getByRole('heading', { name: '导入' }).waitFor()
  await shot('import-page')

  await page.locator('input[type=file]').setInputFiles({ name: `摸排表-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') })
  await page.getByText(`已选择：摸排表-${tag}.csv`).waitFor()
  await shot('file-chosen')
  await page.getByRole('button', { name: '开始导入' }).click()

  await page.getByTestId('job-status').filter({ hasText: '已完成' }).waitFor({ timeout: 30000 })
  await page.locator('.rejections .el-table__row').first().waitFor()
  await page.waitForTimeout(700) // the progress bar's width animates to 100%
  await shot('import-done')
  const stats = await page.locator('.counts').innerText()
  assert.match(stats, /新登记\s*3/, stats)
  assert.match(stats, /被拒绝\s*2/, stats)
  const rows = await page.locator('.rejections .el-table__body tr').allInnerTexts()
  assert.equal(rows.length, 2, rows.join('\n'))
  assert.match(rows[0], /^3\s+身份证号\s+.*校验/s, rows[0])
  assert.match(rows[1], /^5\s+手机号\s+.*11/s, rows[1])

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载被拒绝的行' }).click()])
  assert.match(download.suggestedFilename(), /被拒绝的行.*\.csv$/)
  const text = await readFile(await download.path(), 'utf8')
  assert.ok(text.startsWith('\uFEFF'), 'a BOM for Excel')
  assert.ok(text.includes(badId.name) && text.includes(badMobile.name), text)
  assert.ok(!good.some((g) => text.includes(g.name)), 'only the rejected rows')
  assert.match(text, /原表行号,错误原因/)
  await shot('rejections-downloaded')
  // The import is in the history below, newest first.
  await page.locator('.el-card').filter({ hasText: '最近的导入' }).getByText(`摸排表-${tag}.csv`).first().waitFor()

  // The good rows are in the ledger now.
  await menu('人员台账')
  await page.getByLabel('搜索姓名').fill(`导入甲${tag}`)
  await page.getByLabel('搜索姓名').press('Enter')
  await page.getByRole('link', { name: good[2].name }).waitFor()
  await shot('imported-workers')
  await openTab(page, /待确认的自助登记/)
  await page.getByText(/没有待确认的自助登记|共 \d+ 人/).first().waitFor()
  await shot('awaiting-tab')
  await openTab(page, '全部人员')
  await page.getByLabel('搜索姓名').fill(good[2].name)
  await page.getByLabel('搜索姓名').press('Enter')
  await page.getByRole('link', { name: good[2].name }).waitFor()

  // A new worker's page: the story so far, and the full ID number on request (audited).
  t.allow('GET', /^\/api\/points\/accounts\/[0-9a-f-]+(\/entries)?$/, 404) // no points account yet
  await page.getByRole('link', { name: good[2].name }).click()
  await page.getByRole('heading', { name: good[2].name }).waitFor()
  await page.getByText('登记入册').waitFor()
  await page.getByText('每次查看完整信息都会被系统记录').waitFor()
  await page.getByRole('button', { name: '显示完整手机号和身份证号' }).click()
  await page.getByRole('dialog').getByRole('button', { name: '查看' }).click()
  await page.getByText(good[2].id).waitFor()
  await shot('worker-with-pii')
  // A party step shows in the story.
  await page.getByRole('button', { name: '政治面貌变更' }).click()
  const step = page.getByRole('dialog', { name: '政治面貌变更（党员发展）' })
  await step.getByLabel('负责党组织').fill('奇山街道新业态联合党支部')
  await shot('party-step')
  await step.getByRole('button', { name: '登记变更' }).click()
  await page.getByText('政治面貌：群众 → 入党申请人').waitFor()
  await page.getByRole('heading', { name: good[2].name }).waitFor()
  await shot('worker-after-step')

  await menu('花名册')
  await page.getByRole('heading', { name: '花名册' }).waitFor()
  await shot('rosters')
  const [roster] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '导出新就业群体名册（Excel）' }).click()])
  assert.match(roster.suggestedFilename(), /新就业群体名册.*\.xlsx$/)
  const xlsx = await readFile(await roster.path())
  assert.equal(xlsx.subarray(0, 2).toString('latin1'), 'PK', 'an XLSX is a zip')
  await shot('roster-exported')

  // The enterprise ledger: register one, find it, record that it closed.
  const firm = `导入测试快递网点${tag}`
  await menu('企业台账')
  await page.getByRole('heading', { name: '企业台账' }).waitFor()
  await page.getByRole('button', { name: '登记企业' }).click()
  const form = page.getByRole('dialog', { name: '登记企业' })
  await form.getByLabel('企业名称').fill(firm)
  await form.locator('.el-select').filter({ has: page.getByRole('combobox', { name: '所属社区' }) }).click()
  await page.getByRole('option', { name: '奇山街道 · 塔山社区' }).click()
  await form.getByLabel('地址').fill('芝罘区上乔西路1号')
  await shot('enterprise-form')
  await form.getByRole('button', { name: '登记' }).click()
  await page.locator('.el-message').filter({ hasText: `已登记 ${firm}` }).first().waitFor()
  await page.getByLabel('搜索企业名称或信用代码').fill(tag)
  await page.getByLabel('搜索企业名称或信用代码').press('Enter')
  await page.getByRole('cell', { name: firm, exact: true }).waitFor()
  await page.getByRole('button', { name: `登记 ${firm} 关闭` }).click()
  const close = page.getByRole('dialog', { name: '登记企业关闭' })
  await close.getByLabel('关闭原因').fill('网点撤并')
  await shot('enterprise-close')
  await close.getByRole('button', { name: '登记关闭' }).click()
  await page.locator('.el-message').filter({ hasText: `已登记 ${firm} 关闭` }).first().waitFor()
  // Closed enterprises leave the default (经营中) list; shown with 全部.
  await page.getByRole('cell', { name: firm, exact: true }).waitFor({ state: 'detached' })
  await page.locator('.el-select').filter({ has: page.getByRole('combobox', { name: '经营状态' }) }).click()
  await page.getByRole('option', { name: '已关闭' }).click()
  await page.getByRole('row', { name: new RegExp(`${firm}.*已关闭`) }).first().waitFor()
  await shot('enterprise-closed')
}
