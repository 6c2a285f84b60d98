// The street offices and communities the caller can see (GET
// /registry/org), loaded once and shared: names for codes, and the
// options of the street and community pickers.
import { reactive } from 'vue'
import { api } from './api'

export interface Community { code: string; street: string; name: string }
export interface Street { code: string; name: string; communities: Community[] }

const state = reactive({ streets: [] as Street[], loaded: false })
let loading: Promise<void> | null = null

function load() {
  if (!loading) {
    loading = api
      .get<{ streets: Street[] }>('/registry/org')
      .then((o) => {
        state.streets = o.streets
        state.loaded = true
      })
      .catch(() => {
        loading = null // tried again on the next use
      })
  }
  return loading
}

/** The org tree, with lookups; starts loading it on first use. */
export function useOrg() {
  void load()
  return {
    state,
    ready: load,
    streetName: (code?: string) => state.streets.find((s) => s.code === code)?.name || code || '',
    communityName: (street: string | undefined, code?: string) => {
      for (const s of state.streets) {
        if (street && s.code !== street) continue
        const c = s.communities.find((c) => c.code === code)
        if (c) return c.name
      }
      return code || ''
    },
    communities: (street?: string) => state.streets.filter((s) => !street || s.code === street).flatMap((s) => s.communities),
  }
}
