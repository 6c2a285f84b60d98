// Chinese words for riders' reports (随手拍): categories, statuses, and
// which steps each status may take (the service's lifecycle).
export const reportCategory: Record<string, string> = {
  safety_hazard: '安全隐患', fire_risk: '消防隐患', traffic: '交通问题', environment: '环境卫生',
  dispute: '矛盾纠纷', facility: '设施损坏', suggestion: '意见建议', other: '其他',
}
export const reportStatus: Record<string, string> = {
  submitted: '待受理', accepted: '已受理', dispatched: '已派单', resolved: '已办结',
  closed: '已关闭', rejected: '已驳回', merged: '已合并',
}
export const reportStatusType: Record<string, 'warning' | 'primary' | 'success' | 'info' | 'danger'> = {
  submitted: 'warning', accepted: 'primary', dispatched: 'primary', resolved: 'success', closed: 'info', rejected: 'danger', merged: 'info',
}
/** Statuses still being handled: these can be overdue and merged. */
export const openStatuses = ['submitted', 'accepted', 'dispatched']
/** The legal next steps of each status (submitted → accepted | rejected; …). */
export const nextSteps: Record<string, string[]> = {
  submitted: ['accepted', 'rejected'], accepted: ['dispatched'], dispatched: ['resolved'], resolved: ['closed'],
}
/** The button of each step. */
export const stepVerb: Record<string, string> = { accepted: '受理', rejected: '驳回', dispatched: '派单', resolved: '办结', closed: '关闭' }

export interface Report {
  id: string
  worker_id: string
  street: string
  community?: string
  category: string
  description: string
  lat: number
  lng: number
  address?: string
  status: string
  valid?: boolean
  due_at: string
  created_at: string
  updated_at: string
  photos: { n: number; content_type: string; size: number }[]
  transitions?: { from: string; to: string; actor_subject: string; actor_role: string; note?: string; unit?: string; person?: string; at: string }[]
  merged_into?: string
  primary_status?: string
}

/** Whether r is still open and past its due time at now. */
export function isOverdue(r: Pick<Report, 'status' | 'due_at'>, now = Date.now()): boolean {
  return openStatuses.includes(r.status) && new Date(r.due_at).getTime() < now
}

/** Metres between two WGS-84 points (haversine), for "nearby" duplicates. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6371000
  const rad = (x: number) => (x * Math.PI) / 180
  const dLat = rad(b.lat - a.lat)
  const dLng = rad(b.lng - a.lng)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2
  return 2 * R * Math.asin(Math.sqrt(h))
}
