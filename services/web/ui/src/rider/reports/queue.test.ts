import { describe, expect, it } from 'vitest'
import { ApiError } from '@/lib/api'
import { createQueue, multipartBody, outcomeOf, plain, type QueuedReport, type Shelf, type SubmittedReport } from './queue'

/** A shelf in memory that, like IndexedDB, stores structured clones. */
function memoryShelf(): Shelf & { rows: Map<string, QueuedReport> } {
  const rows = new Map<string, QueuedReport>()
  return {
    rows,
    all: async () => [...rows.values()].map((r) => structuredClone(r)),
    put: async (r) => void rows.set(r.key, structuredClone(plain(r))),
    remove: async (k) => void rows.delete(k),
  }
}

const report = (key: string, workerId = 'w1', createdAt = '2026-12-05T10:00:00Z'): QueuedReport => ({
  key, workerId, createdAt,
  report: { category: 'fire_risk', description: '楼道飞线充电', lat: 37.5368, lng: 121.3985, address: '塔山南路9号' },
  photos: [new Blob([new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3])], { type: 'image/jpeg' })],
})

const answer = (id: string) => ({ id, likely_duplicates: [] }) as unknown as SubmittedReport

/** A pretend service: answers each try from the script, recording what was sent. */
function service(script: (n: number, r: QueuedReport) => SubmittedReport | Error) {
  const tries: { key: string; bytes: string }[] = []
  const post = async (r: QueuedReport) => {
    const { body } = multipartBody(r.key, r.report, r.photos)
    tries.push({ key: r.key, bytes: Buffer.from(await body.arrayBuffer()).toString('latin1') })
    const out = script(tries.length, r)
    if (out instanceof Error) throw out
    return out
  }
  return { tries, post }
}

const offline = () => new TypeError('Failed to fetch')
const refused = (status: number, detail = '', errors: { field: string; code: string; message: string }[] = [], reason = '') =>
  new ApiError(status, 'x', detail, errors, '', reason ? { reason } : {})

describe('multipartBody', () => {
  it('is the same bytes for the same key, and a form the service reads', async () => {
    const r = report('0b6f1a5e-1d1c-4c55-9a4c-2f0c1c9d1e2a')
    const a = multipartBody(r.key, r.report, r.photos)
    const b = multipartBody(r.key, structuredClone(r.report), [...r.photos])
    expect(Buffer.from(await a.body.arrayBuffer()).equals(Buffer.from(await b.body.arrayBuffer()))).toBe(true)
    expect(a.contentType).toBe('multipart/form-data; boundary=nuanxin-0b6f1a5e-1d1c-4c55-9a4c-2f0c1c9d1e2a')
    const form = await new Response(a.body, { headers: { 'Content-Type': a.contentType } }).formData()
    expect(JSON.parse(String(form.get('report')))).toEqual(r.report)
    const photo = form.getAll('photo')
    expect(photo).toHaveLength(1)
    expect(new Uint8Array(await (photo[0] as Blob).arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]))
  })
})

describe('outcomeOf', () => {
  it.each([
    ['a network failure', offline(), 'retry'],
    ['a lapsed session', refused(401), 'retry'],
    ['too many requests', refused(429), 'retry'],
    ['the service down', refused(503), 'retry'],
    ['the first try still running', refused(409, 'a request with this Idempotency-Key is still in progress', [], 'idempotency_in_progress'), 'retry'],
    ['the first try made it, its answer lost', refused(409, 'the request with this Idempotency-Key was carried out, but its answer was lost; look the result up instead of sending it again', [], 'idempotency_answer_lost'), 'sent'],
    ['a bad value', refused(422, '', [{ field: 'description', code: 'required', message: '' }]), 'failed'],
    ['too large', refused(413), 'failed'],
    ['a rider no longer on the ledger', refused(404), 'failed'],
  ])('%s → %s', (_, e, kind) => expect(outcomeOf(e).kind).toBe(kind))

  it('tells the rider what to fix', () => {
    expect(outcomeOf(refused(422, '', [{ field: 'lat', code: 'required', message: '' }]))).toEqual({ kind: 'failed', problem: '填写的内容有误；纬度：必填' })
  })
})

describe('the queue', () => {
  it('keeps a report until it is sent, then sends it once', async () => {
    const shelf = memoryShelf()
    const svc = service(() => answer('r1'))
    const q = createQueue({ shelf, post: svc.post, who: () => 'w1' })
    await q.add(report('k1'))
    expect(shelf.rows.has('k1')).toBe(true)
    await q.flush()
    expect(svc.tries.map((t) => t.key)).toEqual(['k1'])
    expect(shelf.rows.size).toBe(0)
    expect(q.state.items).toHaveLength(0)
    expect(q.state.sent).toBe(1)
    await q.flush()
    expect(svc.tries).toHaveLength(1)
  })

  it('retries without a signal with the same key and the same bytes, until it goes', async () => {
    const shelf = memoryShelf()
    const svc = service((n) => (n < 3 ? offline() : answer('r1')))
    const q = createQueue({ shelf, post: svc.post, who: () => 'w1' })
    await q.add(report('k1'))
    await q.flush()
    await q.flush()
    expect(shelf.rows.has('k1')).toBe(true)
    expect(q.state.items[0].problem).toBeUndefined()
    await q.flush()
    expect(svc.tries).toHaveLength(3)
    expect(new Set(svc.tries.map((t) => t.key))).toEqual(new Set(['k1']))
    expect(new Set(svc.tries.map((t) => t.bytes)).size).toBe(1)
    expect(shelf.rows.size).toBe(0)
  })

  it('survives a reload: a new queue over the same shelf sends what was kept', async () => {
    const shelf = memoryShelf()
    const first = createQueue({ shelf, post: service(() => offline()).post, who: () => 'w1' })
    await first.add(report('k1'))
    await first.flush()
    const svc = service(() => answer('r1'))
    const again = createQueue({ shelf, post: svc.post, who: () => 'w1' })
    await again.flush()
    expect(svc.tries.map((t) => t.key)).toEqual(['k1'])
    expect(shelf.rows.size).toBe(0)
  })

  it('shows a refusal to the rider and does not send it again', async () => {
    const shelf = memoryShelf()
    const svc = service((_, r) => (r.key === 'bad' ? refused(422, '', [{ field: 'lat', code: 'required', message: '' }]) : answer('ok')))
    const q = createQueue({ shelf, post: svc.post, who: () => 'w1' })
    await q.add(report('bad', 'w1', '2026-12-05T10:00:00Z'))
    await q.add(report('good', 'w1', '2026-12-05T10:01:00Z'))
    await q.flush()
    expect(svc.tries.map((t) => t.key)).toEqual(['bad', 'good'])
    expect(q.state.items.map((r) => r.key)).toEqual(['bad'])
    expect(q.state.items[0].problem).toMatch(/纬度：必填/)
    expect(shelf.rows.get('bad')!.problem).toMatch(/纬度/)
    await q.flush()
    expect(svc.tries).toHaveLength(2)
  })

  it('stops at the first report that must wait, oldest first', async () => {
    const svc = service(() => offline())
    const q = createQueue({ shelf: memoryShelf(), post: svc.post, who: () => 'w1' })
    await q.add(report('later', 'w1', '2026-12-05T10:05:00Z'))
    await q.add(report('earlier', 'w1', '2026-12-05T10:00:00Z'))
    await q.flush()
    expect(svc.tries.map((t) => t.key)).toEqual(['earlier'])
  })

  it('sends only the signed-in rider\u2019s reports', async () => {
    const svc = service(() => answer('r'))
    const q = createQueue({ shelf: memoryShelf(), post: svc.post, who: () => 'w2' })
    await q.add(report('someone-else', 'w1'))
    await q.flush()
    expect(svc.tries).toHaveLength(0)
    expect(q.mine()).toHaveLength(0)
  })

  it('sends a report written before the app knew the rider, once a rider is signed in', async () => {
    const svc = service(() => answer('r'))
    let who = ''
    const q = createQueue({ shelf: memoryShelf(), post: svc.post, who: () => who })
    await q.add(report('opened-offline', ''))
    // Nobody known yet: it waits, and says so, so the app asks who it is.
    expect(q.waiting()).toBe(true)
    await q.flush()
    expect(svc.tries).toHaveLength(0)
    who = 'w1'
    expect(q.mine().map((r) => r.key)).toEqual(['opened-offline'])
    await q.flush()
    expect(svc.tries.map((t) => t.key)).toEqual(['opened-offline'])
    expect(q.waiting()).toBe(false)
  })

  it('does not count another rider\u2019s reports as waiting', async () => {
    const q = createQueue({ shelf: memoryShelf(), post: service(() => answer('r')).post, who: () => 'w2' })
    await q.add(report('someone-else', 'w1'))
    expect(q.waiting()).toBe(false)
  })

  it('never sends one report twice at once', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const svc = service(() => answer('r1'))
    const post = async (r: QueuedReport) => {
      await gate
      return svc.post(r)
    }
    const q = createQueue({ shelf: memoryShelf(), post, who: () => 'w1' })
    await q.add(report('k1'))
    const a = q.flush(), b = q.flush(), c = q.send('k1')
    release()
    await Promise.all([a, b, c])
    expect(svc.tries).toHaveLength(1)
  })

  it('counts a lost answer as sent', async () => {
    const svc = service(() => refused(409, 'the request with this Idempotency-Key was carried out, but its answer was lost; look the result up instead of sending it again', [], 'idempotency_answer_lost'))
    const q = createQueue({ shelf: memoryShelf(), post: svc.post, who: () => 'w1' })
    await q.add(report('k1'))
    await q.flush()
    expect(q.state.items).toHaveLength(0)
  })
})
