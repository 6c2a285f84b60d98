// A clerk signs in, sees who they are and their scope, and signs out.
import { assert, signIn } from '../lib.mjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

// The budget of JavaScript a first visit loads, compressed as sent.
const initialJSBudget = 400 * 1024

export async function run(t) {
  const { page, shot } = t
  // Every script the first visit loads, with its size on the wire.
  const scripts = []
  const onScript = async (res) => {
    if (res.request().resourceType() === 'script') scripts.push(res.request().sizes().then((s) => ({ url: res.url(), bytes: s.responseBodySize })))
  }
  page.on('response', onScript)
  await page.goto('/')
  await page.waitForURL(/\/signin/)
  await page.getByRole('heading', { name: '暖新 · 街道工作台' }).waitFor()
  await page.waitForLoadState('networkidle')
  page.off('response', onScript)
  const loaded = await Promise.all(scripts)
  const total = loaded.reduce((n, s) => n + s.bytes, 0)
  t.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KiB in ${loaded.length} files (budget ${initialJSBudget / 1024} KiB)`)
  writeFileSync(join(t.dir, 'initial-js.json'), JSON.stringify({ bytes: total, files: loaded }, null, 1) + '\n')
  assert.ok(total <= initialJSBudget, `the first visit loads ${total} bytes of JavaScript, over the ${initialJSBudget} budget`)
  await shot('sign-in')
  // A wrong password says so, in Chinese.
  t.allow('POST', /^\/api\/session$/, 401)
  // By keyboard alone: the name, Tab to the password, Enter to send.
  await page.getByLabel('用户名').focus()
  await page.keyboard.type('qishan.admin')
  await page.keyboard.press('Tab')
  await page.keyboard.type('not-the-password')
  await page.keyboard.press('Enter')
  await page.getByRole('alert').filter({ hasText: '用户名或密码不正确' }).waitFor()
  await shot('wrong-password')
  await signIn(t, 'street')
  await shot('dashboard')
  await page.getByRole('link', { name: /管理员|qishan/ }).first().click()
  await page.waitForURL(/\/me$/)
  await page.getByText('街道管理员').first().waitFor()
  await page.getByText('奇山街道').first().waitFor()
  await shot('me')
  await page.getByRole('button', { name: '退出' }).click()
  await page.waitForURL(/\/signin/)
  // Signed out: the console's pages send back to sign-in.
  await page.goto('/census/workers')
  await page.waitForURL(/\/signin\?next=/)
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).match(/eyJ|token/i), 'no token in web storage')
}
