import { describe, expect, it } from 'vitest'
import { parseCSV } from '@/pages/census/files'
import { rejectionsCSV, flatten, rejectedFileFormat } from './rejections'
import { progressOf } from './kinds'
import type { ImportRow } from './kinds'

const rows: ImportRow[] = [
  { row: 3, status: 'rejected', errors: [{ column: '身份证号*', field: 'id_number', code: 'invalid_check_character', reason_zh: '身份证号校验位不正确', reason_en: 'x' }] },
  {
    row: 5,
    status: 'rejected',
    errors: [
      { column: '手机号', field: 'mobile', code: 'invalid_length', reason_zh: '手机号应为 11 位', reason_en: 'y' },
      { column: '所属社区', field: 'community', code: 'unknown_value', reason_zh: '社区不存在', reason_en: 'z' },
    ],
  },
]

describe('rejections', () => {
  it('flattens one line per bad cell', () => {
    expect(flatten(rows)).toEqual([
      { row: 3, column: '身份证号*', reason: '身份证号校验位不正确' },
      { row: 5, column: '手机号', reason: '手机号应为 11 位' },
      { row: 5, column: '所属社区', reason: '社区不存在' },
    ])
  })
  it('without the file: row, column, reason', () => {
    const out = parseCSV(rejectionsCSV(rows, 'workers'))
    expect(out[0]).toEqual(['原表行号', '错误列', '错误原因'])
    expect(out).toHaveLength(4)
  })
  it('with the CSV: the original cells under the file header (title rows skipped)', () => {
    const original = [['奇山街道摸排表'], ['姓名', '手机号', '身份证号*'], ['好人', '13900000000', '1'], ['坏人', '139', '2'], ['x', 'y', 'z'], ['再坏', '1', '3']]
    const out = parseCSV(rejectionsCSV(rows.map((r) => ({ ...r, row: r.row + 1 })), 'workers', original))
    expect(out[0]).toEqual(['姓名', '手机号', '身份证号*', '原表行号', '错误原因'])
    expect(out[1]).toEqual(['坏人', '139', '2', '4', '身份证号*：身份证号校验位不正确'])
    expect(out[2][0]).toBe('再坏')
    expect(out[2][4]).toBe('手机号：手机号应为 11 位；所属社区：社区不存在')
  })
  it('progress', () => {
    expect(progressOf({ status: 'running', processed: 250, total_rows: 1000 })).toBe(25)
    expect(progressOf({ status: 'done', processed: 0, total_rows: 0 })).toBe(100)
    expect(progressOf({ status: 'queued', processed: 0, total_rows: 0 })).toBe(0)
  })
})

it('downloads the registry\'s file unless the uploaded CSV is still in the page', () => {
  expect(rejectedFileFormat({ format: 'csv' }, true)).toBe('browser')
  expect(rejectedFileFormat({ format: 'xlsx' }, false)).toBe('xlsx')
  expect(rejectedFileFormat({ format: 'csv' }, false)).toBe('csv')
})
