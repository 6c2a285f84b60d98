// A rider on a phone: signs in with the code the SMS brings (read from
// the dev SMS gateway's log), and a new rider fills in the 报到 form —
// the ID number checked as it is typed — and waits for the community.
import { assert, lastCode } from '../lib.mjs'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

// The budget of JavaScript a rider's first visit loads, compressed as sent.
const initialJSBudget = 150 * 1024

export const phone = true

/** Asks for a code; identity has logged it by the time it answers. */
async function askForCode(t, mobile) {
  const { page } = t
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/otp')
  await page.getByRole('button', { name: '获取验证码' }).tap()
  const r = await answer
  assert.equal(r.status(), 200, `POST /api/otp answered ${r.status()} (one code a minute per mobile: a minute between runs)`)
  await page.getByText(/秒后重发/).waitFor()
  return lastCode(t.env, mobile)
}

/** An ID number with its right check character (GB 11643), born on day. */
function idNumber(seq, day = '19900101') {
  const body = `370602${day}${String(seq).padStart(3, '0')}`
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((n, c, i) => n + Number(c) * w[i], 0)
  return body + '10X98765432'[sum % 11]
}

export async function run(t) {
  const { page, shot } = t
  assert.ok(t.env.IDENTITY_LOG && t.env.RIDER_MOBILE, 'set IDENTITY_LOG and RIDER_MOBILE (make run prints both)')
  t.allow('GET', /^\/api\/session$/, 401)

  // A rider the registry knows. Every script the first visit loads is
  // counted, with its size on the wire.
  const scripts = []
  const onScript = (res) => {
    if (res.request().resourceType() === 'script') scripts.push(res.request().sizes().then((s) => ({ url: res.url(), bytes: s.responseBodySize })))
  }
  page.on('response', onScript)
  // The first screen, on the slow 4G network every phone journey has.
  await t.measure('first-screen', async () => {
    await page.goto('/m/')
    await page.getByRole('heading', { name: '暖新 · 骑手' }).waitFor()
  })
  await page.waitForURL(/\/m\/signin/)
  await page.waitForLoadState('networkidle')
  page.off('response', onScript)
  const loaded = await Promise.all(scripts)
  const total = loaded.reduce((n, s) => n + s.bytes, 0)
  t.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KiB in ${loaded.length} files (budget ${initialJSBudget / 1024} KiB)`)
  writeFileSync(join(t.dir, 'initial-js.json'), JSON.stringify({ bytes: total, files: loaded }, null, 1) + '\n')
  assert.ok(total <= initialJSBudget, `the rider's first visit loads ${total} bytes of JavaScript, over the ${initialJSBudget} budget`)
  await shot('sign-in')
  await page.getByLabel('手机号').fill(t.env.RIDER_MOBILE)
  const code = await askForCode(t, t.env.RIDER_MOBILE)
  await page.getByLabel('验证码').fill(code)
  await shot('code-typed')
  await page.getByRole('button', { name: '登录' }).tap()
  await page.getByRole('heading', { name: /^你好，/ }).waitFor()
  await shot('signed-in')
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).match(/eyJ|token/i), 'no token in web storage')
  await page.goto('/m/settings')
  await page.getByRole('button', { name: '退出登录' }).tap()
  await page.waitForURL(/\/m\/signin/)

  // A rider it does not: the 报到 form.
  const stamp = Date.now() % 1e7
  const mobile = `137${String(stamp).padStart(8, '0')}`
  await page.getByLabel('手机号').fill(mobile)
  await page.getByLabel('验证码').fill(await askForCode(t, mobile))
  await page.getByRole('button', { name: '登录' }).tap()
  await page.getByRole('heading', { name: '报到' }).waitFor()
  await page.getByLabel('姓名').fill(`测试骑手${stamp % 1000}`)
  // A wrong check character is caught as it is typed.
  const good = idNumber(stamp % 1000)
  const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0')
  await page.getByLabel('身份证号').fill(bad)
  await page.getByText('校验位不对，请核对是否录入有误').waitFor()
  await shot('id-number-checked')
  await page.getByLabel('身份证号').fill(good)
  await page.getByText('校验位不对，请核对是否录入有误').waitFor({ state: 'detached' })
  await page.getByLabel('职业').tap()
  await page.getByRole('button', { name: '确认' }).tap()
  await page.getByLabel('所在社区').tap()
  await page.getByText('奇山街道').tap()
  await page.getByText('塔山社区').tap()
  await shot('enrol-form')
  await page.getByRole('button', { name: '提交报到' }).tap()
  await page.getByText('报到已提交，等待社区确认').waitFor()
  await shot('waiting')
}
