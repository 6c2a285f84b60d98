import { describe, it, expect } from 'vitest'
import { shanghaiMonth, contactedThisMonth, monthLabel } from './month'

describe('months in Shanghai', () => {
  it('counts a late-evening UTC contact for the next month', () => {
    expect(shanghaiMonth('2026-11-30T17:00:00Z')).toBe('2026-12')
    expect(shanghaiMonth('2026-11-30T15:59:00Z')).toBe('2026-11')
  })
  it('knows this month', () => {
    const now = new Date('2026-12-05T08:00:00Z')
    expect(contactedThisMonth('2026-12-01T00:00:00+08:00', now)).toBe(true)
    expect(contactedThisMonth('2026-11-30T23:59:00+08:00', now)).toBe(false)
    expect(contactedThisMonth(null, now)).toBe(false)
  })
  it('labels a month', () => {
    expect(monthLabel('2026-03')).toBe('2026年3月')
  })
})
