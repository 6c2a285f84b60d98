// The notification service's inbox and preferences, in the words and
// shapes the rider's pages use.

export interface Message {
  seq: number
  id: string
  category: string
  template: string
  title: string
  body: string
  urgent?: boolean
  created_at: string
  read_at?: string
}

export interface InboxPage {
  items: Message[]
  next?: string
  unread: number
}

/**
 * 全部已读 on the phone: the messages up to seq through (the newest the
 * rider saw) shown read at `at`, as the service marks them; a newer one,
 * come since, stays unread. Answers the ones it changed, to undo.
 */
export function markReadThrough(items: Message[], through: number, at: string): Message[] {
  const changed = items.filter((m) => !m.read_at && m.seq <= through)
  for (const m of changed) m.read_at = at
  return changed
}

export type Channel = 'sms' | 'wechat' | 'webhook'

export interface Preferences {
  lang: string
  channels: Record<string, Channel[]>
  quiet_hours: { start: string; end: string }
  webhook_url?: string
}

/** What a rider's messages are about (the staff-only categories are left out). */
export const categories: { key: string; text: string }[] = [
  { key: 'activity', text: '活动通知' },
  { key: 'report', text: '随手拍进度' },
  { key: 'points', text: '积分变动' },
  { key: 'notice', text: '街道通知' },
  { key: 'welcome', text: '报到欢迎' },
]

export const categoryText: Record<string, string> = {
  ...Object.fromEntries(categories.map((c) => [c.key, c.text])),
  pairing: '结对联系',
  task: '工作任务',
}

/** The push channels a rider may choose; both need their consent. */
export const pushChannels: { key: 'sms' | 'wechat'; text: string }[] = [
  { key: 'sms', text: '短信' },
  { key: 'wechat', text: '微信' },
]

/** "HH:MM" from "7:00" or "07:00"; [hour, minute] strings for a time picker. */
export function timeParts(t: string): [string, string] {
  const m = /^(\d{1,2}):(\d{2})$/.exec(t || '')
  if (!m) return ['00', '00']
  return [m[1].padStart(2, '0'), m[2]]
}

/** What the quiet hours mean, in a sentence. */
export function quietText(q: { start: string; end: string }): string {
  const [s, e] = [timeParts(q.start).join(':'), timeParts(q.end).join(':')]
  if (s === e) return '不设免打扰'
  return `${s} 至${s > e ? '次日 ' : ' '}${e}`
}

/** Whether any category has the channel on (the rider consented to it once). */
export function channelOn(p: Pick<Preferences, 'channels'>, ch: Channel): boolean {
  return Object.values(p.channels || {}).some((list) => list.includes(ch))
}

/**
 * The PUT body for the preferences: the channels chosen here, the quiet
 * hours, and what this page does not show (language, a webhook) as it was,
 * since a PUT replaces them whole.
 */
export function preferencesBody(p: Preferences) {
  const channels: Record<string, Record<string, boolean>> = {}
  for (const [cat, list] of Object.entries(p.channels || {})) {
    const on: Record<string, boolean> = {}
    for (const ch of list) if (ch !== 'webhook' || p.webhook_url) on[ch] = true
    if (Object.keys(on).length) channels[cat] = on
  }
  const body: Record<string, unknown> = {
    lang: p.lang || 'zh-CN',
    channels,
    quiet_hours: { start: timeParts(p.quiet_hours.start).join(':'), end: timeParts(p.quiet_hours.end).join(':') },
  }
  if (p.webhook_url) body.webhook_url = p.webhook_url
  return body
}

/** A message's time as a rider reads it: 今天 14:30, 昨天 09:05, 12月3日 18:00, 2025年12月3日. */
export function whenText(iso: string, now = new Date()): string {
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const parts = (x: Date) => {
    const p = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(x)
    const g = (t: string) => p.find((v) => v.type === t)?.value || ''
    return { y: g('year'), m: g('month'), d: g('day'), hm: `${g('hour')}:${g('minute')}` }
  }
  const a = parts(d)
  const today = parts(now)
  const yesterday = parts(new Date(now.getTime() - 86400000))
  if (a.y === today.y && a.m === today.m && a.d === today.d) return `今天 ${a.hm}`
  if (a.y === yesterday.y && a.m === yesterday.m && a.d === yesterday.d) return `昨天 ${a.hm}`
  if (a.y === today.y) return `${a.m}月${a.d}日 ${a.hm}`
  return `${a.y}年${a.m}月${a.d}日`
}
