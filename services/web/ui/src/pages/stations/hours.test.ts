import { describe, it, expect } from 'vitest'
import { formatDays, formatTimes, formatHours, periodProblem, timeOptions } from './hours'

describe('opening hours', () => {
  it('names the days', () => {
    expect(formatDays([1, 2, 3, 4, 5, 6, 7])).toBe('每天')
    expect(formatDays([5, 4, 3, 2, 1])).toBe('周一至周五')
    expect(formatDays([6, 7])).toBe('周六、周日')
    expect(formatDays([1, 2, 3, 5])).toBe('周一至周三、周五')
    expect(formatDays([1, 1, 3])).toBe('周一、周三')
  })
  it('reads the times', () => {
    expect(formatTimes({ days: [1], open: '00:00', close: '24:00' })).toBe('全天')
    expect(formatTimes({ days: [1], open: '18:00', close: '02:00' })).toBe('18:00–次日02:00')
    expect(formatTimes({ days: [1], open: '09:00', close: '24:00' })).toBe('09:00–24:00')
  })
  it('reads a week', () => {
    expect(formatHours([{ days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' }, { days: [6, 7], open: '09:30', close: '16:00' }])).toBe(
      '周一至周五 09:00–17:00；周六、周日 09:30–16:00',
    )
    expect(formatHours([])).toBe('未填写')
  })
  it('checks a period', () => {
    expect(periodProblem({ days: [], open: '08:00', close: '20:00' })).toBe('请选择星期')
    expect(periodProblem({ days: [1], open: '24:00', close: '20:00' })).not.toBe('')
    expect(periodProblem({ days: [1], open: '08:00', close: '08:00' })).not.toBe('')
    expect(periodProblem({ days: [1], open: '00:00', close: '24:00' })).toBe('')
  })
  it('offers half hours', () => {
    expect(timeOptions(false)).toHaveLength(48)
    expect(timeOptions(true).at(-1)).toBe('24:00')
  })
})
