// A street admin runs the points supermarket: puts a new item on the shelf
// and restocks it, credits a rider's points with a reason, and — once the
// rider's redemption of that item is placed — hands it over ("确认兑付"):
// it leaves the pending list and shows as fulfilled. The ledger still
// balances.
//
// The redemption itself is placed through the API, as staff at the counter
// may (POST /points/redemptions with worker_id; x-roles includes
// street_admin), since the journeys sign in staff only.
import { assert, signIn, toast, openTab, noDialog, pictureJPEG } from '../lib.mjs'

/** Calls the BFF from the signed-in page, with the session's CSRF token. */
async function call(page, method, path, body, headers = {}) {
  return page.evaluate(
    async ({ method, path, body, headers }) => {
      const s = await (await fetch('/api/session')).json()
      const r = await fetch('/api' + path, {
        method,
        headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await r.text()
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
      return text ? JSON.parse(text) : null
    },
    { method, path, body, headers },
  )
}

/** Picks a tab of the points page. */
const tab = openTab

export async function run(t) {
  const { page, shot } = t
  const stamp = Date.now().toString().slice(-8)
  const itemName = `测试水杯${stamp}`
  const reason = `志愿服务补录（测试${stamp}）`

  await signIn(t, 'street')
  // Through the menu, as a clerk goes (a page.goto would abort the dashboard's loads).
  await page.getByRole('menuitem', { name: '志愿积分' }).click()
  await page.getByRole('heading', { name: '志愿积分' }).waitFor()
  await page.getByText('志愿服务（每小时）').waitFor()
  await shot('rules')

  // 积分超市: a new item, then restocked.
  await tab(page, '积分超市')
  await page.getByRole('button', { name: '新增商品' }).click()
  const itemDialog = page.getByRole('dialog', { name: '新增商品' })
  await itemDialog.getByLabel('商品名称').fill(itemName)
  await itemDialog.getByLabel('所需积分').fill('15')
  await itemDialog.getByLabel('初始库存').fill('5')
  await itemDialog.getByRole('button', { name: '上架' }).click()
  await toast(page, '商品已上架')
  const itemRow = page.getByRole('row').filter({ hasText: itemName })
  await itemRow.waitFor()
  await page.getByRole('button', { name: `补货 ${itemName}` }).click()
  const restock = page.getByRole('dialog', { name: `补货：${itemName}` })
  await restock.getByLabel('补货数量').fill('3')
  await restock.getByRole('button', { name: '确认补货' }).click()
  await toast(page, '现有库存 8')
  await itemRow.getByRole('cell', { name: '8', exact: true }).first().waitFor()
  await shot('store-item-restocked')

  // Its photo, as riders will see it on the shelf: a camera's 3000×2000
  // picture, made small on the clerk's computer before it is sent.
  const picture = await pictureJPEG(page, 3000, 2000, '水杯')
  const chooser = page.waitForEvent('filechooser')
  await page.getByRole('button', { name: `上传照片 ${itemName}` }).click()
  await (await chooser).setFiles({ name: 'IMG_2041.jpg', mimeType: 'image/jpeg', buffer: picture })
  await toast(page, `已更新照片：${itemName}`)
  const thumb = itemRow.getByRole('img', { name: itemName })
  await thumb.waitFor()
  await thumb.evaluate((img) => img.decode())
  const store = (await call(page, 'GET', '/points/stores')).items.find((s) => !s.community)
  const withPhoto = (await call(page, 'GET', `/points/stores/${store.id}/items`)).items.find((i) => i.name === itemName)
  t.log(`photo: ${(picture.length / 1e6).toFixed(1)} MB picked, ${(withPhoto.photo.size / 1e3).toFixed(0)} KB stored`)
  assert.equal(withPhoto.photo.content_type, 'image/jpeg')
  assert.ok(withPhoto.photo.size <= 200_000, `the stored photo is ${withPhoto.photo.size} bytes, over 200 KB`)
  await page.getByRole('button', { name: `更换照片 ${itemName}` }).waitFor()
  await itemRow.scrollIntoViewIfNeeded()
  await shot('item-photo')

  // A rider of the street whose name is unique, so the picker finds exactly them.
  const workers = await call(page, 'GET', '/registry/workers?status=active&limit=30')
  let worker
  for (const w of workers.items) {
    const same = await call(page, 'GET', `/registry/workers?q=${encodeURIComponent(w.name)}&limit=2`)
    if (same.total === 1) {
      worker = w
      break
    }
  }
  assert.ok(worker, 'a worker with a unique name in the street')
  t.log('worker', worker.name)

  // 积分调整: 30 points (two redemptions' worth), with the reason.
  await tab(page, '积分调整')
  const picker = page.getByRole('combobox', { name: '人员' })
  await picker.click()
  await picker.fill(worker.name)
  await page.getByRole('option').filter({ hasText: worker.name }).first().click()
  await page.getByText(`${worker.name} 的积分账户`).waitFor()
  await page.getByLabel('分值').fill('30')
  await page.getByLabel('原因').fill(reason)
  await page.getByRole('button', { name: '确认调整' }).click()
  await page.getByRole('dialog', { name: '确认积分调整' }).getByRole('button', { name: '确定调整' }).click()
  await toast(page, '已调整')
  await page.getByRole('row').filter({ hasText: reason }).waitFor()
  await shot('adjusted')

  // The rider redeems the new item at the counter (placed).
  const item = (await call(page, 'GET', `/points/stores/${store.id}/items`)).items.find((i) => i.name === itemName)
  assert.ok(item, 'the new item is on the shelf')
  const placed = await call(page, 'POST', '/points/redemptions', { item_id: item.id, quantity: 1, worker_id: worker.id }, { 'Idempotency-Key': `e2e-${stamp}` })
  assert.equal(placed.status, 'placed')

  // 待兑付: hand it over.
  await tab(page, '待兑付')
  const pending = page.getByRole('row').filter({ hasText: itemName })
  await pending.waitFor()
  await pending.getByText(worker.name).waitFor()
  await shot('pending')
  await page.getByRole('button', { name: `确认兑付 ${itemName}` }).click()
  const sure = page.getByRole('dialog', { name: '确认兑付' })
  await sure.getByRole('button', { name: '确认兑付' }).click()
  await toast(page, `已兑付：${itemName}`)
  await pending.waitFor({ state: 'detached' })
  await sure.waitFor({ state: 'hidden' })
  await shot('pending-after-fulfil')
  await page.locator('.el-radio-button', { hasText: '已兑付' }).click()
  const done = page.getByRole('row').filter({ hasText: itemName })
  await done.waitFor()
  await done.getByText('已兑付').waitFor()
  await shot('fulfilled')
  const after = await call(page, 'GET', `/points/redemptions/${placed.id}`)
  assert.equal(after.status, 'fulfilled')

  // Two at the counter: a second redemption is cancelled by a colleague
  // while this clerk's list still shows it. Handing it over is refused, in
  // Chinese words, and the list shows where things stand.
  const raced = await call(page, 'POST', '/points/redemptions', { item_id: item.id, quantity: 1, worker_id: worker.id }, { 'Idempotency-Key': `e2e-${stamp}-2` })
  t.allow('POST', new RegExp(`^/api/points/redemptions/${raced.id}/fulfil$`), 409)
  await page.locator('.el-radio-button', { hasText: '待兑付' }).click()
  const stale = page.getByRole('row').filter({ hasText: itemName })
  await stale.waitFor()
  await call(page, 'POST', `/points/redemptions/${raced.id}/cancel`, { reason: '骑手改换别的商品' }, { 'Idempotency-Key': `e2e-${stamp}-3` })
  await page.getByRole('button', { name: `确认兑付 ${itemName}` }).click()
  await page.getByRole('dialog', { name: '确认兑付' }).getByRole('button', { name: '确认兑付' }).click()
  await toast(page, '该兑换已兑付或已取消')
  await stale.waitFor({ state: 'detached' })
  await noDialog(page)
  await shot('fulfil-refused')

  // The test item comes off sale again (riders no longer see it).
  await tab(page, '积分超市')
  const shelf = page.getByRole('row').filter({ hasText: itemName })
  await shelf.getByRole('cell', { name: '7', exact: true }).first().waitFor() // 8 less the one redeemed (the cancelled one came back)
  await page.getByRole('button', { name: `下架 ${itemName}` }).click()
  await page.getByRole('dialog', { name: '下架商品' }).getByRole('button', { name: '下架' }).click()
  await toast(page, '已下架')
  await shelf.getByText('已下架').waitFor()

  // The ledger still balances.
  await tab(page, '账目核对')
  await page.getByText('账目平衡').waitFor()
  await shot('ledger-check')
  await tab(page, '排行榜')
  await page.getByText(/^统计 .* 获得的积分/).or(page.getByText('这段时间还没有人获得积分')).first().waitFor()
  await shot('leaderboard')
}
