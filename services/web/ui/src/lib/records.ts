// The services' records as both apps read them: the fields every caller is
// answered. The console's pages extend them with what only staff are
// answered; the rider's pages with what only a worker is.

/** Opening hours as the registry keeps them, in Asia/Shanghai. */
export interface OpeningPeriod {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[]
  /** "HH:MM". */
  open: string
  close: string
}

/** A warm station (GET /registry/stations…). */
export interface Station {
  id: string
  name: string
  kind: string
  street: string
  community: string
  host: string
  lat: number
  lng: number
  address: string
  /** A number to call the station at; absent when it has none. */
  phone?: string
  opening_hours: OpeningPeriod[]
  facilities: string[]
  status?: 'open' | 'closed'
}

/** An activity (GET /activity/activities…). */
export interface Activity {
  id: string
  title: string
  kind: string
  description: string
  street: string
  community?: string
  address?: string
  station_id?: string
  starts_at: string
  ends_at: string
  capacity: number | null
  volunteer_service: boolean
  status: 'draft' | 'published' | 'cancelled'
  cancel_reason?: string
  /** How many are signed up. */
  signed_up: number
}

/** A step in a report's life, as a rider is told it. */
export interface ReportTransition {
  from: string
  to: string
  actor_role: string
  note?: string
  unit?: string
  person?: string
  at: string
}

/** A rider's report, 随手拍 (GET /activity/reports…). */
export interface Report {
  id: string
  category: string
  description: string
  lat: number
  lng: number
  address?: string
  status: string
  valid?: boolean
  due_at: string
  created_at: string
  updated_at: string
  photos: { n: number; content_type: string; size: number }[]
  transitions?: ReportTransition[]
  merged_into?: string
  primary_status?: string
}

/** An item's photo, as the points service describes it (the bytes are at its own URL). */
export interface ItemPhoto {
  content_type: string
  size: number
  /** Changes with every new photo: the URL names it, so a phone keeps a photo until it changes. */
  version: string
  updated_at: string
}

/** Something a points supermarket gives for points. */
export interface Item {
  id: string
  store_id: string
  name: string
  price: number
  stock: number
  active: boolean
  photo?: ItemPhoto
}

/** Where an item's photo is read, or '' when it has none. */
export function itemPhotoURL(it: Pick<Item, 'id' | 'photo'>): string {
  return it.photo ? `/api/points/items/${it.id}/photo?v=${encodeURIComponent(it.photo.version)}` : ''
}
