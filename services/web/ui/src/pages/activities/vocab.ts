// Chinese words for the activity service's codes (activities, sign-ups).
// An unknown code shows as itself, so a new value is never hidden.
import { labels } from '@/lib/labels'
import type { Activity as ActivityRecord } from '@/lib/records'

export const activityKind = labels.activity_kind
export const activityStatus: Record<string, string> = { draft: '草稿', published: '已发布', cancelled: '已取消' }
export const activityStatusType: Record<string, 'info' | 'success' | 'danger'> = { draft: 'info', published: 'success', cancelled: 'danger' }
export const signupStatus: Record<string, string> = { signed_up: '已报名', withdrawn: '已退出' }

/** The word for code in vocab, or the code itself. */
export const word = (vocab: Record<string, string>, code?: string | null) => (code ? vocab[code] ?? code : '')
/** A vocabulary as select options. */
export const choices = (vocab: Record<string, string>) => Object.entries(vocab).map(([value, label]) => ({ value, label }))

/** An activity as staff are answered it. */
export interface Activity extends ActivityRecord {
  created_by: string
  created_at: string
  published_at?: string
  cancelled_at?: string
  checkin_code?: string
}
