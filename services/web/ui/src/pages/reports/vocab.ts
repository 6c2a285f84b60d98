// Chinese words for riders' reports (随手拍): categories, statuses, and
// which steps each status may take (the service's lifecycle).
import { labels } from '@/lib/labels'
import type { Report as ReportRecord, ReportTransition } from '@/lib/records'

export const reportCategory = labels.report_category
export const reportStatus = labels.report_status
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

/** A report as staff are answered it: whose, where, and who moved it. */
export interface Report extends ReportRecord {
  worker_id: string
  street: string
  community?: string
  transitions?: (ReportTransition & { actor_subject: string })[]
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
