// Pairings as the registry answers them, and the words for contact methods
// (lib/labels.ts has no vocabulary for them yet).

export interface Pairing {
  id: string
  worker_id: string
  /** The worker's name as it is now, for display. */
  worker_name: string
  street: string
  community: string
  staff_subject: string
  staff_name: string
  note: string
  status: 'active' | 'ended'
  created_by: string
  created_at: string
  ended_at?: string
  ended_by?: string
  end_reason?: string
  last_contact_at: string | null
}

export interface PairingPage {
  items: Pairing[]
  next?: string
  month?: string
}

export const contactMethods: { value: string; label: string }[] = [
  { value: 'phone', label: '电话' },
  { value: 'wechat', label: '微信' },
  { value: 'group_chat', label: '微信群' },
  { value: 'visit', label: '走访' },
  { value: 'other', label: '其他' },
]
