// The rejected rows as a sheet to correct and upload again. The registry
// keeps each rejected row's cells and answers them as a file
// (GET /registry/imports/{id}/rows?status=rejected&format=csv|xlsx); a CSV
// uploaded from this page is still in the browser, and its download is
// built here from it, under the file's own header (the importer ignores
// the extra columns 原表行号 and 错误原因 when the corrected file is uploaded).
import { toCSV } from '@/pages/census/files'
import { isHeaderRow, type ImportJob, type ImportKind, type ImportRow } from './kinds'

/**
 * Where the download of a job's rejected rows comes from: the CSV still
 * in the page ('browser'), else the registry's file in the upload's own
 * format (XLSX for an XLSX upload, CSV otherwise).
 */
export function rejectedFileFormat(job: Pick<ImportJob, 'format'>, csvInPage: boolean): 'browser' | 'csv' | 'xlsx' {
  if (csvInPage) return 'browser'
  return job.format === 'xlsx' ? 'xlsx' : 'csv'
}

/** One line of the rejections table: a bad cell. */
export interface RejectedCell {
  row: number
  column: string
  reason: string
}

export function flatten(rows: ImportRow[]): RejectedCell[] {
  return rows.flatMap((r) =>
    (r.errors?.length ? r.errors : [{ column: '', reason_zh: '该行被拒绝' } as any]).map((e) => ({ row: r.row, column: e.column, reason: e.reason_zh || e.reason_en })),
  )
}

/** A row's errors in one cell: 身份证号：校验位不正确；手机号：… */
function reasons(r: ImportRow): string {
  return (r.errors || []).map((e) => (e.column ? `${e.column}：${e.reason_zh || e.reason_en}` : e.reason_zh || e.reason_en)).join('；')
}

/**
 * rejectionsCSV builds the download. With original (the uploaded CSV's
 * records; row n is record n-1) each rejected row carries its cells.
 */
export function rejectionsCSV(rows: ImportRow[], kind: ImportKind, original?: string[][]): string {
  const headerIdx = original ? original.slice(0, 10).findIndex((r) => isHeaderRow(r, kind)) : -1
  if (original && headerIdx >= 0) {
    const header = original[headerIdx]
    const out: string[][] = [[...header, '原表行号', '错误原因']]
    for (const r of rows) {
      const cells = original[r.row - 1] || []
      const padded = header.map((_, i) => cells[i] ?? '')
      out.push([...padded, String(r.row), reasons(r)])
    }
    return toCSV(out)
  }
  const out: string[][] = [['原表行号', '错误列', '错误原因']]
  for (const c of flatten(rows)) out.push([String(c.row), c.column, c.reason])
  return toCSV(out)
}
