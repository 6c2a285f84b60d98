// What the home page remembers on the phone between visits, so a return
// visit shows stations at once: the facility last chosen, whether the
// rider agreed to use their location, or the community they picked.
// Nothing secret (no token, no location): a preference, in localStorage.

export interface HomePrefs {
  facility: string
  /** The rider tapped 使用我的位置 and the phone answered. */
  located: boolean
  community?: { code: string; name: string }
}

const key = 'nuanxin.rider.home'

export function loadPrefs(): HomePrefs {
  const none: HomePrefs = { facility: '', located: false }
  try {
    const v = JSON.parse(localStorage.getItem(key) || 'null')
    if (!v || typeof v !== 'object') return none
    return {
      facility: typeof v.facility === 'string' ? v.facility : '',
      located: v.located === true,
      community: v.community && typeof v.community.code === 'string' && typeof v.community.name === 'string'
        ? { code: v.community.code, name: v.community.name } : undefined,
    }
  } catch {
    return none // storage refused (private mode) or spoilt: start afresh
  }
}

export function savePrefs(p: HomePrefs) {
  try {
    localStorage.setItem(key, JSON.stringify(p))
  } catch {
    // Storage full or refused: the next visit asks again.
  }
}

/**
 * Whether the phone would give the location without asking: the rider
 * agreed here before and the browser still has the permission (or cannot
 * say). A page never opens with the browser's permission prompt.
 */
export async function mayLocateQuietly(prefs: HomePrefs): Promise<boolean> {
  if (!prefs.located) return false
  try {
    const s = await navigator.permissions?.query({ name: 'geolocation' })
    return !s || s.state === 'granted'
  } catch {
    return true // no Permissions API (older Safari): it remembers the rider's answer itself
  }
}
