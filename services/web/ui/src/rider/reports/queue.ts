// Reports waiting on the phone for a signal. A report is put here when the
// rider taps 提交, with the Idempotency-Key made at that moment and its
// photos as Blobs (IndexedDB keeps both across a reload or a closed
// browser), and leaves only once the service has answered it: sent — the
// first answer or its replay — or refused for a reason the rider must fix.
// Every try sends the very same bytes with the same key (the multipart
// boundary is made from the key), so the service makes one report however
// many times the answer is lost on the way back.
//
// startReportQueue() runs the sending loop whatever page is open: at the
// start, when the phone says it is online again, when the app comes back
// to the screen, and every half minute while something waits.
import { reactive, toRaw, watch } from 'vue'
import { ApiError, request } from '@/lib/api'
import { describe } from '@/lib/messages'
import { loadSession, rider } from '../session'
import type { Report, ReportInput } from './vocab'

/** A report kept on the phone until it is sent. */
export interface QueuedReport {
  /** The Idempotency-Key, made at 提交; also the queue's key. */
  key: string
  /**
   * Whose report: only they send it (a phone may change hands). '' when
   * the app was opened without signal and did not know the rider yet: the
   * next rider signed in on this phone sends it.
   */
  workerId: string
  report: ReportInput
  photos: Blob[]
  /** When the rider tapped 提交. */
  createdAt: string
  /** Set when the service refused it: what the rider must fix. It is then not sent again. */
  problem?: string
}

/** What the service said to a report's answer (POST /activity/reports). */
export interface SubmittedReport extends Report {
  likely_duplicates: { status: string; distance_m: number; created_at: string }[]
}

/** Where queued reports are kept: IndexedDB on the phone, memory in tests. */
export interface Shelf {
  all(): Promise<QueuedReport[]>
  put(r: QueuedReport): Promise<void>
  remove(key: string): Promise<void>
}

/** The outcome of one try. */
export type Outcome =
  | { kind: 'sent'; report: SubmittedReport | null }
  | { kind: 'retry'; why: string }
  | { kind: 'failed'; problem: string }

/**
 * What a failed try means: a network failure, a lapsed session, too many
 * requests or a server's trouble are tried again later; a 409 saying the
 * first try's answer was lost means the report exists; any other refusal
 * is the rider's to fix.
 */
export function outcomeOf(e: unknown): Outcome {
  if (!(e instanceof ApiError)) return { kind: 'retry', why: 'network' }
  const s = e.status
  if (s === 409 && e.body.reason === 'idempotency_answer_lost') return { kind: 'sent', report: null }
  if (s === 401 || s === 408 || s === 409 || s === 429 || s >= 500) return { kind: 'retry', why: String(s) }
  const d = describe(e)
  return { kind: 'failed', problem: [d.title, ...d.fields].join('；') }
}

/**
 * The body of a report with its photos, always the same bytes for the same
 * key: multipart/form-data with the part `report` (the JSON) and one part
 * `photo` for each photo.
 */
export function multipartBody(key: string, report: ReportInput, photos: Blob[]): { body: Blob; contentType: string } {
  const boundary = 'nuanxin-' + key.replace(/[^A-Za-z0-9-]/g, '').slice(0, 60)
  const parts: BlobPart[] = [
    `--${boundary}\r\nContent-Disposition: form-data; name="report"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(report)}\r\n`,
  ]
  photos.forEach((p, i) => {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="photo-${i + 1}.jpg"\r\nContent-Type: ${p.type || 'image/jpeg'}\r\n\r\n`, p, '\r\n')
  })
  parts.push(`--${boundary}--\r\n`)
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

/** Sends one report: POST /activity/reports with its key. */
export function postReport(r: QueuedReport): Promise<SubmittedReport> {
  const { body, contentType } = multipartBody(r.key, r.report, r.photos)
  return request<SubmittedReport>('POST', '/activity/reports', { body, headers: { 'Content-Type': contentType, 'Idempotency-Key': r.key } })
}

export interface QueueDeps {
  shelf: Shelf
  post: (r: QueuedReport) => Promise<SubmittedReport>
  /** The signed-in rider's worker id ('' when none). */
  who: () => string
}

/** A queue over deps; the app uses the one below (IndexedDB, the real API). */
export function createQueue(deps: QueueDeps) {
  const state = reactive({
    /** Every report on the phone, oldest first. */
    items: [] as QueuedReport[],
    /** The keys being sent right now. */
    sending: [] as string[],
    /** How many reports the queue has sent: pages watch it to refresh. */
    sent: 0,
    loaded: false,
  })
  let loading: Promise<void> | null = null
  let flushing: Promise<void> | null = null

  function load() {
    loading ??= deps.shelf.all().then(
      (all) => {
        state.items = all.sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        state.loaded = true
      },
      () => {
        // No IndexedDB (a private window on some phones): the queue lives in memory.
        state.loaded = true
      },
    )
    return loading
  }

  /** The signed-in rider's reports on the phone, and those written before the app knew whose phone it is. */
  function mine() {
    const w = deps.who()
    if (!w) return []
    return state.items.filter((r) => r.workerId === w || r.workerId === '').sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  }

  /** Keeps a report on the phone; resolves once it is stored. */
  async function add(r: QueuedReport) {
    await load()
    try {
      await deps.shelf.put(r)
    } catch {
      // Kept in memory at least: it is sent while the page stays open.
    }
    state.items.push(r)
  }

  async function remove(key: string) {
    await load()
    state.items = state.items.filter((r) => r.key !== key)
    await deps.shelf.remove(key).catch(() => {})
  }

  /** Tries one report once, and keeps or drops it by the outcome. */
  async function send(key: string): Promise<Outcome> {
    await load()
    const r = state.items.find((x) => x.key === key)
    if (!r) return { kind: 'failed', problem: '这条报告已不在手机上' }
    if (state.sending.includes(key)) return { kind: 'retry', why: 'sending' }
    state.sending.push(key)
    let out: Outcome
    try {
      out = { kind: 'sent', report: await deps.post(r) }
    } catch (e) {
      out = outcomeOf(e)
    } finally {
      state.sending = state.sending.filter((k) => k !== key)
    }
    if (out.kind === 'sent') {
      await remove(key)
      state.sent++
    } else if (out.kind === 'failed') {
      const failed = { ...r, problem: out.problem }
      state.items = state.items.map((x) => (x.key === key ? failed : x))
      await deps.shelf.put(failed).catch(() => {})
    }
    return out
  }

  /**
   * Sends the rider's waiting reports, oldest first, one at a time; stops
   * at the first that has to wait (no signal: the others would too). One
   * flush at a time: a second call joins the one running.
   */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      try {
        await load()
        for (const r of mine()) {
          if (r.problem) continue
          const out = await send(r.key)
          if (out.kind === 'retry') break
        }
      } finally {
        flushing = null
      }
    })()
    return flushing
  }

  /**
   * Whether reports wait to be sent (not refused ones): the rider's, or
   * ones whose rider is not known yet — the app must then ask who it is.
   */
  function waiting() {
    const w = deps.who()
    return state.items.some((r) => !r.problem && (r.workerId === '' || (w !== '' && r.workerId === w)))
  }

  return { state, load, add, remove, send, flush, mine, waiting }
}

// ---- the phone's queue: IndexedDB ----

const dbName = 'nuanxin-rider'
const storeName = 'report-queue'

function openDB(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB'))
    const req = indexedDB.open(dbName, 1)
    req.onupgradeneeded = () => req.result.createObjectStore(storeName, { keyPath: 'key' })
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

let db: Promise<IDBDatabase> | null = null

/** A copy IndexedDB can store: no Vue proxies (the photos stay Blobs). */
export function plain(r: QueuedReport): QueuedReport {
  const raw = toRaw(r)
  const out: QueuedReport = { key: raw.key, workerId: raw.workerId, report: { ...toRaw(raw.report) }, photos: [...toRaw(raw.photos)], createdAt: raw.createdAt }
  if (raw.problem) out.problem = raw.problem
  return out
}

function tx<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest | void): Promise<T> {
  db ??= openDB()
  return db.then(
    (d) =>
      new Promise<T>((resolve, reject) => {
        const t = d.transaction(storeName, mode)
        const req = fn(t.objectStore(storeName))
        t.oncomplete = () => resolve((req ? req.result : undefined) as T)
        t.onerror = () => reject(t.error)
        t.onabort = () => reject(t.error)
      }),
  )
}

export const indexedDBShelf: Shelf = {
  all: () => tx<QueuedReport[]>('readonly', (s) => s.getAll()),
  put: (r) => tx<void>('readwrite', (s) => void s.put(plain(r))),
  remove: (key) => tx<void>('readwrite', (s) => void s.delete(key)),
}

/** The app's queue. */
export const reportQueue = createQueue({ shelf: indexedDBShelf, post: postReport, who: () => rider.workerId })
export const queued = reportQueue.state

let started = false

/**
 * Starts sending waiting reports in the background, whatever page is open;
 * call once when the app starts (calling again does nothing).
 */
export function startReportQueue() {
  if (started || typeof window === 'undefined') return
  started = true
  const go = () => {
    if (navigator.onLine === false) return
    // Opened without signal, the app could not ask whose phone it is: it
    // asks now, and the watch below sends once the rider is known.
    if (!rider.loaded) void loadSession().catch(() => {})
    else void reportQueue.flush()
  }
  void reportQueue.load().then(go)
  window.addEventListener('online', go)
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') go()
  })
  // Once the session is known, and whenever another rider signs in.
  watch(() => rider.workerId, (w) => w && go())
  // The phone may think it is online without a signal getting through.
  setInterval(() => {
    if (reportQueue.waiting()) go()
  }, 30_000)
}
