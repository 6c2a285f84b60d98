// Chinese words for the activity service's codes (activities, sign-ups).
// An unknown code shows as itself, so a new value is never hidden.
export const activityKind: Record<string, string> = {
  study: '理论学习', council: '骑手议事会', safety_training: '安全培训', anti_fraud: '反诈宣传',
  festival_visit: '节日慰问', health_check: '健康体检', haircut: '爱心义剪', volunteer_service: '志愿服务',
  campaign: '主题宣传', other: '其他',
}
export const activityStatus: Record<string, string> = { draft: '草稿', published: '已发布', cancelled: '已取消' }
export const activityStatusType: Record<string, 'info' | 'success' | 'danger'> = { draft: 'info', published: 'success', cancelled: 'danger' }
export const signupStatus: Record<string, string> = { signed_up: '已报名', withdrawn: '已退出' }

/** The word for code in vocab, or the code itself. */
export const word = (vocab: Record<string, string>, code?: string | null) => (code ? vocab[code] ?? code : '')
/** A vocabulary as select options. */
export const choices = (vocab: Record<string, string>) => Object.entries(vocab).map(([value, label]) => ({ value, label }))

export interface Activity {
  id: string
  title: string
  kind: string
  description: string
  street: string
  community?: string
  address?: string
  station_id?: string
  starts_at: string
  ends_at: string
  capacity: number | null
  volunteer_service: boolean
  status: 'draft' | 'published' | 'cancelled'
  cancel_reason?: string
  signed_up: number
  created_by: string
  created_at: string
  published_at?: string
  cancelled_at?: string
  checkin_code?: string
}
