// Chinese words for the four lists (四张清单): needs, resources, projects
// and tasks, their categories and statuses.
export const listCategory: Record<string, string> = {
  rest_place: '歇脚休息', charging: '充电换电', meals: '就餐', legal_aid: '法律援助', health: '健康医疗',
  training: '技能培训', childcare: '子女托管', housing: '住房', insurance: '社会保险', culture: '文化娱乐', other: '其他',
}
export const needStatus: Record<string, string> = { open: '待对接', in_project: '已立项', met: '已解决', withdrawn: '已撤回' }
export const resourceStatus: Record<string, string> = { available: '可提供', withdrawn: '已撤回' }
export const projectStatus: Record<string, string> = { proposed: '待认领', claimed: '已认领', completed: '已完成', cancelled: '已取消' }
export const taskStatus: Record<string, string> = { open: '未开始', in_progress: '进行中', done: '已完成', cancelled: '已取消' }

interface Placed { id: string; street: string; community?: string; created_by: string; created_at: string; updated_at: string }
export interface Need extends Placed {
  category: string; title: string; description?: string; source: 'worker' | 'staff'; worker_id?: string
  status: 'open' | 'in_project' | 'met' | 'withdrawn'; project_id?: string; note?: string
}
export interface Resource extends Placed {
  unit: string; category: string; title: string; description?: string; contact?: string; status: 'available' | 'withdrawn'; note?: string
}
export interface Task extends Placed {
  project_id: string; title: string; unit: string; person: string; person_subject?: string; standard: string
  deadline: string; status: 'open' | 'in_progress' | 'done' | 'cancelled'; overdue: boolean
}
export interface Project extends Placed {
  title: string; description?: string; meeting_on: string; meeting_note?: string
  status: 'proposed' | 'claimed' | 'completed' | 'cancelled'; claimed_by?: string; claim_contact?: string; claimed_at?: string
  closed_at?: string; cancel_reason?: string; need_ids: string[]; resource_ids: string[]; tasks?: Task[]
}

/** Whether a task is still to do and past its deadline at now (the service's `overdue`, kept fresh). */
export function taskOverdue(t: Pick<Task, 'status' | 'deadline'>, now = Date.now()): boolean {
  return (t.status === 'open' || t.status === 'in_progress') && new Date(t.deadline).getTime() < now
}

/** Today in Shanghai as YYYY-MM-DD (meeting dates must not be later). */
export function todayShanghai(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** Which of the four lists a new row goes to. */
export type Kind = 'need' | 'resource' | 'project' | 'task'

/**
 * A deadline as a clerk reads it. A task given a date is due by the end of
 * that day in Shanghai, which the service answers as the next midnight:
 * that reads "2026-06-30 当天", not "2026-07-01 00:00".
 */
export function deadlineText(iso: string, fmt: (iso: string) => string): string {
  const d = new Date(iso)
  if (isNaN(d.getTime())) return iso
  const t = fmt(iso)
  if (t.endsWith(' 00:00')) return fmt(new Date(d.getTime() - 60e3).toISOString()).slice(0, 10) + ' 当天'
  return t
}
