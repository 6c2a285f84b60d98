// Reads every page of a {items, next} list (the activity service pages by
// id), up to a ceiling: boards and queues sort and group what they show,
// which needs the whole scope rather than one page.
import { api, type Query } from '@/lib/api'

export async function allPages<T>(path: string, query: Query = {}, ceiling = 2000): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = []
  let after: string | undefined
  for (;;) {
    const page = await api.get<{ items: T[]; next?: string }>(path, { ...query, limit: 500, after })
    items.push(...page.items)
    if (!page.next) return { items, more: false }
    if (items.length >= ceiling) return { items, more: true }
    after = page.next
  }
}
