// The rider's activities: what the activity service answers a worker, and
// the words and times a rider reads on the phone. Pure logic (no Vue, no
// requests), so it is tested in Node.
import { labels } from '@/lib/labels'
import { describe } from '@/lib/messages'
import type { Activity as ActivityRecord } from '@/lib/records'

export interface Attendance {
  activity_id: string
  worker_id: string
  checked_in_at: string
  checked_out_at: string | null
  hours: number | null
  corrected?: boolean
}

/** The calling worker's own part in an activity. */
export interface Participation {
  signed_up: boolean
  attendance?: Attendance
}

/** An activity as the activity service answers a worker: with their own part in it. */
export interface Activity extends ActivityRecord {
  mine?: Participation
}

export const kindText = labels.activity_kind

// ---- times, read in Asia/Shanghai (UTC+8 all year: no summer time) ----

const shanghaiMs = 8 * 3600 * 1000
const weekdays = ['周日', '周一', '周二', '周三', '周四', '周五', '周六']

/** The wall clock in Shanghai at t, as the UTC fields of a Date. */
function wall(t: string | Date): Date {
  return new Date(new Date(t).getTime() + shanghaiMs)
}
const two = (n: number) => String(n).padStart(2, '0')
const dayOf = (w: Date) => `${w.getUTCMonth() + 1}月${w.getUTCDate()}日 ${weekdays[w.getUTCDay()]}`
const clockOf = (w: Date) => `${two(w.getUTCHours())}:${two(w.getUTCMinutes())}`

/** "12月6日 周六 09:00–11:00"; across days "12月6日 周六 09:00 – 12月7日 周日 11:00". */
export function timeRange(starts: string, ends: string): string {
  const a = wall(starts), b = wall(ends)
  if (dayOf(a) === dayOf(b)) return `${dayOf(a)} ${clockOf(a)}–${clockOf(b)}`
  return `${dayOf(a)} ${clockOf(a)} – ${dayOf(b)} ${clockOf(b)}`
}

/** "12月6日 09:05": when the rider checked in or out. */
export function momentText(t: string): string {
  const w = wall(t)
  return `${w.getUTCMonth() + 1}月${w.getUTCDate()}日 ${clockOf(w)}`
}

/** The Shanghai day (YYYY-MM-DD) days before now: the list's `from`. */
export function shanghaiDay(now: Date, daysBefore = 0): string {
  const w = wall(new Date(now.getTime() - daysBefore * 86400000))
  return `${w.getUTCFullYear()}-${two(w.getUTCMonth() + 1)}-${two(w.getUTCDate())}`
}

/** Hours served, as a rider reads them: "45 分钟", "2 小时", "1.5 小时". */
export function hoursText(h: number | null | undefined): string {
  if (h === null || h === undefined) return ''
  if (h > 0 && h < 1) return `${Math.max(1, Math.round(h * 60))} 分钟`
  return `${Number(h.toFixed(2))} 小时`
}

// ---- the activity as the rider sees it ----

/** Places left, or null when there is no limit. */
export function placesLeft(a: Activity): number | null {
  return a.capacity === null || a.capacity === undefined ? null : Math.max(0, a.capacity - a.signed_up)
}

export function placesText(a: Activity): string {
  const left = placesLeft(a)
  if (left === null) return '名额不限'
  return left > 0 ? `剩余 ${left} 个名额（共 ${a.capacity}）` : `名额已满（共 ${a.capacity}）`
}

export type MyState = 'none' | 'signed_up' | 'checked_in' | 'checked_out'

export function myState(a: Activity): MyState {
  const at = a.mine?.attendance
  if (at?.checked_out_at) return 'checked_out'
  if (at) return 'checked_in'
  return a.mine?.signed_up ? 'signed_up' : 'none'
}

export const myStateText: Record<MyState, string> = { none: '', signed_up: '已报名', checked_in: '已签到', checked_out: '已签退' }

/** Check-in opens an hour before the start (services/activity/attendance.go). */
export const checkInLeadMs = 3600 * 1000

export type Phase = 'cancelled' | 'before' | 'checkin' | 'ended'

/** Where the activity stands at now: before check-in opens, check-in open (an hour before the start to the end), ended. */
export function phase(a: Activity, now: Date): Phase {
  if (a.status === 'cancelled') return 'cancelled'
  const t = now.getTime()
  if (t > new Date(a.ends_at).getTime()) return 'ended'
  if (t >= new Date(a.starts_at).getTime() - checkInLeadMs) return 'checkin'
  return 'before'
}

export const started = (a: Activity, now: Date) => new Date(a.starts_at).getTime() <= now.getTime()

/** What the rider may do with the activity now. */
export function actions(a: Activity, now: Date) {
  const s = myState(a)
  const p = phase(a, now)
  const open = a.status === 'published' && !started(a, now)
  const left = placesLeft(a)
  return {
    signUp: open && s === 'none' && (left === null || left > 0),
    full: open && s === 'none' && left === 0,
    withdraw: open && s === 'signed_up',
    // Without a sign-up only an activity without a limit may be attended.
    checkIn: a.status === 'published' && p === 'checkin' && s !== 'checked_in' && s !== 'checked_out' && (s === 'signed_up' || left === null),
    checkOut: a.status === 'published' && s === 'checked_in',
  }
}

/** The list's order: soonest first; an activity under way before one to come. */
export function bySoonest(a: Activity, b: Activity): number {
  return a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id)
}

/** The rider's own list: still to come or under way, soonest first; then the past, latest first. */
export function mineOrder(items: Activity[], now: Date): { current: Activity[]; past: Activity[] } {
  const t = now.getTime()
  const current = items.filter((a) => new Date(a.ends_at).getTime() >= t && a.status !== 'cancelled').sort(bySoonest)
  const past = items.filter((a) => !current.includes(a)).sort((a, b) => -bySoonest(a, b))
  return { current, past }
}

// ---- the check-in code ----

/** The code's alphabet: no 0/O, 1/I/L (services/activity/activities.go). */
export const codeAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'

/** The code as typed, made what the service compares: upper case, no spaces. */
export function normalizeCode(s: string): string {
  return s.replace(/[\s\u3000-]+/g, '').toUpperCase()
}

/** What is wrong with a code as typed ('' when it may be sent). */
export function codeProblem(s: string): string {
  const c = normalizeCode(s)
  if (!c) return ''
  const bad = [...c].filter((ch) => !codeAlphabet.includes(ch))
  if (bad.length) return `签到码里没有“${[...new Set(bad)].join('”“')}”：不含数字 0、1 和字母 I、L、O`
  if (c.length > 6) return '签到码是 6 位'
  return ''
}

export const codeReady = (s: string) => /^[A-HJKMNP-Z2-9]{6}$/.test(normalizeCode(s))

/**
 * What a scanned QR code says: the console's link
 * (…/m/checkin?activity=<id>&code=<code>) or a bare code. Null when it is
 * neither.
 */
export function readQR(text: string): { activity?: string; code: string } | null {
  const t = text.trim()
  if (codeReady(t) && normalizeCode(t).length === 6) return { code: normalizeCode(t) }
  try {
    const u = new URL(t)
    const code = normalizeCode(u.searchParams.get('code') || '')
    if (u.pathname.endsWith('/checkin') && codeReady(code)) return { activity: u.searchParams.get('activity') || undefined, code }
  } catch {
    /* not a link */
  }
  return null
}

// ---- what went wrong, in Chinese ----

// The activity service's conflicts (409) name what is in the way by their
// `reason` (docs/api/README.md, "Errors").
const conflicts: Record<string, string> = {
  activity_full: '名额已满',
  activity_started: '活动已经开始，不能再报名或取消报名',
  activity_cancelled: '活动已取消',
  checkin_not_open: '活动开始前 1 小时才能签到',
  activity_ended: '活动已经结束',
  signup_required: '这个活动名额有限，需要先报名才能签到',
  not_invited: '需要先报名',
  not_signed_up: '需要先报名',
  already_checked_out: '已经签退过了',
  not_checked_in: '还没有签到，请先签到',
  checkin_in_future: '签到时间晚于现在，请稍后再签退',
  worker_left: '你的登记信息已注销，请联系社区',
}

/** One line for a rider about err (an ApiError or a network failure). */
export function problemText(err: unknown): string {
  const e = err as { status?: number; errors?: { field: string; code: string }[]; body?: { reason?: unknown } }
  if (e && e.status === 422 && e.errors?.some((f) => f.field === 'code')) {
    const f = e.errors.find((f) => f.field === 'code')!
    return f.code === 'required' ? '请输入现场的签到码' : '签到码不正确，请核对现场显示的签到码'
  }
  if (e && e.status === 404) return '没有找到这个活动，它可能不面向你所在的社区'
  if (e && e.status === 409 && typeof e.body?.reason === 'string' && conflicts[e.body.reason]) return conflicts[e.body.reason]
  const d = describe(err)
  return [d.title, ...d.fields].join('\n')
}
