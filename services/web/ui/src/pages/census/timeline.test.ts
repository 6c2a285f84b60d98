import { expect, it } from 'vitest'
import { timeline } from './timeline'
import { nextStatuses } from './types'

it('orders a worker story newest first, with dates and times mixed', () => {
  const w: any = { created_at: '2026-11-10T06:00:00Z', street: 'qishan', community: 'tashan', left_at: '2026-12-01T02:00:00Z', leave_reason: '回老家' }
  const ev = timeline(w, {
    steps: [{ from: 'masses', to: 'applicant', effective_on: '2026-11-20', party_org: '支部', note: '', recorded_at: '' }],
    entries: [{ seq: 1, kind: 'earn', points: 20, hours: 2, balance_after: 20, ref: 'attendance:a:w', at: '2026-11-25T01:00:00Z' }],
    place: (s, c) => `${s}/${c}`,
  })
  expect(ev.map((e) => e.title)).toEqual(['离开台账', '获得积分（参加活动） +20 分，服务 2 小时', '政治面貌：群众 → 入党申请人', '登记入册'])
  expect(ev[3].detail).toBe('qishan/tashan')
})

it('steps the party pipeline', () => {
  expect(nextStatuses('activist').map((s) => s.to)).toEqual(['development_target', 'masses', 'league_member'])
  expect(nextStatuses('party_member')).toEqual([])
})

it('puts a step dated today after today\'s registration', () => {
  const w: any = { created_at: '2026-12-05T07:55:00Z', street: 'q', community: 't' }
  const ev = timeline(w, { steps: [{ from: 'masses', to: 'applicant', effective_on: '2026-12-05', party_org: '', note: '', recorded_at: '2026-12-05T07:56:00Z' }] })
  expect(ev.map((e) => e.title)).toEqual(['政治面貌：群众 → 入党申请人', '登记入册'])
})

it('shows check-ins (报到) with their community and channel', () => {
  const w: any = { created_at: '2026-11-10T06:00:00Z', street: 'qishan', community: 'tashan' }
  const ev = timeline(w, {
    checkins: [
      { id: 'a', street: 'qishan', community: 'tashan', channel: 'online', checked_in_at: '2026-11-10T06:05:00Z' },
      { id: 'b', street: 'qishan', community: 'changsheng', channel: 'station', station_id: 's', checked_in_at: '2026-11-12T01:00:00Z' },
    ],
    place: (s, c) => `${s}/${c}`,
  })
  expect(ev.map((e) => [e.title, e.detail])).toEqual([
    ['报到：qishan/changsheng', '驿站报到'],
    ['报到：qishan/tashan', '线上报到'],
    ['登记入册', 'qishan/tashan'],
  ])
})

it('shows the activities signed up for and attended', () => {
  const w: any = { created_at: '2026-11-01T06:00:00Z', street: 'q', community: 't' }
  const ev = timeline(w, {
    activities: [
      { activity: { id: 'a', title: '消防培训', starts_at: '2026-11-20T01:00:00Z' }, signup: { status: 'signed_up', created_at: '2026-11-15T01:00:00Z' },
        attendance: { checked_in_at: '2026-11-20T01:05:00Z', checked_out_at: '2026-11-20T03:05:00Z', hours: 2, corrected: true } },
      { activity: { id: 'b', title: '义诊', starts_at: '2026-11-25T01:00:00Z' }, signup: { status: 'withdrawn', created_at: '2026-11-16T01:00:00Z', withdrawn_at: '2026-11-18T01:00:00Z' }, attendance: null },
    ],
  })
  expect(ev.map((e) => [e.title, e.detail])).toEqual([
    ['参加活动「消防培训」', '服务 2 小时；签到记录经更正'],
    ['取消报名「义诊」', undefined],
    ['报名活动「义诊」', undefined],
    ['报名活动「消防培训」', undefined],
    ['登记入册', 't'],
  ])
})
