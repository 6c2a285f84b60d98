// Where the rider is: the phone's location, asked for only when a page
// needs it (the page says why first), or a community the rider picks when
// they refuse or the phone cannot tell.

/** A WGS-84 point, as the phone's location gives it. */
export interface Point {
  lat: number
  lng: number
}

/** Why there is no location: refused, not available, or too slow. */
export type NoPlace = 'denied' | 'unavailable' | 'timeout'

/**
 * Asks the phone where it is. Resolves with the point, or with the reason
 * there is none; never rejects. A fix up to a minute old is good enough
 * to find the nearest station.
 */
export function locate(timeoutMs = 10000): Promise<Point | NoPlace> {
  if (!('geolocation' in navigator)) return Promise.resolve('unavailable')
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lng: p.coords.longitude }),
      (e) => resolve(e.code === e.PERMISSION_DENIED ? 'denied' : e.code === e.TIMEOUT ? 'timeout' : 'unavailable'),
      { enableHighAccuracy: false, timeout: timeoutMs, maximumAge: 60000 },
    )
  })
}

/** What to tell the rider when there is no location. */
export function noPlaceText(why: NoPlace): string {
  return {
    denied: '没有获得定位权限，请选择所在社区',
    unavailable: '手机暂时无法定位，请选择所在社区',
    timeout: '定位超时，请选择所在社区',
  }[why]
}

/** Metres as a rider reads them: "350 米", "1.2 公里". */
export function distanceText(m: number): string {
  if (m < 1000) return `${Math.round(m / 10) * 10 || Math.round(m)} 米`
  return `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} 公里`
}
