// The rider's session, as the web service tells it (GET /api/session):
// signed in as a worker, or midway through the first-time 报到 form.
import { reactive } from 'vue'
import { api, ApiError, setCSRF } from '@/lib/api'

interface SessionView {
  csrf_token: string
  principal?: { sub: string; role: string; street?: string; worker_id?: string }
  display_name?: string
  enrolment_required?: boolean
}

export const rider = reactive({
  loaded: false,
  workerId: '',
  name: '',
  enrolling: false,
})

// Identity keeps no names, so a rider's session has none: the registry's
// record of them (their own, which a worker may read) gives it. Not
// awaited: the page shows without it and the greeting fills in.
function loadWorker(id: string) {
  api.get<{ name: string }>(`/registry/workers/${id}`).then(
    (w) => {
      if (rider.workerId === id) rider.name = w.name
    },
    () => {
      // No signal, or the record is not readable: the greeting stays plain.
    },
  )
}

export function apply(v: SessionView | null) {
  setCSRF(v?.csrf_token || '')
  rider.workerId = v?.principal?.role === 'worker' ? v.principal.worker_id || '' : ''
  rider.name = v?.display_name || ''
  rider.enrolling = !!v?.enrolment_required
  rider.loaded = true
  remember(rider.workerId !== '' && !rider.enrolling)
  if (rider.workerId && !rider.name) loadWorker(rider.workerId)
}

// Whether this phone was signed in as a rider when it last asked: a hint,
// not a credential (the session cookie is that, and the server judges it).
// It lets the home page ask for its stations while the session is still
// on its way, a round trip sooner on a slow network.
const signedInKey = 'nuanxin.rider.signedIn'

function remember(signedIn: boolean) {
  try {
    if (signedIn) localStorage.setItem(signedInKey, '1')
    else localStorage.removeItem(signedInKey)
  } catch {
    // Storage refused (a private window): the pages just wait for the session.
  }
}

/** Whether this phone was signed in as a rider the last time it asked. */
export function wasSignedIn() {
  try {
    return localStorage.getItem(signedInKey) === '1'
  } catch {
    return false
  }
}

/** Loads the session once; answers whether a rider is signed in (or enrolling). */
export async function loadSession() {
  if (!rider.loaded) {
    // One question at a time: the router and the report queue may both ask.
    asking ??= api.get<SessionView>('/session').finally(() => (asking = null))
    try {
      apply(await asking)
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) throw e
      apply(null)
    }
  }
  return rider.workerId !== '' || rider.enrolling
}

let asking: Promise<SessionView> | null = null

/** Signs in with the mobile and the code the SMS brought. */
export async function signIn(mobile: string, code: string) {
  const v = await api.post<SessionView>('/session', { mobile, code })
  apply(v)
  return v
}

export async function signOut() {
  try {
    await api.del('/session')
  } finally {
    apply(null)
  }
}
