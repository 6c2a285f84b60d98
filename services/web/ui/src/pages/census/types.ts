// The registry's answers these pages read (docs/api/registry.openapi.yaml).

export interface Worker {
  id: string
  name: string
  mobile: string
  id_number: string
  occupation: string
  street: string
  community: string
  enterprise_id: string | null
  platform: string
  political_status: string
  mobile_party_member: boolean
  home_party_org: string
  status: 'active' | 'left' | 'rejected'
  left_at?: string
  leave_reason?: string
  self_registered?: boolean
  confirmation?: 'awaiting' | 'confirmed' | 'rejected'
  decided_at?: string
  decided_by?: string
  decision_reason?: string
  created_at: string
  updated_at: string
}

export interface Enterprise {
  id: string
  name: string
  kind: string
  credit_code?: string
  street: string
  community: string
  address: string
  contact: { name: string; mobile: string }
  has_party_org: boolean
  status?: 'active' | 'closed'
  closed_on?: string
  closed_at?: string
  close_reason?: string
  created_at: string
  updated_at: string
}

export interface Page<T> {
  items: T[]
  next?: string
  total?: number
}

/** The political statuses of the party pipeline, in order. */
export const pipeline = ['masses', 'league_member', 'applicant', 'activist', 'development_target', 'probationary_member', 'party_member']

/**
 * The statuses a worker may step to from `from` (POST political-status):
 * one stage forward; a candidate back out to masses or league member; and
 * between masses and league member. Party members and other parties stay.
 */
export function nextStatuses(from: string): { to: string; back: boolean }[] {
  const candidates = ['applicant', 'activist', 'development_target', 'probationary_member']
  if (from === 'masses') return [{ to: 'applicant', back: false }, { to: 'league_member', back: false }]
  if (from === 'league_member') return [{ to: 'applicant', back: false }, { to: 'masses', back: false }]
  if (candidates.includes(from)) {
    const i = pipeline.indexOf(from)
    return [{ to: pipeline[i + 1], back: false }, { to: 'masses', back: true }, { to: 'league_member', back: true }]
  }
  return []
}
