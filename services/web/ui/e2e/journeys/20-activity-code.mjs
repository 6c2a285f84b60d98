// A street admin drafts an activity, publishes it, and shows its check-in
// code full screen for the place: a QR code and the code in large
// characters, the same code the service answers for the activity.
import { assert, signIn } from '../lib.mjs'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'street')
  // Through the menu: a page load would cut off the dashboard's requests.
  await page.getByRole('menuitem', { name: '活动' }).first().click()
  await page.getByRole('heading', { name: '活动', exact: true }).waitFor()
  await page.locator('.el-table, .el-empty').first().waitFor()
  await shot('activities')

  // Draft one with a name no other run uses.
  const title = `e2e 电动车消防安全培训 ${Date.now()}`
  await page.getByRole('button', { name: '新建活动' }).click()
  const dlg = page.getByRole('dialog', { name: '新建活动' })
  await dlg.getByLabel('活动名称').fill(title)
  await dlg.getByLabel('活动内容').fill('讲解电动车充电与楼道消防安全，现场演示灭火器使用。')
  await dlg.getByLabel('地址', { exact: true }).fill('奇山街道塔山社区党群服务中心二楼')
  await shot('create')
  await dlg.getByRole('button', { name: '保存为草稿' }).click()
  await page.waitForURL(/\/activities\/[0-9a-f-]{36}$/)
  const id = page.url().split('/').pop()
  await page.getByRole('heading', { name: title }).waitFor()
  const status = page.getByTestId('activity-status')
  await status.filter({ hasText: '草稿' }).waitFor()
  await shot('draft')

  // Publish it: the code appears.
  await page.getByRole('button', { name: '发布', exact: true }).click()
  await page.getByRole('dialog', { name: '发布活动' }).getByRole('button', { name: '发布', exact: true }).click()
  await status.filter({ hasText: '已发布' }).waitFor()
  await shot('published')

  // Full screen: the QR image has been drawn and the characters match the service's.
  await page.getByRole('button', { name: '显示签到码' }).click()
  const qr = page.getByRole('img', { name: /^签到二维码/ })
  await qr.waitFor()
  await page.waitForFunction(() => {
    const img = document.querySelector('img[alt^="签到二维码"]')
    return img && img.complete && img.naturalWidth > 100
  })
  const box = await qr.boundingBox()
  assert.ok(box && box.width >= 250, `the QR code is big enough to scan (${box?.width}px)`)
  const shown = (await page.getByTestId('checkin-code').innerText()).trim()
  const expected = await page.evaluate(async (id) => {
    const r = await fetch(`/api/activity/activities/${id}`, { credentials: 'same-origin' })
    return (await r.json()).checkin_code
  }, id)
  assert.match(expected, /^[A-HJKMNP-Z2-9]{6}$/)
  assert.equal(shown, expected, 'the code shown is the activity\'s check-in code')
  await shot('checkin-code-fullscreen')
  await page.getByRole('button', { name: '关闭' }).click()

  // The list shows it published.
  await page.getByRole('link', { name: '返回活动列表' }).click()
  const row = page.locator('.el-table__row').filter({ hasText: title })
  await row.waitFor()
  assert.ok((await row.innerText()).includes('已发布'))
  await shot('list-published')
}
