// Chinese words for the points service's codes (lib/labels.ts is shared;
// these are the codes only this area shows). An unknown code shows as itself.
import { labels } from '@/lib/labels'
import type { Role } from '@/lib/session'
import type { Item as RecordItem } from '@/lib/records'

export const redemptionStatus: Record<string, string> = { placed: '待兑付', fulfilled: '已兑付', cancelled: '已取消' }
export const redemptionTag: Record<string, 'warning' | 'success' | 'info'> = { placed: 'warning', fulfilled: 'success', cancelled: 'info' }

/** The kinds of activity a rule pays for: the activity service's. */
export const activityKinds = labels.activity_kind

export const entryKinds: Record<string, string> = { earn: '获得', reverse: '冲减', redeem: '兑换', refund: '退回', adjust: '人工调整' }

export const periods: Record<string, string> = { month: '本月', year: '本年', all: '累计' }

export const mismatchKinds: Record<string, string> = { account: '账户', entry: '流水', item: '商品库存' }

export const word = (vocab: Record<string, string>, code?: string | null) => (code ? vocab[code] ?? code : '')

/** Who may manage a store: a street-wide one its street's admin (and the district); a community's also its staff. */
export function managesStore(role: Role | undefined, store: { community?: string }) {
  if (role === 'district_admin' || role === 'street_admin') return true
  return role === 'community_staff' && !!store.community
}

export interface Store { id: string; street: string; community?: string; name: string; address?: string; created_at: string }
export interface Item extends RecordItem { stocked: number; updated_at: string }
export interface Redemption {
  id: string; worker_id: string; item_id: string; item_name: string; store_id: string; street: string; community?: string
  quantity: number; points: number; status: string; balance?: number; cancel_reason?: string; closed_by?: string
  created_at: string; closed_at?: string
}
