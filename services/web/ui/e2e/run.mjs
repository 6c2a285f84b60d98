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
import { readdirSync, mkdirSync, rmSync } from 'node:fs'
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
    const context = await browser.newContext({
      baseURL: base,
      viewport: journey.viewport || { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
      acceptDownloads: true,
      ...(journey.contextOptions || {}),
    })
    context.setDefaultTimeout(Number(process.env.E2E_TIMEOUT_MS || 30000))
    const page = await context.newPage()
    page.on('console', (m) => {
      // A refused request is logged by Chromium as a console error; such
      // answers are judged below, by the allow() list, not here.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
        problems.push(`console error: ${m.text()}`)
      }
    })
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText || ''
      // "Aborted" is the page's own doing, not a failure: a request still
      // going when the page moved on, or a download handed to the browser.
      if (why !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.method()} ${r.url()} ${why}`)
    })
    page.on('response', (r) => {
      if (r.status() < 400) return
      const u = new URL(r.url())
      const ok = allowed.some((a) => a.method === r.request().method() && a.path.test(u.pathname) && a.status === r.status())
      if (!ok) problems.push(`answer ${r.status()}: ${r.request().method()} ${u.pathname}${u.search}`)
    })
    let n = 0
    const t = {
      page,
      context,
      base,
      env: process.env,
      /** Saves a screenshot named name (numbered in order), and checks every control on screen has a label. */
      shot: async (label) => {
        n++
        await page.screenshot({ path: join(dir, `${String(n).padStart(2, '0')}-${label}.png`), fullPage: false })
        for (const c of await unlabelled(page)) problems.push(`at ${label}: a control with no label: ${c}`)
      },
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
    await context.close()
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
