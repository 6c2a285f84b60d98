import { describe, expect, it } from 'vitest'
import { ApiError } from '@/lib/api'
import {
  actions, codeProblem, codeReady, hoursText, mineOrder, momentText, myState, normalizeCode, phase, placesText,
  problemText, readQR, shanghaiDay, timeRange, type Activity,
} from './activities'

const base: Activity = {
  id: 'a1', title: '消防安全培训', kind: 'safety_training', description: '', street: 'qishan', community: 'tashan',
  address: '塔山社区党群服务中心', starts_at: '2026-12-06T01:00:00Z', ends_at: '2026-12-06T03:00:00Z',
  capacity: 40, volunteer_service: true, status: 'published', signed_up: 12,
}
const act = (o: Partial<Activity>): Activity => ({ ...base, ...o })

describe('times in Asia/Shanghai', () => {
  it('reads a range on one day with the weekday', () => {
    expect(timeRange('2026-12-06T01:00:00Z', '2026-12-06T03:00:00Z')).toBe('12月6日 周日 09:00–11:00')
  })
  it('names both days of a range past midnight', () => {
    expect(timeRange('2026-12-05T14:00:00Z', '2026-12-05T17:30:00Z')).toBe('12月5日 周六 22:00 – 12月6日 周日 01:30')
  })
  it('gives the Shanghai day for the list', () => {
    // 20:00 UTC on the 5th is the 6th in Shanghai.
    expect(shanghaiDay(new Date('2026-12-05T20:00:00Z'))).toBe('2026-12-06')
    expect(shanghaiDay(new Date('2026-12-05T20:00:00Z'), 7)).toBe('2026-11-29')
    expect(momentText('2026-12-05T20:05:00Z')).toBe('12月6日 04:05')
  })
  it('says short hours in minutes', () => {
    expect(hoursText(0.02)).toBe('1 分钟')
    expect(hoursText(0.75)).toBe('45 分钟')
    expect(hoursText(2)).toBe('2 小时')
    expect(hoursText(1.5)).toBe('1.5 小时')
    expect(hoursText(0)).toBe('0 小时')
    expect(hoursText(null)).toBe('')
  })
})

describe('the activity as the rider sees it', () => {
  it('counts places left', () => {
    expect(placesText(act({}))).toBe('剩余 28 个名额（共 40）')
    expect(placesText(act({ signed_up: 40 }))).toBe('名额已满（共 40）')
    expect(placesText(act({ capacity: null }))).toBe('名额不限')
  })
  it('knows my state', () => {
    expect(myState(act({}))).toBe('none')
    expect(myState(act({ mine: { signed_up: true } }))).toBe('signed_up')
    const at = { activity_id: 'a1', worker_id: 'w', checked_in_at: '2026-12-06T01:00:00Z', checked_out_at: null, hours: null }
    expect(myState(act({ mine: { signed_up: true, attendance: at } }))).toBe('checked_in')
    expect(myState(act({ mine: { signed_up: true, attendance: { ...at, checked_out_at: '2026-12-06T03:00:00Z', hours: 2 } } }))).toBe('checked_out')
  })
  it('opens check-in an hour before the start until the end', () => {
    expect(phase(act({}), new Date('2026-12-05T23:59:00Z'))).toBe('before')
    expect(phase(act({}), new Date('2026-12-06T00:00:00Z'))).toBe('checkin')
    expect(phase(act({}), new Date('2026-12-06T03:00:00Z'))).toBe('checkin')
    expect(phase(act({}), new Date('2026-12-06T03:00:01Z'))).toBe('ended')
    expect(phase(act({ status: 'cancelled' }), new Date('2026-12-06T01:00:00Z'))).toBe('cancelled')
  })
  it('offers what the service allows', () => {
    const early = new Date('2026-12-05T02:00:00Z')
    const during = new Date('2026-12-06T01:30:00Z')
    expect(actions(act({}), early)).toMatchObject({ signUp: true, withdraw: false, checkIn: false })
    expect(actions(act({ signed_up: 40 }), early)).toMatchObject({ signUp: false, full: true })
    expect(actions(act({ mine: { signed_up: true } }), early)).toMatchObject({ signUp: false, withdraw: true, checkIn: false })
    // Once started, no more sign-ups or withdrawals; check-in for those signed up.
    expect(actions(act({ mine: { signed_up: true } }), during)).toMatchObject({ withdraw: false, checkIn: true })
    expect(actions(act({}), during)).toMatchObject({ signUp: false, checkIn: false })
    // Without a limit anyone invited may come.
    expect(actions(act({ capacity: null }), during)).toMatchObject({ checkIn: true })
    const at = { activity_id: 'a1', worker_id: 'w', checked_in_at: '2026-12-06T01:00:00Z', checked_out_at: null, hours: null }
    expect(actions(act({ mine: { signed_up: true, attendance: at } }), during)).toMatchObject({ checkIn: false, checkOut: true })
  })
  it('orders my activities: to come soonest first, then the past latest first', () => {
    const now = new Date('2026-12-06T00:00:00Z')
    const past1 = act({ id: 'p1', starts_at: '2026-11-01T01:00:00Z', ends_at: '2026-11-01T02:00:00Z' })
    const past2 = act({ id: 'p2', starts_at: '2026-11-20T01:00:00Z', ends_at: '2026-11-20T02:00:00Z' })
    const later = act({ id: 'n2', starts_at: '2026-12-10T01:00:00Z', ends_at: '2026-12-10T02:00:00Z' })
    const soon = act({ id: 'n1' })
    const gone = act({ id: 'c', status: 'cancelled' })
    const o = mineOrder([past1, later, past2, soon, gone], now)
    expect(o.current.map((a) => a.id)).toEqual(['n1', 'n2'])
    expect(o.past.map((a) => a.id)).toEqual(['c', 'p2', 'p1'])
  })
})

describe('the check-in code', () => {
  it('is upper-cased, spaces ignored', () => {
    expect(normalizeCode(' k7q m2x ')).toBe('K7QM2X')
    expect(codeReady('k7q m2x')).toBe(true)
    expect(codeReady('K7QM2')).toBe(false)
  })
  it('names characters the code never has', () => {
    expect(codeProblem('K7QO2X')).toContain('“O”')
    expect(codeProblem('10')).toContain('“1”“0”')
    expect(codeProblem('K7Q')).toBe('')
    expect(codeProblem('K7QM2XA')).toBe('签到码是 6 位')
  })
  it('is read from the console\'s QR link or as it is', () => {
    expect(readQR('https://nuanxin.example/m/checkin?activity=0196a3f2-5c1e-7b40-9d2e-3f4a5b6c7d8e&code=K7QM2X'))
      .toEqual({ activity: '0196a3f2-5c1e-7b40-9d2e-3f4a5b6c7d8e', code: 'K7QM2X' })
    expect(readQR('k7qm2x')).toEqual({ code: 'K7QM2X' })
    expect(readQR('https://example.com/')).toBeNull()
    expect(readQR('hello')).toBeNull()
  })
})

describe('problems in Chinese', () => {
  it('says a wrong code plainly', () => {
    const e = new ApiError(422, 'Invalid request', '', [{ field: 'code', code: 'unknown_value', message: 'not this activity\'s' }])
    expect(problemText(e)).toBe('签到码不正确，请核对现场显示的签到码')
  })
  it('turns the service\'s conflicts into Chinese by their reason, not their English', () => {
    const conflict = (detail: string, reason?: string) => new ApiError(409, 'Conflict', detail, [], '', reason ? { reason } : {})
    expect(problemText(conflict('the activity is full', 'activity_full'))).toBe('名额已满')
    expect(problemText(conflict('reworded one day', 'checkin_not_open'))).toBe('活动开始前 1 小时才能签到')
    expect(problemText(conflict('not signed up: …', 'signup_required'))).toBe('这个活动名额有限，需要先报名才能签到')
    // No reason, or one this page does not know: the general words.
    expect(problemText(conflict('the activity is full'))).toBe('与现有数据冲突')
    expect(problemText(conflict('something new', 'something_new'))).toBe('与现有数据冲突')
  })
  it('says when the network is down', () => {
    expect(problemText(new TypeError('Failed to fetch'))).toBe('网络异常，请检查网络后重试')
  })
})
