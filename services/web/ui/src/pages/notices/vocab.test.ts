import { describe, it, expect } from 'vitest'
import { progress, segmentOf, unfinished } from './vocab'

describe('progress', () => {
  it('is 0 before the fan-out counted its recipients', () => expect(progress({ status: 'pending', sent: 0 })).toBe(0))
  it('is the share sent, rounded down', () => expect(progress({ status: 'running', total: 3, sent: 2 })).toBe(66))
  it('is 100 when done, whatever the counts', () => expect(progress({ status: 'done', total: 5, sent: 4 })).toBe(100))
  it('never passes 100', () => expect(progress({ status: 'running', total: 2, sent: 3 })).toBe(100))
})

describe('unfinished', () => {
  it('holds for pending and running only', () => {
    expect(unfinished({ status: 'pending' })).toBe(true)
    expect(unfinished({ status: 'running' })).toBe(true)
    expect(unfinished({ status: 'done' })).toBe(false)
    expect(unfinished({ status: 'failed' })).toBe(false)
  })
})

describe('segmentOf', () => {
  const none = { community: '', occupation: '', political_status: '' }
  it('names the street for a district admin only', () => {
    expect(segmentOf('qishan', true, none)).toEqual({ street: 'qishan' })
    expect(JSON.parse(JSON.stringify(segmentOf('qishan', false, none)))).toEqual({})
  })
  it('leaves "any" out and keeps what was picked', () => {
    const s = segmentOf('qishan', false, { community: 'tashan', occupation: '', political_status: 'party_member' })
    expect(JSON.parse(JSON.stringify(s))).toEqual({ community: 'tashan', political_status: 'party_member' })
  })
})
