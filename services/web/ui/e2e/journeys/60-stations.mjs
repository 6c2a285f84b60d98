// A street admin keeps the street's warm stations: the list and the map,
// opening a new station, changing its opening hours and facilities, and
// closing it with a reason (the record stays, marked closed).
import { assert, signIn, toast } from '../lib.mjs'

export async function run(t) {
  const { page, shot } = t
  await signIn(t, 'street')
  await page.getByRole('menuitem', { name: '暖心驿站' }).click()
  await page.waitForURL(/\/stations$/)
  await page.getByRole('heading', { name: '暖心驿站' }).waitFor()
  const rows = page.locator('.el-table__body tr')
  await rows.first().waitFor()
  assert.ok((await rows.count()) > 0, 'the demo street has stations')
  // The map draws a point per station even without tiles; a point opens the station.
  const markers = page.locator('.leaflet-overlay-pane path.leaflet-interactive')
  await markers.first().waitFor()
  await shot('list-and-map')
  await markers.first().click({ force: true })
  const drawer = page.getByRole('dialog').filter({ has: page.getByText('开放时间') })
  await drawer.waitFor()
  await shot('station-from-map')
  await page.keyboard.press('Escape')
  await drawer.waitFor({ state: 'hidden' })

  // Filters: by facility.
  await page.getByRole('combobox', { name: '设施' }).click({ force: true })
  await page.getByRole('option', { name: '充电', exact: true }).click()
  await page.getByText(/共 \d+ 个驿站/).waitFor()
  await shot('filtered-by-charging')
  await page.goto('/stations')
  await rows.first().waitFor()

  // Open a new station with a unique name.
  const name = `e2e驿站${Date.now()}`
  await page.getByRole('button', { name: '开设驿站' }).click()
  const dialog = page.getByRole('dialog', { name: '开设驿站' })
  await dialog.getByLabel('驿站名称').fill(name)
  await dialog.getByRole('combobox', { name: '社区' }).click({ force: true })
  await page.getByRole('option', { name: '塔山社区' }).click()
  await dialog.getByLabel('承办单位').fill('塔山社区党委')
  await dialog.getByLabel('地址').fill('芝罘区塔山南路11号')
  await dialog.getByRole('spinbutton', { name: '纬度' }).fill('37.5371')
  await dialog.getByRole('spinbutton', { name: '经度' }).fill('121.3991')
  await dialog.locator('.facilities').getByText('充电', { exact: true }).click()
  await dialog.locator('.facilities').getByText('饮水', { exact: true }).click()
  await shot('new-station-form')
  await dialog.getByRole('button', { name: '开设', exact: true }).click()
  await toast(page, '驿站已开设')
  const shown = page.getByRole('dialog', { name })
  await shown.getByText('每天 08:00–20:00').waitFor()
  await shown.getByText('开放中').waitFor()
  await page.waitForTimeout(400) // the drawer slides in
  await shot('opened')

  // Edit its opening hours and facilities.
  await shown.getByRole('button', { name: '编辑' }).click()
  await shown.getByRole('button', { name: '全天' }).click()
  await shown.getByRole('button', { name: '添加时段' }).click()
  await shown.getByRole('button', { name: '删除时段' }).nth(1).click()
  await shown.locator('.facilities').getByText('充电', { exact: true }).click() // off
  await shown.locator('.facilities').getByText('微波炉', { exact: true }).click()
  await shown.locator('.facilities').getByText('药箱', { exact: true }).click()
  await shot('editing')
  await shown.getByRole('button', { name: '保存' }).click()
  await toast(page, '已保存')
  await shown.getByText('每天 全天').waitFor()
  const facilities = await shown.locator('.el-descriptions').innerText()
  assert.match(facilities, /饮水/)
  assert.match(facilities, /微波炉/)
  assert.doesNotMatch(facilities, /充电/)
  await shot('edited')
  await page.keyboard.press('Escape')
  await shown.waitFor({ state: 'hidden' })

  // It is in the list, by its name.
  await page.getByRole('textbox', { name: '驿站名称' }).fill(name)
  await page.getByRole('button', { name: '查询' }).click()
  const row = rows.filter({ hasText: name })
  await row.getByText('每天 全天').waitFor()
  assert.equal(await rows.count(), 1)
  await row.getByText('开放中').waitFor()
  await shot('in-the-list')

  // Close it with a reason: it stays, marked closed.
  await row.getByRole('button', { name }).click()
  await shown.getByRole('button', { name: '关闭驿站' }).click()
  const box = page.getByRole('dialog', { name: '关闭驿站' })
  await box.getByRole('textbox').fill('场地到期，暂停运营')
  await shot('closing')
  await box.getByRole('button', { name: '确认关闭' }).click()
  await toast(page, '驿站已关闭')
  await shown.getByText('场地到期，暂停运营').waitFor()
  await shown.getByText('已关闭').first().waitFor()
  assert.equal(await shown.getByRole('button', { name: '编辑' }).count(), 0, 'a closed station cannot be edited')
  await shot('closed-details')
  await page.keyboard.press('Escape')
  await shown.waitFor({ state: 'hidden' })
  await row.getByText('已关闭').waitFor()
  await page.getByRole('combobox', { name: '状态' }).click({ force: true })
  await page.getByRole('option', { name: '已关闭' }).click()
  await row.getByText('已关闭').waitFor()
  await shot('closed-in-the-list')

  // A tablet: the map goes under the list.
  await page.setViewportSize({ width: 1024, height: 768 })
  await page.goto('/stations')
  await rows.first().waitFor()
  await markers.first().waitFor()
  await shot('tablet')
  await page.getByRole('region', { name: '驿站地图' }).scrollIntoViewIfNeeded()
  await shot('tablet-map')
}
