// Opening hours as the registry keeps them (OpeningPeriod: ISO weekdays,
// "HH:MM" open and close, Asia/Shanghai) and as a clerk reads them.

import type { OpeningPeriod } from '@/lib/records'

export type { OpeningPeriod }

const dayNames = ['一', '二', '三', '四', '五', '六', '日']

/** The weekdays as a clerk says them: 每天, 周一至周五, 周六、周日. */
export function formatDays(days: number[]): string {
  const ds = [...new Set(days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b)
  if (ds.length === 7) return '每天'
  // Runs of consecutive days: three or more read as a range.
  const parts: string[] = []
  for (let i = 0; i < ds.length; ) {
    let j = i
    while (j + 1 < ds.length && ds[j + 1] === ds[j] + 1) j++
    if (j - i >= 2) parts.push(`周${dayNames[ds[i] - 1]}至周${dayNames[ds[j] - 1]}`)
    else for (let k = i; k <= j; k++) parts.push(`周${dayNames[ds[k] - 1]}`)
    i = j + 1
  }
  return parts.join('、')
}

/** One period's times: 全天, 09:00–17:00, or 18:00–次日02:00 past midnight. */
export function formatTimes(p: OpeningPeriod): string {
  if (p.open === '00:00' && p.close === '24:00') return '全天'
  if (p.close !== '24:00' && p.close < p.open) return `${p.open}–次日${p.close}`
  return `${p.open}–${p.close}`
}

/** The whole week: 周一至周五 09:00–17:00；周六、周日 09:30–16:00. */
export function formatHours(hours: OpeningPeriod[] | undefined | null): string {
  if (!hours?.length) return '未填写'
  return hours.map((p) => `${formatDays(p.days)} ${formatTimes(p)}`).join('；')
}

const openRe = /^([01][0-9]|2[0-3]):[0-5][0-9]$/
const closeRe = /^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$/

/** What is wrong with one period, in Chinese, or '' (the registry's own checks). */
export function periodProblem(p: OpeningPeriod): string {
  if (!p.days.length) return '请选择星期'
  if (!openRe.test(p.open)) return '开门时间应为 HH:MM'
  if (!closeRe.test(p.close)) return '关门时间应为 HH:MM（全天可填 24:00）'
  if (p.open === p.close) return '开门与关门时间不能相同'
  return ''
}

/** Times every half hour, for the pickers; closing may also be 24:00. */
export function timeOptions(closing: boolean): string[] {
  const out: string[] = []
  for (let m = 0; m < 24 * 60; m += 30) out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`)
  if (closing) out.push('24:00')
  return out
}

export const weekdays = dayNames.map((n, i) => ({ value: i + 1, label: `周${n}` }))
