import { describe, expect, it } from 'vitest'
import { oneLine, when } from './vocab'

describe('oneLine', () => {
  it.each([
    ['楼道里\n有电动车\r\n飞线充电', '楼道里 有电动车 飞线充电'],
    ['\t 井盖缺失  \n\n', '井盖缺失'],
    ['a\u0000b\u007fc\u2028d', 'a b c d'],
    ['塔山南路9号', '塔山南路9号'],
  ])('%j → %j', (s, want) => expect(oneLine(s)).toBe(want))
})

describe('when', () => {
  const now = new Date('2026-12-05T04:00:00Z') // 12:00 in Shanghai
  it.each([
    ['2026-12-05T01:30:00Z', '今天 09:30'],
    ['2026-12-04T17:00:00Z', '今天 01:00'], // the day is Shanghai's
    ['2026-12-08T12:03:00Z', '12月8日 20:03'],
    ['2025-12-31T02:00:00Z', '2025年12月31日 10:00'],
    ['', ''],
  ])('%s → %s', (iso, want) => expect(when(iso, now)).toBe(want))
})
