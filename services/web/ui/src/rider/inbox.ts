// The count of the rider's unread messages, for the tab bar's badge; the
// messages page sets it when it reads or marks messages.
import { reactive } from 'vue'
import { api } from '@/lib/api'

export const inbox = reactive({ unread: 0 })

/** Asks the notification service for the unread count (one message's worth of page). */
export async function refreshUnread() {
  try {
    const page = await api.get<{ unread: number }>('/notification/inbox', { unread: true, limit: 1 })
    inbox.unread = page.unread || 0
  } catch {
    // No signal, or signed out: the badge keeps what it showed.
  }
}
