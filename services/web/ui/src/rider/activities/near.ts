// "Near me" for activities held at a warm station: the phone's location
// (asked for only when the rider taps 离我最近) and the stations around
// it, with their names and distances. Kept for the visit, so the
// activity's page shows the station's name too.
import { reactive } from 'vue'
import { api } from '@/lib/api'
import { locate, noPlaceText } from '../place'

export interface NearStation {
  id: string
  name: string
  address: string
  distance_m: number
  lat: number
  lng: number
}

export const near = reactive({
  /** The stations around the rider, by id; empty until located. */
  stations: {} as Record<string, NearStation>,
  located: false,
})

/**
 * Locates the phone and loads the stations within 50 km. Answers '' or
 * what to tell the rider when there is no location.
 */
export async function locateStations(): Promise<string> {
  const p = await locate()
  if (typeof p === 'string') return noPlaceText(p).replace('，请选择所在社区', '')
  const r = await api.get<{ items: NearStation[] }>('/registry/stations/nearby', { lat: p.lat, lng: p.lng, radius_m: 50000, limit: 100 })
  const m: Record<string, NearStation> = {}
  for (const s of r.items) m[s.id] = s
  near.stations = m
  near.located = true
  return ''
}

/** Distance to an activity's station in metres, or Infinity when it is not at a known station. */
export function distanceOf(stationId?: string): number {
  const s = stationId ? near.stations[stationId] : undefined
  return s ? s.distance_m : Infinity
}
