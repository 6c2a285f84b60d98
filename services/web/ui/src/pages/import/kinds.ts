// What the registry's importer reads (docs/api/registry.openapi.yaml,
// POST /v1/imports/{kind}): the columns a clerk's sheet needs, for the
// hints on the page and the blank template.

export type ImportKind = 'workers' | 'enterprises'

export interface ImportJob {
  id: string
  kind: ImportKind
  file_name: string
  format: 'xlsx' | 'csv'
  status: 'queued' | 'running' | 'done' | 'failed'
  total_rows: number
  processed: number
  created: number
  updated: number
  unchanged: number
  rejected: number
  error_zh?: string
  created_at: string
  started_at?: string
  finished_at?: string
}

export interface CellError {
  column: string
  field: string
  code: string
  reason_zh: string
  reason_en: string
}

export interface ImportRow {
  row: number
  status: 'created' | 'updated' | 'unchanged' | 'rejected'
  id?: string
  errors?: CellError[]
}

export const kinds: Record<ImportKind, { label: string; sheet: string; required: string[]; optional: string[] }> = {
  workers: {
    label: '新就业群体（人员）',
    sheet: '新就业群体摸排表',
    required: ['姓名', '手机号', '身份证号', '职业', '所属社区'],
    optional: ['所属街道', '所属企业', '从业平台', '政治面貌', '是否流动党员', '党组织关系所在地'],
  },
  enterprises: {
    label: '新业态企业',
    sheet: '新业态企业台账',
    required: ['企业名称', '类型', '所属社区'],
    optional: ['统一社会信用代码', '所属街道', '地址', '联系人', '联系电话', '是否建立党组织'],
  },
}

export const jobStatus: Record<ImportJob['status'], string> = {
  queued: '排队中',
  running: '导入中',
  done: '已完成',
  failed: '失败',
}

/** Whether a header cell names the sheet's first column: the header row of a clerk's CSV. */
export function isHeaderRow(cells: string[], kind: ImportKind): boolean {
  const norm = (s: string) => s.replace(/[（(][^）)]*[）)]/g, '').replace(/[*\s]/g, '').toLowerCase()
  const names = kind === 'workers' ? ['姓名', 'name'] : ['企业名称', '名称', '单位名称', 'name']
  return cells.some((c) => names.includes(norm(c)))
}

/** Percent of the rows done, 0–100. */
export function progressOf(j: Pick<ImportJob, 'status' | 'processed' | 'total_rows'>): number {
  if (j.status === 'done') return 100
  if (!j.total_rows) return 0
  return Math.min(100, Math.floor((j.processed / j.total_rows) * 100))
}
