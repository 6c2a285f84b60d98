import { describe, expect, it } from 'vitest'
import { deadlineText, taskOverdue, todayShanghai } from './vocab'
import { formatTime } from '@/lib/labels'

describe('lists vocab', () => {
  it('reads an end-of-day deadline as that day', () => {
    expect(deadlineText('2026-12-31T16:00:00Z', formatTime)).toBe('2026-12-31 当天')
    expect(deadlineText('2026-06-30T10:00:00Z', formatTime)).toBe('2026-06-30 18:00')
  })
  it('counts only open or started tasks past their deadline as overdue', () => {
    const now = Date.parse('2026-07-01T00:00:00Z')
    expect(taskOverdue({ status: 'open', deadline: '2026-06-30T00:00:00Z' }, now)).toBe(true)
    expect(taskOverdue({ status: 'done', deadline: '2026-06-30T00:00:00Z' }, now)).toBe(false)
    expect(taskOverdue({ status: 'in_progress', deadline: '2026-07-02T00:00:00Z' }, now)).toBe(false)
  })
  it('knows today in Shanghai', () => {
    expect(todayShanghai(new Date('2026-12-04T17:00:00Z'))).toBe('2026-12-05')
  })
})
