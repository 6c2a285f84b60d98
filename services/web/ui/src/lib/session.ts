// Who is signed in: the BFF's answer to GET /api/session, kept in a
// reactive object every page reads. No token is ever here — only the
// principal (role and scope), the display name and the CSRF token.
import { reactive } from 'vue'
import { api, ApiError, setCSRF } from './api'

export type Role = 'district_admin' | 'street_admin' | 'community_staff' | 'worker'

export interface Principal {
  sub: string
  role: Role
  street?: string
  community?: string
  worker_id?: string
}

interface SessionView {
  csrf_token: string
  principal?: Principal
  display_name?: string
  enrolment_required?: boolean
}

export const session = reactive({
  loaded: false,
  principal: null as Principal | null,
  displayName: '',
  username: '',
})

export const roleNames: Record<Role, string> = {
  district_admin: '区级管理员',
  street_admin: '街道管理员',
  community_staff: '社区（网格）工作人员',
  worker: '新就业群体',
}

function apply(v: SessionView | null) {
  setCSRF(v?.csrf_token || '')
  session.principal = v?.principal || null
  session.displayName = v?.display_name || ''
  session.loaded = true
}

/** Loads the session once; answers whether someone is signed in. */
export async function loadSession(): Promise<boolean> {
  if (session.loaded) return session.principal !== null
  try {
    apply(await api.get<SessionView>('/session'))
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e
    apply(null)
  }
  return session.principal !== null
}

/** Staff sign-in; with newPassword, the password is changed on the way. */
export async function signIn(username: string, password: string, newPassword?: string) {
  const v = await api.post<SessionView>('/session', { username, password, new_password: newPassword || undefined })
  apply(v)
  session.username = username
  return v
}

export async function signOut() {
  try {
    await api.del('/session')
  } finally {
    apply(null)
  }
}

/** Forgets the session locally (the server said it is gone). */
export function forget() {
  apply(null)
}

export const isStaff = () => !!session.principal && session.principal.role !== 'worker'
export const isAdmin = () => session.principal?.role === 'district_admin' || session.principal?.role === 'street_admin'
export const isDistrict = () => session.principal?.role === 'district_admin'
