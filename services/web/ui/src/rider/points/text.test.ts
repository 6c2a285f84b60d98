import { expect, it } from 'vitest'
import { entryReason, nextStarText, signed, starsText } from './text'

it.each([
  [{ kind: 'earn', ref: 'report:1' }, '随手拍被采纳'],
  [{ kind: 'earn', ref: 'attendance:a:w' }, '参加志愿服务活动'],
  [{ kind: 'earn', ref: 'attendance:a:w', capped: true }, '参加志愿服务活动（已达每日上限）'],
  [{ kind: 'redeem' }, '积分超市兑换'],
  [{ kind: 'refund' }, '兑换取消，积分退回'],
  [{ kind: 'adjust', reason: '补录' }, '社区调整：补录'],
] as const)('entry %j → %s', (e, want) => expect(entryReason(e)).toBe(want))

it('signs points', () => {
  expect(signed(20)).toBe('+20')
  expect(signed(-300)).toBe('−300')
  expect(signed(0)).toBe('0')
})

it('draws stars', () => {
  expect(starsText(2)).toBe('★★☆☆☆')
  expect(starsText(0)).toBe('☆☆☆☆☆')
})

it('says the hours to the next star', () => {
  expect(nextStarText({ star: 1, hours: 12.5, next_star_hours: 50 })).toBe('再服务 37.5 小时升至 2 星')
  expect(nextStarText({ star: 5, hours: 900 })).toBe('已是最高星级（5 星）')
})
