import { describe, expect, it } from 'vitest'
import { toCSV, parseCSV, filenameOf, decodeCSVBytes, todayStamp } from './files'

describe('toCSV', () => {
  it('starts with a BOM, ends lines with CRLF and quotes what needs it', () => {
    expect(toCSV([['姓名', '原因'], ['张三', '含,逗号'], ['李"四"', '']])).toBe('\uFEFF姓名,原因\r\n张三,"含,逗号"\r\n"李""四""",\r\n')
  })
  it('keeps ID numbers and formulas as text', () => {
    expect(toCSV([['370602198803142316', '=1+1', '13953501201']])).toBe('\uFEFF"\t370602198803142316",\'=1+1,13953501201\r\n')
  })
})

describe('parseCSV', () => {
  it('reads quoted cells, line breaks inside quotes and a BOM', () => {
    expect(parseCSV('\uFEFFa,b\r\n"x,1","y\n2"\r\n"q""",\n')).toEqual([['a', 'b'], ['x,1', 'y\n2'], ['q"', '']])
  })
  it('round-trips toCSV', () => {
    const rows = [['姓名', '备注'], ['王, 海涛', 'say "hi"']]
    expect(parseCSV(toCSV(rows))).toEqual(rows)
  })
})

describe('filenameOf', () => {
  it('prefers the UTF-8 name', () => {
    expect(filenameOf(`attachment; filename="workers-roster-20261123.xlsx"; filename*=UTF-8''%E6%96%B0%E5%B0%B1%E4%B8%9A%E7%BE%A4%E4%BD%93%E5%90%8D%E5%86%8C-20261123.xlsx`, 'x')).toBe('新就业群体名册-20261123.xlsx')
    expect(filenameOf('attachment; filename="a.xlsx"', 'x')).toBe('a.xlsx')
    expect(filenameOf(null, '名册.xlsx')).toBe('名册.xlsx')
  })
})

describe('decodeCSVBytes', () => {
  it('reads UTF-8, and GBK when the bytes are not UTF-8', () => {
    expect(decodeCSVBytes(new TextEncoder().encode('姓名').buffer as ArrayBuffer)).toBe('姓名')
    expect(decodeCSVBytes(new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb]).buffer)).toBe('姓名')
  })
})

it('todayStamp is the Beijing date', () => {
  expect(todayStamp(new Date('2026-12-04T17:30:00Z'))).toBe('20261205')
})
