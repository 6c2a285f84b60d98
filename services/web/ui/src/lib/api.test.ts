import { describe as suite, it, expect, vi, afterEach } from 'vitest'
import { queryString, request, setCSRF, ApiError } from './api'
import { describe, fieldText } from './messages'
import { formatTime, formatDate, label } from './labels'

afterEach(() => vi.unstubAllGlobals())

suite('queryString', () => {
  it.each([
    [{}, ''],
    [{ limit: 50, q: '' }, '?limit=50'],
    [{ q: '王 海', street: null, community: undefined }, '?q=%E7%8E%8B+%E6%B5%B7'],
    [{ status: ['open', 'closed'] }, '?status=open&status=closed'],
    [{ overdue: false }, '?overdue=false'],
  ])('%j → %s', (q, want) => expect(queryString(q as any)).toBe(want))
})

suite('request', () => {
  it('sends the CSRF token with a write, never with a read', async () => {
    const seen: Record<string, string | undefined> = {}
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      seen[init.method!] = (init.headers as Record<string, string>)['X-CSRF-Token']
      return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } })
    })
    setCSRF('tok')
    await request('GET', '/registry/workers')
    await request('POST', '/registry/workers', { body: {} })
    expect(seen).toEqual({ GET: undefined, POST: 'tok' })
  })

  it('throws the problem with its field errors', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({
      title: 'Invalid request', status: 422, request_id: 'a1b2c3', detail: 'One or more fields are invalid.',
      errors: [{ field: 'id_number', code: 'invalid_check_character', message: 'bad check character' }],
    }), { status: 422, headers: { 'Content-Type': 'application/problem+json' } }))
    const err = await request('POST', '/registry/workers', { body: {} }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(describe(err)).toEqual({ title: '填写的内容有误', detail: 'One or more fields are invalid.', fields: ['身份证号：校验位不对'], requestId: 'a1b2c3' })
  })
})

suite('messages', () => {
  it('names an unknown field by its JSON name and an unknown code by its message', () => {
    expect(fieldText({ field: 'grid', code: 'weird', message: 'no such grid' })).toBe('grid：no such grid')
  })
  it('names an indexed field by its first part', () => {
    expect(fieldText({ field: 'opening_hours[0].open', code: 'invalid_format', message: 'HH:MM' })).toBe('开放时间[0].open：格式不对')
  })
  it.each([
    ['a conflict by its reason, in Chinese', { reason: 'station_closed' }, '该驿站已关闭'],
    ['a figure from the answer', { reason: 'out_of_stock', stock: 2 }, '库存不足，只剩 2 件'],
    ['the open tasks', { reason: 'project_tasks_open', open: 3 }, '还有 3 项任务未完成'],
    ['a figure missing from the answer', { reason: 'insufficient_balance' }, '积分不足'],
  ])('tells %s', (_, body, want) => {
    const err = new ApiError(409, 'Conflict', 'the english words', [], 'r1', body)
    expect(describe(err)).toEqual({ title: want, detail: '', fields: [], requestId: 'r1' })
  })
  it.each([
    ['an unknown reason', { reason: 'dragons' }],
    ['no reason', {}],
    ['a reason that is an object member name', { reason: 'toString' }],
  ])('falls back to the English detail for %s', (_, body) => {
    const err = new ApiError(409, 'Conflict', 'the english words', [], '', body)
    expect(describe(err)).toMatchObject({ title: '与现有数据冲突', detail: 'the english words' })
  })
  it('says a network failure plainly', () => {
    expect(describe(new TypeError('Failed to fetch')).title).toBe('网络异常，请检查网络后重试')
  })
})

suite('labels', () => {
  it('shows times in China Standard Time', () => {
    expect(formatTime('2026-12-05T16:30:00Z')).toBe('2026-12-06 00:30')
    expect(formatDate('2026-12-05T15:59:00Z')).toBe('2026-12-05')
    expect(formatTime('')).toBe('')
  })
  it('labels a code, and shows an unknown one as itself', () => {
    expect(label('occupation', 'courier')).toBe('快递员')
    expect(label('occupation', 'astronaut')).toBe('astronaut')
  })
})
