// What the points service answers, in the words a rider reads: the
// reason of each ledger line, a redemption's state, the stars.

export interface Account {
  worker_id: string
  street: string
  community: string
  status: 'active' | 'left'
  balance: number
  hours: number
  star: number
  next_star_hours?: number
}

export interface Entry {
  seq: number
  id: string
  kind: 'earn' | 'reverse' | 'redeem' | 'refund' | 'adjust'
  points: number
  hours?: number
  balance_after: number
  ref?: string
  reason?: string
  capped?: boolean
  at: string
}

export interface Store {
  id: string
  street: string
  community?: string
  name: string
  address?: string
}

export type { Item } from '@/lib/records'

export interface Redemption {
  id: string
  item_id: string
  item_name: string
  store_id: string
  quantity: number
  points: number
  status: 'placed' | 'fulfilled' | 'cancelled'
  balance?: number
  cancel_reason?: string
  created_at: string
  closed_at?: string
}

/** What a ledger line was for, in Chinese. */
export function entryReason(e: Pick<Entry, 'kind' | 'ref' | 'reason' | 'capped'>): string {
  switch (e.kind) {
    case 'earn': {
      const what = e.ref?.startsWith('report:') ? '随手拍被采纳' : e.ref?.startsWith('attendance:') ? '参加志愿服务活动' : '志愿服务'
      return e.capped ? `${what}（已达每日上限）` : what
    }
    case 'reverse':
      return e.reason ? `更正扣回：${e.reason}` : '服务记录更正，扣回'
    case 'redeem':
      return '积分超市兑换'
    case 'refund':
      return e.reason ? `兑换取消，退回：${e.reason}` : '兑换取消，积分退回'
    case 'adjust':
      return e.reason ? `社区调整：${e.reason}` : '社区调整'
    default:
      return e.kind
  }
}

/** Points with their sign: +20, −300 (a true minus sign, easier to see). */
export function signed(points: number): string {
  if (points > 0) return `+${points}`
  if (points < 0) return `−${-points}`
  return '0'
}

export const redemptionStatus: Record<Redemption['status'], string> = {
  placed: '待领取',
  fulfilled: '已领取',
  cancelled: '已取消',
}

/** The star level as ★ and ☆, out of five. */
export function starsText(star: number): string {
  const n = Math.max(0, Math.min(5, Math.round(star)))
  return '★'.repeat(n) + '☆'.repeat(5 - n)
}

/** Hours as a rider reads them: 12, 12.5, 12.25 (no trailing zeros). */
export function hoursText(h: number): string {
  return String(Math.round(h * 100) / 100)
}

/** "再服务 N 小时升至 X 星", or that the top is reached. */
export function nextStarText(a: Pick<Account, 'star' | 'hours' | 'next_star_hours'>): string {
  if (a.star >= 5 || !a.next_star_hours) return '已是最高星级（5 星）'
  const left = Math.max(0, Math.ceil((a.next_star_hours - a.hours) * 100) / 100)
  return `再服务 ${hoursText(left)} 小时升至 ${a.star + 1} 星`
}
