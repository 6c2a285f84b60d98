// The console's browser tests: each journey in journeys/*.mjs, in a fresh
// Chromium context (Debian's /usr/bin/chromium driven by playwright-core;
// no browser is ever downloaded), against a running stack at BASE_URL —
// `make run`, or the stack cmd/nuanxin's TestConsole_journeys starts.
//
// A journey fails on its own assertion, on any console error or uncaught
// page error, and on any failed request or 4xx/5xx answer it did not
// declare with allow(). Screenshots go to OUT_DIR/<journey>/.
//
//   BASE_URL=http://127.0.0.1:8080 STAFF_PASSWORD=... node e2e/run.mjs [name-filter]
import { chromium } from 'playwright-core'
import { readdirSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const base = process.env.BASE_URL || 'http://127.0.0.1:8080'
const out = process.env.OUT_DIR || join(here, 'out')
const filter = process.argv[2] || '' // "" runs every journey
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium'

// The flags this machine needs: no sandbox as root, and nothing that
// reaches for Google's hosts on a closed network.
const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

const files = readdirSync(join(here, 'journeys')).filter((f) => f.endsWith('.mjs') && f.includes(filter)).sort()
if (!files.length) {
  console.error(`no journey matches ${JSON.stringify(filter)}`)
  process.exit(2)
}

// A phone journey (export const phone = true) runs in a 375 × 812 touch
// viewport on a slow 4G network; every screenshot also checks the touch
// targets on screen.
const phoneContext = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
// Chrome DevTools' "Slow 4G": 150 ms × 3.75 latency, 1.6 Mbit/s down and
// 750 kbit/s up (bytes per second here).
const networks = {
  slow4g: { offline: false, latency: 562.5, downloadThroughput: (1.6e6 * 0.9) / 8, uploadThroughput: (750e3 * 0.9) / 8 },
  offline: { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 },
  online: { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 },
}

const browser = await chromium.launch({ executablePath, headless: true, args })
let failed = 0
try {
  for (const f of files) {
    const journey = await import(pathToFileURL(join(here, 'journeys', f)).href)
    const name = f.replace(/\.mjs$/, '')
    const dir = join(out, name)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const started = Date.now()
    const problems = []
    const allowed = [{ method: 'GET', path: /^\/api\/session$/, status: 401 }] // the anonymous "am I signed in?"
    const contexts = []
    // Once a journey has had the phone offline, what fails for want of a
    // network is the point, not a problem: only the emulated switch makes
    // ERR_INTERNET_DISCONNECTED here, and its report can come just before
    // the switch is done or just after the signal is back.
    const net = { wentOffline: false }
    /** A new context (a phone's or a desktop's), watched like the journey's own. */
    const open = async (opts = {}) => {
      const c = await browser.newContext({
        baseURL: base,
        viewport: { width: 1366, height: 768 },
        locale: 'zh-CN',
        timezoneId: 'Asia/Shanghai',
        acceptDownloads: true,
        // The rider's service worker fetches outside the page's throttled
        // network and past page.route(): blocked, except in a journey about
        // it (serviceWorkers: 'allow' in its contextOptions).
        serviceWorkers: 'block',
        ...opts,
      })
      c.setDefaultTimeout(Number(process.env.E2E_TIMEOUT_MS || 30000))
      contexts.push(c)
      const p = await c.newPage()
      watch(p, problems, allowed, net)
      return p
    }
    const phone = !!journey.phone
    const page = await open(phone ? { ...phoneContext, ...(journey.contextOptions || {}) } : { ...(journey.viewport ? { viewport: journey.viewport } : {}), ...(journey.contextOptions || {}) })
    const context = page.context()
    // The phone's network: a slow 4G connection unless the journey says otherwise.
    const cdp = phone ? await context.newCDPSession(page) : null
    const network = async (profile) => {
      if (!cdp) throw new Error('network(): only a phone journey (export const phone = true) has a network profile')
      // Playwright's own switch also reaches a service worker's fetches; it
      // resets the page's conditions, so it goes first.
      if (profile === 'offline') net.wentOffline = true
      await context.setOffline(profile === 'offline')
      await cdp.send('Network.emulateNetworkConditions', networks[profile])
    }
    if (phone) await network('slow4g')
    const timings = {}
    let n = 0
    const t = {
      page,
      context,
      phone,
      base,
      env: process.env,
      /** Saves a screenshot named name (numbered in order), and checks every control on screen has a label. */
      shot: async (label) => {
        n++
        await page.screenshot({ path: join(dir, `${String(n).padStart(2, '0')}-${label}.png`), fullPage: false })
        for (const c of await unlabelled(page)) problems.push(`at ${label}: a control with no label: ${c}`)
        if (phone) for (const c of await smallTargets(page)) problems.push(`at ${label}: a touch target under 44 px: ${c}`)
        if (phone) for (const c of await lowContrast(page)) problems.push(`at ${label}: text below WCAG AA contrast: ${c}`)
      },
      /**
       * Times what fn does (from its start until it resolves), logs it and
       * records it in <journey>/timings.json. A measure, not an assertion:
       * speed is judged by the figures in docs/benchmarks.md, not by a
       * test that a busy machine would fail.
       */
      measure: async (label, fn) => {
        const t0 = Date.now()
        const r = await fn()
        timings[label] = Date.now() - t0
        console.log(`  [${name}] ${label}: ${timings[label]} ms${phone ? ' (slow 4G)' : ''}`)
        writeFileSync(join(dir, 'timings.json'), JSON.stringify(timings, null, 1) + '\n')
        return r
      },
      /** Switches a phone journey's network: 'slow4g' (the default), 'offline' or 'online' (unthrottled). */
      network,
      /** Opens another watched context (a desktop's by default), for staff working beside the rider. */
      open,
      /** Declares an answer the journey expects: method, a path pattern, a status. */
      allow: (method, path, status) => allowed.push({ method, path, status }),
      dir,
      log: (...a) => console.log(`  [${name}]`, ...a),
    }
    try {
      await journey.run(t)
    } catch (e) {
      problems.unshift(`failed: ${e?.stack || e}`)
      await page.screenshot({ path: join(dir, `zz-failure.png`) }).catch(() => {})
    }
    for (const c of contexts) await c.close()
    const secs = ((Date.now() - started) / 1000).toFixed(1)
    if (problems.length) {
      failed++
      console.log(`FAIL ${name} (${secs}s)\n  ` + problems.join('\n  '))
    } else {
      console.log(`ok   ${name} (${secs}s) screenshots: ${dir}`)
    }
  }
} finally {
  await browser.close()
}
process.exit(failed ? 1 : 0)

/**
 * watch makes page's troubles the journey's: console errors, page errors,
 * failed requests, and 4xx/5xx answers the journey did not allow().
 */
function watch(page, problems, allowed, net) {
  const offlineFailure = (text) => net.wentOffline && /ERR_INTERNET_DISCONNECTED/.test(text)
  page.on('console', (m) => {
    // A refused request is logged by Chromium as a console error; such
    // answers are judged below, by the allow() list, not here.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of') && !offlineFailure(m.text())) {
      problems.push(`console error: ${m.text()}`)
    }
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText || ''
    // "Aborted" is the page's own doing, not a failure: a request still
    // going when the page moved on, or a download handed to the browser.
    if (why !== 'net::ERR_ABORTED' && !offlineFailure(why)) problems.push(`request failed: ${r.method()} ${r.url()} ${why}`)
  })
  page.on('response', (r) => {
    if (r.status() < 400) return
    const u = new URL(r.url())
    const ok = allowed.some((a) => a.method === r.request().method() && a.path.test(u.pathname) && a.status === r.status())
    if (!ok) problems.push(`answer ${r.status()}: ${r.request().method()} ${u.pathname}${u.search}`)
  })
}

/**
 * smallTargets lists the visible controls a thumb would miss: smaller
 * than 44 × 44 CSS pixels, counting a larger clickable box around them
 * (a Vant cell or field around its input, a label) as the target.
 */
async function smallTargets(page) {
  return page.evaluate(() => {
    const controls = document.querySelectorAll('input:not([type=hidden]), select, textarea, button, [role=button], [role=checkbox], [role=radio], [role=switch], [role=tab], a[href]')
    const out = []
    for (const el of controls) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue
      if (r.bottom <= 0 || r.top >= innerHeight) continue // off screen: judged when scrolled to
      const box = el.closest('label, .van-cell, .van-field, [role=button], .van-tabbar-item, .van-grid-item') || el
      const b = box.getBoundingClientRect()
      const w = Math.max(r.width, b.width), h = Math.max(r.height, b.height)
      if (w < 43.5 || h < 43.5) out.push(`${Math.round(w)}×${Math.round(h)} ${el.outerHTML.slice(0, 120)}`)
    }
    return out
  })
}

/**
 * lowContrast lists visible text whose colour stands out from its
 * background by less than WCAG 2's AA ratio: 4.5:1, or 3:1 for large text
 * (24 px, or 18.66 px bold). The background is the first opaque one up
 * the tree; text on images and disabled controls are not judged.
 */
async function lowContrast(page) {
  return page.evaluate(() => {
    const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number)
    const lum = ([r, g, b]) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
    }
    // The background under el: its own and its ancestors' colours, the
    // translucent ones (a toast's) laid over what is below them.
    const background = (el) => {
      const layers = []
      for (let e = el; e; e = e.parentElement) {
        const s = getComputedStyle(e)
        if (s.backgroundImage !== 'none') return null
        const c = rgba(s.backgroundColor)
        const a = c.length === 4 ? c[3] : 1
        if (a === 0) continue
        layers.push([c[0], c[1], c[2], a])
        if (a > 0.99) break
      }
      let bg = [255, 255, 255]
      for (const [r, g, b, a] of layers.reverse()) bg = [r * a + bg[0] * (1 - a), g * a + bg[1] * (1 - a), b * a + bg[2] * (1 - a)]
      return bg.map(Math.round)
    }
    const out = []
    const seen = new Set()
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement
      if (!el || seen.has(el) || !n.textContent.trim()) continue
      seen.add(el)
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.height === 0 || r.bottom <= 0 || r.top >= innerHeight) continue
      const s = getComputedStyle(el)
      if (s.visibility === 'hidden' || Number(s.opacity) === 0 || el.closest('[disabled], [aria-disabled=true], .van-button--disabled')) continue
      const bg = background(el)
      if (!bg) continue
      const fg = rgba(s.color)
      const a = fg.length === 4 ? fg[3] : 1
      const mixed = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a))
      const [hi, lo] = [lum(mixed), lum(bg)].sort((x, y) => y - x)
      const ratio = (hi + 0.05) / (lo + 0.05)
      const size = parseFloat(s.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700)
      if (ratio < (large ? 3 : 4.5)) out.push(`${ratio.toFixed(2)}:1 ${JSON.stringify(n.textContent.trim().slice(0, 30))} (${s.color} on rgb(${bg.join(',')}))`)
    }
    return out
  })
}

/**
 * unlabelled lists the visible controls on the page that a screen reader
 * could not name: no aria-label(ledby), no <label>, no title, no text.
 */
async function unlabelled(page) {
  return page.evaluate(() => {
    const controls = document.querySelectorAll('input:not([type=hidden]), select, textarea, button, [role=button], [role=combobox], [role=switch], [role=checkbox], [role=radio], [role=tab], a[href]')
    const out = []
    for (const el of controls) {
      const r = el.getBoundingClientRect()
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue
      const named =
        el.getAttribute('aria-label')?.trim() ||
        (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim()) ||
        (el.labels && [...el.labels].some((l) => l.textContent.trim())) ||
        el.getAttribute('title')?.trim() ||
        el.getAttribute('placeholder')?.trim() ||
        (!['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && (el.textContent.trim() || el.querySelector('img[alt]:not([alt=""])')))
      if (!named) out.push(el.outerHTML.slice(0, 160))
    }
    return out
  })
}
