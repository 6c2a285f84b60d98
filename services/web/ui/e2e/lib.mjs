// What journeys share: signing in as the dev stack's staff, and waiting
// for Element Plus's answers.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

export { assert }

/** The dev stack's staff, by role; passwords from the environment (make run prints them). */
export function staff(env, who = 'street') {
  const u = {
    district: [env.DISTRICT_USER || 'district.admin', env.DISTRICT_PASSWORD],
    street: [env.STREET_USER || 'qishan.admin', env.STREET_PASSWORD],
    community: [env.COMMUNITY_USER || 'tashan.staff', env.COMMUNITY_PASSWORD],
  }[who]
  if (!u[1]) throw new Error(`set ${who.toUpperCase()}_PASSWORD (make run prints the dev staff's passwords)`)
  return { username: u[0], password: u[1] }
}

/**
 * The password a journey sets when the account must change its own (the
 * dev stack's staff do, at their first sign-in): derived from the first,
 * so every later journey, in this run or the next, knows it.
 */
export const changedPassword = (password) => `${password}-e2e`

/**
 * Signs in through the sign-in page and waits for the console. An account
 * that must change its password gets changedPassword(); one that already
 * did is signed in with that.
 */
// The password that last worked for each account in this run: a wrong
// try counts towards the account's lock-out, so each account sees at most
// one per run.
const working = new Map()

export async function signIn(t, who = 'street') {
  const { page } = t
  const { username, password } = staff(t.env, who)
  t.allow('POST', /^\/api\/session$/, 401)
  t.allow('POST', /^\/api\/session$/, 403)
  const menu = page.getByRole('menubar', { name: '主菜单' }).or(page.getByRole('menu', { name: '主菜单' })).first()
  const tries = working.has(username) ? [working.get(username)] : [password, changedPassword(password)]
  for (const pw of tries) {
    await page.goto('/signin')
    await page.getByLabel('用户名').fill(username)
    await page.getByLabel('密码', { exact: true }).fill(pw)
    await page.getByRole('button', { name: '登录' }).click()
    const answer = page.getByRole('alert').or(menu).first()
    await answer.waitFor()
    if (await menu.isVisible()) {
      working.set(username, pw)
      await page.waitForLoadState('networkidle')
      return
    }
    if (await page.getByLabel('再次输入新密码').isVisible()) {
      await t.shot?.('must-change-password')
      await page.getByLabel('新密码（至少 10 位）').fill(changedPassword(password))
      await page.getByLabel('再次输入新密码').fill(changedPassword(password))
      await page.getByRole('button', { name: '设置新密码并登录' }).click()
      await menu.waitFor()
      working.set(username, changedPassword(password))
      await page.waitForLoadState('networkidle')
      return
    }
  }
  throw new Error(`${username} could not sign in with either password`)
}

/** Waits for an Element Plus message toast with text and answers it. */
export async function toast(page, text) {
  const m = page.locator('.el-message').filter({ hasText: text })
  await m.first().waitFor()
  return m
}

/**
 * Waits until no Element Plus dialog or message box is on screen, closing
 * ones included: a click while one fades out lands on its overlay, not on
 * what is under it (seen on a busy machine).
 */
export async function noDialog(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-overlay')].some((o) => getComputedStyle(o).display !== 'none'))
}

/** Opens an Element Plus tab by its name, once nothing covers it, and waits until it is the selected one. */
export async function openTab(page, name) {
  await noDialog(page)
  const exact = typeof name === 'string'
  await page.getByRole('tab', { name, exact }).click()
  await page.getByRole('tab', { name, exact, selected: true }).waitFor()
}

/** The last code the dev SMS gateway sent to mobile, from identity's log (IDENTITY_LOG). */
export function lastCode(env, mobile) {
  assert.ok(env.IDENTITY_LOG, 'set IDENTITY_LOG (make run prints it)')
  const log = readFileSync(env.IDENTITY_LOG, 'utf8')
  const masked = `${mobile.slice(0, 3)}****${mobile.slice(7)}`
  const codes = [...log.matchAll(/DEV SMS[^\n]*?to (\d{3}\*{4}\d{4})[^\n]*?验证码\D{0,4}(\d{6})/g)].filter((m) => m[1] === masked)
  assert.ok(codes.length, `no code for ${masked} in ${env.IDENTITY_LOG}`)
  return codes[codes.length - 1][2]
}

/**
 * Signs a demo rider in on page's context the quick way, through the API
 * the sign-in page uses (journey m10 covers the page itself), and opens
 * path. Identity sends one code a minute per mobile: each journey uses
 * its own rider.
 */
export async function riderSignIn(t, mobile, path = '/m/', page = t.page) {
  const headers = { Origin: new URL(t.base).origin }
  const sent = await page.request.post('/api/otp', { data: { mobile }, headers })
  assert.equal(sent.status(), 200, `POST /api/otp for ${mobile} answered ${sent.status()} (one code a minute per mobile)`)
  const signed = await page.request.post('/api/session', { data: { mobile, code: lastCode(t.env, mobile) }, headers })
  assert.equal(signed.status(), 201, `POST /api/session for ${mobile} answered ${signed.status()}: ${await signed.text()}`)
  await page.goto(path)
}

/**
 * The API as page's signed-in session calls it (with its CSRF token),
 * outside the page: call(method, path, body?, headers?) answers the JSON,
 * and fails the journey on any answer but a 2xx.
 */
export async function apiAs(t, page) {
  const { csrf_token: csrf } = await (await page.request.get('/api/session')).json()
  const headers = { Origin: new URL(t.base).origin, 'X-CSRF-Token': csrf }
  return async (method, path, data, extra = {}) => {
    const r = await page.request.fetch('/api' + path, { method, data, headers: { ...headers, ...extra } })
    const text = await r.text()
    assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${text}`)
    return text ? JSON.parse(text) : null
  }
}

/** Opens a desktop page signed in as staff (who: district, street or community), beside the rider's phone. */
export async function staffPage(t, who = 'street') {
  const page = await t.open()
  await signIn({ ...t, page }, who)
  return page
}

/**
 * Waits until fn, run in the page, answers something true — fn may be
 * async, unlike page.waitForFunction's, whose promise would count as true
 * at once. Asked again every interval ms, for up to timeout ms.
 */
export async function until(page, fn, { timeout = 60000, interval = 500, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await page.evaluate(fn)
    if (v) return v
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeout} ms`)
    await page.waitForTimeout(interval) // a poll's pause, between real checks
  }
}

/**
 * A w × h JPEG made in page's browser, standing for a camera's picture of
 * something: a coloured gradient with label written large across it, and
 * grain (a camera's noise, each channel moved by up to ± grain / 2: what
 * makes its pictures megabytes; 512 is noise and nothing else).
 */
export async function pictureJPEG(page, w, h, label, { grain = 48 } = {}) {
  const b64 = await page.evaluate(async ([w, h, label, grain]) => {
    const c = document.createElement('canvas')
    c.width = w
    c.height = h
    const ctx = c.getContext('2d')
    const g = ctx.createLinearGradient(0, 0, w, h)
    g.addColorStop(0, '#fde68a')
    g.addColorStop(1, '#b91c1c')
    ctx.fillStyle = g
    ctx.fillRect(0, 0, w, h)
    ctx.fillStyle = '#fff'
    ctx.font = `bold ${Math.round(Math.min(w, h) / 3)}px sans-serif`
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.fillText(label, w / 2, h / 2)
    const img = ctx.getImageData(0, 0, w, h)
    for (let i = 0; i < img.data.length; i++) if (i % 4 !== 3) img.data[i] += ((Math.random() * grain) | 0) - grain / 2
    ctx.putImageData(img, 0, 0)
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.95))
    const bytes = new Uint8Array(await blob.arrayBuffer())
    let s = ''
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    return btoa(s)
  }, [w, h, label, grain])
  return Buffer.from(b64, 'base64')
}
