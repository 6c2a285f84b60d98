// Stations as a rider reads them: open now or not, today's and the week's
// opening hours (in Shanghai time, as the registry reads them), the
// facilities by name, and the link that opens the phone's map app.
import { label } from '@/lib/labels'
import type { OpeningPeriod, Station as StationRecord } from '@/lib/records'

export type { OpeningPeriod }

/** A station as GET /api/registry/stations(/nearby, /{id}) answers a rider. */
export interface Station extends StationRecord {
  /** Only from nearby: whole metres from where the rider is. */
  distance_m?: number
  /** Only from nearby: open at the time of asking. */
  open_now?: boolean
}

/** The facilities a rider looks for most, in the order they are offered. */
export const commonFacilities = ['water', 'charging', 'microwave', 'toilet', 'heating', 'medicine']

/** A facility's name: 饮水, 充电 … (the code itself when unknown). */
export function facilityName(code: string): string {
  return label('facility', code)
}

const weekdayNames = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日']

/** The ISO weekday (1 = Monday) and the minute of the day in Shanghai at t. */
export function shanghaiClock(t: Date = new Date()): { day: number; minute: number } {
  // China has kept UTC+8 all year since 1991: no zone database needed.
  const s = new Date(t.getTime() + 8 * 3600 * 1000)
  const day = s.getUTCDay() || 7
  return { day, minute: s.getUTCHours() * 60 + s.getUTCMinutes() }
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return h * 60 + m
}

/** Whether the hours have the station open at t; as the registry's OpeningHours.OpenAt. */
export function openAt(hours: OpeningPeriod[], t: Date = new Date()): boolean {
  const { day, minute } = shanghaiClock(t)
  const yesterday = day === 1 ? 7 : day - 1
  return hours.some((p) => {
    const o = minutes(p.open)
    const c = minutes(p.close)
    if (o < c) return p.days.includes(day) && minute >= o && minute < c
    // Past midnight: the evening part today, the early part from yesterday.
    return (p.days.includes(day) && minute >= o) || (p.days.includes(yesterday) && minute < c)
  })
}

/** One period as read: 08:00–20:00, 全天, 18:00–次日02:00. */
function periodText(p: OpeningPeriod): string {
  if (p.open === '00:00' && p.close === '24:00') return '全天'
  if (p.close === '00:00') return `${p.open}–24:00`
  if (minutes(p.close) < minutes(p.open)) return `${p.open}–次日${p.close}`
  return `${p.open}–${p.close}`
}

/** The opening on an ISO weekday: "08:00–20:00", "09:00–12:00、14:00–18:00", "全天" or "不开放". */
export function hoursOn(hours: OpeningPeriod[], day: number): string {
  const on = hours.filter((p) => p.days.includes(day)).sort((a, b) => minutes(a.open) - minutes(b.open))
  if (!on.length) return '不开放'
  return on.map(periodText).join('、')
}

/** Today's opening in Shanghai: "今日 08:00–20:00", "今日 全天开放", "今日不开放". */
export function todayText(hours: OpeningPeriod[], t: Date = new Date()): string {
  const text = hoursOn(hours, shanghaiClock(t).day)
  if (text === '不开放') return '今日不开放'
  return text === '全天' ? '今日 全天开放' : `今日 ${text}`
}

/** The week, Monday first: 周一 08:00–20:00 …; today marked. */
export function weekHours(hours: OpeningPeriod[], t: Date = new Date()): { day: string; text: string; today: boolean }[] {
  const today = shanghaiClock(t).day
  return [1, 2, 3, 4, 5, 6, 7].map((d) => ({ day: weekdayNames[d], text: hoursOn(hours, d), today: d === today }))
}

/**
 * The link that opens Amap (高德地图) with a riding route to the station;
 * in a browser without the app it is Amap's web page. The registry's
 * coordinates are WGS-84 (the phone's GPS), which coordinate=wgs84 tells
 * Amap (its own are GCJ-02); the position goes longitude first.
 */
export function navigationUrl(s: Pick<Station, 'lat' | 'lng' | 'name'>): string {
  const to = `${s.lng},${s.lat},${encodeURIComponent(s.name)}`
  return `https://uri.amap.com/navigation?to=${to}&mode=ride&coordinate=wgs84&callnative=1&src=nuanxin`
}

/**
 * A tel: link for a station's number as the registry keeps it (spaces and
 * dashes dropped; a landline's extension after a pause, which the phone
 * dials once the call is answered), or '' when it is not one.
 */
export function telUrl(phone: string | undefined): string {
  const p = (phone || '').replace(/\s/g, '')
  const ext = /^(0\d{2,3}-?\d{7,8})-(\d{1,6})$/.exec(p)
  if (ext) return `tel:${ext[1].replace(/-/g, '')},${ext[2]}`
  const n = p.replace(/-/g, '')
  return /^\+?\d{3,20}$/.test(n) ? `tel:${n}` : ''
}

/** Great-circle distance in metres between two WGS-84 points, as the registry measures it. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const r = 6371008.8
  const rad = Math.PI / 180
  const h = Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lng - a.lng) * rad) / 2) ** 2
  return Math.round(2 * r * Math.asin(Math.sqrt(h)))
}
