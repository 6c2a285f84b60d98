// A worker's story from what the services answer: registration and the
// clerk's decision, check-ins (报到), party steps, transfers, pairings and their contacts,
// points entries (earned at activities, spent, adjusted), and leaving.
// Newest first.
import { label } from '@/lib/labels'
import type { Worker } from './types'

export interface Step { from: string; to: string; effective_on: string; party_org: string; note: string; recorded_at: string }
export interface Transfer { from_street: string; from_community: string; to_street: string; to_community: string; reason: string; effective_on: string; recorded_at: string }
export interface Pairing { id: string; staff_name: string; note: string; status: string; created_at: string; ended_at?: string; end_reason?: string }
export interface CheckIn { id: string; street: string; community: string; channel: string; station_id?: string; checked_in_at: string }
export interface Contact { contacted_at: string; method: string; note: string }
/** One activity of the worker's (activity GET /v1/workers/{id}/activities). */
export interface WorkerActivity {
  activity: { id: string; title: string; starts_at: string }
  signup: { status: string; created_at: string; withdrawn_at?: string } | null
  attendance: { checked_in_at: string; checked_out_at: string | null; hours: number | null; corrected: boolean } | null
}
export interface Entry { seq: number; kind: string; points: number; hours?: number; balance_after: number; ref?: string; reason?: string; at: string }

export interface Event {
  at: string
  /** Sort key: dates sort as the day's start in Beijing. */
  key: number
  title: string
  detail?: string
  kind: 'primary' | 'success' | 'warning' | 'danger' | 'info'
  dateOnly?: boolean
}

export const contactMethods: Record<string, string> = { visit: '上门走访', phone: '电话', wechat: '微信', group_chat: '微信群', other: '其他' }
const checkInChannels: Record<string, string> = { online: '线上报到', station: '驿站报到' }
const entryKinds: Record<string, string> = { earn: '获得积分', reverse: '积分冲正', redeem: '积分兑换', refund: '兑换退还', adjust: '积分调整' }

// A dated step sorts at the end of its day, or when it was recorded if
// that is earlier (a step dated today comes after today's registration).
const key = (at: string, dateOnly = false, recorded?: string) => {
  if (!dateOnly) return new Date(at).getTime() || 0
  const end = new Date(at + 'T23:59:59.999+08:00').getTime() || 0
  const rec = recorded ? new Date(recorded).getTime() : NaN
  return isNaN(rec) ? end : Math.min(end, rec)
}

export function timeline(
  w: Worker,
  parts: {
    checkins?: CheckIn[]
    steps?: Step[]
    transfers?: Transfer[]
    pairings?: { pairing: Pairing; contacts: Contact[] }[]
    activities?: WorkerActivity[]
    entries?: Entry[]
    place?: (street: string, community: string) => string
  },
): Event[] {
  const place = parts.place || ((_s, c) => c)
  const ev: Event[] = []
  const add = (at: string | undefined, title: string, kind: Event['kind'], detail?: string, dateOnly = false, recorded?: string) => {
    if (at) ev.push({ at, key: key(at, dateOnly, recorded), title, detail: detail || undefined, kind, dateOnly })
  }
  add(w.created_at, w.self_registered ? '自助登记（报到）' : '登记入册', 'primary', place(w.street, w.community))
  if (w.decided_at) {
    const ok = w.confirmation === 'confirmed'
    add(w.decided_at, ok ? '自助登记已确认' : '自助登记已退回', ok ? 'success' : 'danger', w.decision_reason)
  }
  for (const c of parts.checkins || []) {
    add(c.checked_in_at, `报到：${place(c.street, c.community)}`, 'success', checkInChannels[c.channel] || c.channel)
  }
  for (const s of parts.steps || []) {
    add(s.effective_on, `政治面貌：${label('political_status', s.from)} → ${label('political_status', s.to)}`, 'danger', [s.party_org, s.note].filter(Boolean).join('；'), true, s.recorded_at)
  }
  for (const t of parts.transfers || []) {
    add(t.effective_on, `转移：${place(t.from_street, t.from_community)} → ${place(t.to_street, t.to_community)}`, 'warning', t.reason, true, t.recorded_at)
  }
  for (const { pairing: p, contacts } of parts.pairings || []) {
    add(p.created_at, `与 ${p.staff_name} 结对联系`, 'primary', p.note)
    if (p.ended_at) add(p.ended_at, `与 ${p.staff_name} 的结对结束`, 'info', p.end_reason)
    for (const c of contacts) add(c.contacted_at, `${p.staff_name} 联系（${contactMethods[c.method] || c.method}）`, 'info', c.note)
  }
  for (const a of parts.activities || []) {
    const t = a.activity.title
    if (a.signup) add(a.signup.created_at, `报名活动「${t}」`, 'primary')
    if (a.signup?.withdrawn_at) add(a.signup.withdrawn_at, `取消报名「${t}」`, 'info')
    if (a.attendance) {
      const hrs = a.attendance.hours != null ? `服务 ${a.attendance.hours} 小时` : '尚未签退'
      add(a.attendance.checked_in_at, `参加活动「${t}」`, 'success', [hrs, a.attendance.corrected ? '签到记录经更正' : ''].filter(Boolean).join('；'))
    }
  }
  for (const e of parts.entries || []) {
    const what = e.ref?.startsWith('attendance:') ? '参加活动' : e.ref?.startsWith('report:') ? '随手拍' : ''
    const pts = `${e.points > 0 ? '+' : ''}${e.points} 分`
    const hrs = e.hours ? `，服务 ${e.hours} 小时` : ''
    add(e.at, `${entryKinds[e.kind] || e.kind}${what ? '（' + what + '）' : ''} ${pts}${hrs}`, e.points >= 0 ? 'success' : 'warning', [e.reason, `余额 ${e.balance_after}`].filter(Boolean).join('；'))
  }
  if (w.left_at) add(w.left_at, '离开台账', 'info', w.leave_reason)
  return ev.sort((a, b) => b.key - a.key)
}
