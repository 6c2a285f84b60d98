import { describe, expect, it } from 'vitest'
import { distanceM, facilityName, hoursOn, navigationUrl, openAt, shanghaiClock, telUrl, todayText, weekHours } from './stations'

const daily = (open: string, close: string) => [{ days: [1, 2, 3, 4, 5, 6, 7], open, close }]
const bank = [
  { days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' },
  { days: [6, 7], open: '09:30', close: '16:00' },
]
// Times in Shanghai (UTC+8), whatever zone the test runs in.
const at = (iso: string) => new Date(iso + '+08:00')

describe('the clock in Shanghai', () => {
  it.each([
    ['2026-12-07T00:00', 1, 0], // a Monday
    ['2026-12-06T23:59', 7, 23 * 60 + 59], // Sunday night
    ['2026-12-05T08:30', 6, 510],
  ])('%s is day %i, minute %i', (t, day, minute) => expect(shanghaiClock(at(t))).toEqual({ day, minute }))
})

describe('open at', () => {
  it.each([
    ['08:00–20:00 at 07:59', daily('08:00', '20:00'), '2026-12-07T07:59', false],
    ['08:00–20:00 at 08:00', daily('08:00', '20:00'), '2026-12-07T08:00', true],
    ['08:00–20:00 at 20:00', daily('08:00', '20:00'), '2026-12-07T20:00', false],
    ['all day at midnight', daily('00:00', '24:00'), '2026-12-07T00:00', true],
    ['18:00–02:00 at 01:30', daily('18:00', '02:00'), '2026-12-07T01:30', true],
    ['18:00–02:00 at 02:00', daily('18:00', '02:00'), '2026-12-07T02:00', false],
    ['bank hours on a Saturday morning', bank, '2026-12-05T09:45', true],
    ['bank hours on a Saturday afternoon', bank, '2026-12-05T16:30', false],
    ['bank hours on a Monday afternoon', bank, '2026-12-07T16:30', true],
  ])('%s', (_, hours, t, want) => expect(openAt(hours, at(t))).toBe(want))

  it('a night opening from Sunday runs into Monday morning only', () => {
    const sunday = [{ days: [7], open: '20:00', close: '03:00' }]
    expect(openAt(sunday, at('2026-12-07T02:00'))).toBe(true) // Monday 02:00
    expect(openAt(sunday, at('2026-12-08T02:00'))).toBe(false) // Tuesday 02:00
  })
})

describe('opening hours as read', () => {
  it.each([
    [daily('08:00', '20:00'), 1, '08:00–20:00'],
    [daily('00:00', '24:00'), 3, '全天'],
    [daily('18:00', '02:00'), 5, '18:00–次日02:00'],
    [daily('18:00', '00:00'), 5, '18:00–24:00'],
    [bank, 6, '09:30–16:00'],
    [[{ days: [1], open: '14:00', close: '18:00' }, { days: [1], open: '09:00', close: '12:00' }], 1, '09:00–12:00、14:00–18:00'],
    [[{ days: [1], open: '09:00', close: '12:00' }], 2, '不开放'],
  ])('%j on day %i: %s', (hours, day, want) => expect(hoursOn(hours, day)).toBe(want))

  it('today', () => {
    expect(todayText(bank, at('2026-12-05T12:00'))).toBe('今日 09:30–16:00')
    expect(todayText(daily('00:00', '24:00'))).toBe('今日 全天开放')
    expect(todayText([{ days: [1], open: '09:00', close: '12:00' }], at('2026-12-05T12:00'))).toBe('今日不开放')
  })

  it('the week, Monday first, today marked', () => {
    const w = weekHours(bank, at('2026-12-05T12:00'))
    expect(w.map((d) => d.day)).toEqual(['周一', '周二', '周三', '周四', '周五', '周六', '周日'])
    expect(w[0].text).toBe('09:00–17:00')
    expect(w[6].text).toBe('09:30–16:00')
    expect(w.filter((d) => d.today).map((d) => d.day)).toEqual(['周六'])
  })
})

describe('links', () => {
  it('navigation opens Amap at the WGS-84 point, longitude first, by bike', () => {
    const u = new URL(navigationUrl({ name: '塔山社区党群服务驿站', lat: 37.5362, lng: 121.3978 }))
    expect(u.origin + u.pathname).toBe('https://uri.amap.com/navigation')
    expect(u.searchParams.get('to')).toBe('121.3978,37.5362,塔山社区党群服务驿站')
    expect(u.searchParams.get('coordinate')).toBe('wgs84')
    expect(u.searchParams.get('mode')).toBe('ride')
    expect(u.searchParams.get('callnative')).toBe('1')
  })

  it('a name with & or , does not break the link', () => {
    const u = new URL(navigationUrl({ name: 'A&B,驿站', lat: 1.5, lng: 2.5 }))
    expect(u.searchParams.get('to')).toBe('2.5,1.5,A&B,驿站')
    expect(u.searchParams.get('mode')).toBe('ride')
  })

  it.each([
    ['0535-6221234', 'tel:05356221234'],
    ['0535-6221234-801', 'tel:05356221234,801'],
    ['400-123-4567', 'tel:4001234567'],
    ['139 5350 1201', 'tel:13953501201'],
    ['', ''],
    [undefined, ''],
    ['请来电', ''],
  ])('tel for %s: %s', (phone, want) => expect(telUrl(phone)).toBe(want))
})

it('distance as the registry measures it', () => {
  // 塔山 station to 烟小暖: about 560 m.
  const d = distanceM({ lat: 37.5362, lng: 121.3978 }, { lat: 37.5405, lng: 121.4012 })
  expect(d).toBeGreaterThan(540)
  expect(d).toBeLessThan(580)
  expect(distanceM({ lat: 37.5, lng: 121.4 }, { lat: 37.5, lng: 121.4 })).toBe(0)
})

it('facility names', () => {
  expect(facilityName('water')).toBe('饮水')
  expect(facilityName('sauna')).toBe('sauna')
})
