// Chinese words for the notification service's codes, for this area only.

export const templateNames: Record<string, string> = {
  warm_service_list: '暖新服务清单', policy_notice: '政策通知', welcome: '报到欢迎', 'activity.published': '新活动发布',
  'activity.tomorrow': '活动前一天提醒', 'activity.cancelled': '活动取消', 'report.submitted': '随手拍已受理',
  'report.status': '随手拍进展', 'points.earned': '积分到账', 'points.redeemed': '积分兑换', 'star.reached': '星级提升',
  'pairing.overdue': '结对联系提醒', 'task.deadline': '任务到期提醒',
}

/** The variables of the broadcast templates, as the form names them. */
export const variableNames: Record<string, { label: string; hint: string; long?: boolean }> = {
  month: { label: '月份', hint: '如：12月' },
  items: { label: '服务事项', hint: '如：免费理发（每周三 奇山驿站）、电动车检修、冬季防寒包领取', long: true },
  title: { label: '通知标题', hint: '如：寒潮预警' },
  content: { label: '通知内容', hint: '如：明日起气温骤降，请注意防寒保暖，各驿站提供热水和暖手宝。', long: true },
}

export const broadcastStatus: Record<string, string> = { pending: '排队中', running: '发送中', done: '已完成', failed: '失败' }
export const broadcastTag: Record<string, 'info' | 'warning' | 'success' | 'danger'> = { pending: 'info', running: 'warning', done: 'success', failed: 'danger' }

export const deliveryStatus: Record<string, string> = { pending: '待推送', delivered: '已送达', failed: '失败' }
export const deliveryTag: Record<string, 'warning' | 'success' | 'danger'> = { pending: 'warning', delivered: 'success', failed: 'danger' }
export const channels: Record<string, string> = { sms: '短信', wechat: '微信', webhook: '网络回调' }
export const waiting: Record<string, string> = { due: '即将发送', quiet_hours: '免打扰时段，稍后推送', retry: '失败后等待重试', sending: '正在发送' }
export const categories: Record<string, string> = { welcome: '欢迎', activity: '活动', report: '随手拍', points: '积分', pairing: '结对', task: '任务', notice: '通知' }

export const word = (vocab: Record<string, string>, code?: string | null) => (code ? vocab[code] ?? code : '')

export interface Segment { street: string; community?: string; occupation?: string; political_status?: string; activity_id?: string }
export interface Broadcast {
  id: string; street: string; segment: Segment; template: string; variables: Record<string, string>; urgent?: boolean
  status: string; total?: number; sent: number; created_by: string; created_at: string; finished_at?: string; error?: string
}

/** What the form picked. */
export interface SegmentPick { community: string; occupation: string; political_status: string }

/**
 * The segment of a broadcast as the API takes it (POST …/broadcasts and
 * POST …/broadcasts/preview alike): a district admin names the street, a
 * street admin's is their own; filters left at "any" are left out.
 */
export function segmentOf(street: string, district: boolean, pick: SegmentPick) {
  return {
    street: district ? street : undefined,
    community: pick.community || undefined,
    occupation: pick.occupation || undefined,
    political_status: pick.political_status || undefined,
  }
}

/** The answer of POST …/broadcasts/preview. */
export interface Audience { segment: Segment; recipients: number }

/** How far a broadcast is, 0–100. */
export function progress(b: Pick<Broadcast, 'status' | 'total' | 'sent'>) {
  if (b.status === 'done') return 100
  if (!b.total) return 0
  return Math.min(100, Math.floor((b.sent / b.total) * 100))
}

/** True while the service is still fanning it out. */
export const unfinished = (b: Pick<Broadcast, 'status'>) => b.status === 'pending' || b.status === 'running'
