// The rider's words for reports (随手拍): the categories, in the order the
// report page offers them, and the states a report goes through — the
// same words the console shows the community (src/lib/labels.ts).
import { label, labels } from '@/lib/labels'

export type { Report } from '@/lib/records'

/** What a rider reports (the JSON of POST /activity/reports). */
export interface ReportInput {
  category: string
  description: string
  lat: number
  lng: number
  address?: string
}

const icons: Record<string, string> = {
  safety_hazard: 'warning-o', fire_risk: 'fire-o', traffic: 'logistics', environment: 'delete-o',
  facility: 'setting-o', dispute: 'friends-o', suggestion: 'comment-o', other: 'ellipsis',
}

/** The categories as the report page offers them, with their icons. */
export const categories: { value: string; text: string; icon: string }[] = Object.entries(labels.report_category).map(([value, text]) => ({
  value, text, icon: icons[value] || 'question-o',
}))

export function categoryText(code: string): string {
  return label('report_category', code)
}

export const statusText = labels.report_status
/** Vant tag types: open states stand out, final ones are quiet. */
export const statusTag: Record<string, 'warning' | 'primary' | 'success' | 'default' | 'danger'> = {
  submitted: 'warning', accepted: 'primary', dispatched: 'primary', resolved: 'success', closed: 'default', rejected: 'danger', merged: 'default',
}
export const openStatuses = ['submitted', 'accepted', 'dispatched']

/** A time as a rider reads it: 今天 14:30, 12月5日 14:30, or 2025年12月5日 for another year; China Standard Time. */
export function when(iso: string | undefined, now = new Date()): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const parts = (x: Date) => {
    const p = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(x)
    const g = (t: string) => p.find((y) => y.type === t)?.value || ''
    return { y: g('year'), m: g('month'), d: g('day'), hm: `${g('hour')}:${g('minute')}` }
  }
  const a = parts(d), b = parts(now)
  if (a.y !== b.y) return `${a.y}年${a.m}月${a.d}日 ${a.hm}`
  if (a.m === b.m && a.d === b.d) return `今天 ${a.hm}`
  return `${a.m}月${a.d}日 ${a.hm}`
}

/**
 * Text as the service takes it: one line (it refuses tabs, line breaks
 * and other control characters), runs of spaces made one, trimmed. A
 * rider's note typed on several lines is sent as one.
 */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim()
}
