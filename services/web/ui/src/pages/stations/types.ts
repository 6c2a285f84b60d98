import type { OpeningPeriod, Station as StationRecord } from '@/lib/records'

/** A station as staff are answered it. */
export interface Station extends StationRecord {
  closed_at?: string
  close_reason?: string
  created_at: string
  updated_at?: string
}

export interface StationPage {
  items: Station[]
  next?: string
  total: number
}

/** What the form edits: StationInput, with coordinates possibly not yet known. */
export interface StationDraft {
  name: string
  kind: string
  community: string
  host: string
  address: string
  /** '' when the station has none. */
  phone: string
  lat: number | undefined
  lng: number | undefined
  opening_hours: OpeningPeriod[]
  facilities: string[]
}

export function draftOf(s?: Station): StationDraft {
  return {
    name: s?.name || '',
    kind: s?.kind || 'warm_station',
    community: s?.community || '',
    host: s?.host || '',
    address: s?.address || '',
    phone: s?.phone || '',
    lat: s?.lat,
    lng: s?.lng,
    // Copies: the form must not change the listed station before it is saved.
    opening_hours: s ? s.opening_hours.map((p) => ({ ...p, days: [...p.days] })) : [{ days: [1, 2, 3, 4, 5, 6, 7], open: '08:00', close: '20:00' }],
    facilities: s ? [...s.facilities] : [],
  }
}
