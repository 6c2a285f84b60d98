import { describe, expect, it } from 'vitest'
import { distanceM, isOverdue } from './vocab'

describe('reports vocab', () => {
  it('counts open reports past due as overdue, handled ones never', () => {
    const now = Date.parse('2026-12-05T08:00:00Z')
    expect(isOverdue({ status: 'submitted', due_at: '2026-12-05T07:00:00Z' }, now)).toBe(true)
    expect(isOverdue({ status: 'dispatched', due_at: '2026-12-05T09:00:00Z' }, now)).toBe(false)
    expect(isOverdue({ status: 'resolved', due_at: '2026-12-05T07:00:00Z' }, now)).toBe(false)
  })
  it('measures metres between points', () => {
    const d = distanceM({ lat: 37.5, lng: 121.4 }, { lat: 37.501, lng: 121.4 })
    expect(Math.round(d)).toBe(111)
  })
})
