// A list the rider reads a page at a time, newest first (积分明细, 我的兑换,
// 消息): the first page on opening, and 加载更多 for the page after the last
// one shown. The services page by a cursor, answered as `next`.
import { reactive } from 'vue'
import { describe } from '@/lib/messages'

/** One page as the services answer it. */
export interface Page<T> {
  items: T[]
  next?: string
}

/** The list and its states (reactive), for PagedList. */
export interface Pages<T> {
  /** The rows shown; a page may change one in place (a message read). */
  items: T[]
  /** The cursor of the page after the last shown; '' when there is none. */
  next: string
  loading: boolean
  /** Whether the first page has come. */
  loaded: boolean
  /** Why the last page asked for did not come ('' when it did). */
  problem: string
  /** Asks for the page after the last shown; from the start when first. */
  more(first?: boolean): Promise<void>
}

/** fetchPage(cursor) answers the page after cursor (undefined: the first page). */
export function usePages<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>): Pages<T> {
  const pages = reactive({ items: [], next: '', loading: false, loaded: false, problem: '', more }) as Pages<T>

  async function more(first = false) {
    if (pages.loading) return
    pages.loading = true
    pages.problem = ''
    try {
      const page = await fetchPage(first ? undefined : pages.next || undefined)
      if (first) pages.items = []
      pages.items.push(...page.items)
      pages.next = page.next || ''
      pages.loaded = true
    } catch (e) {
      pages.problem = describe(e).title
    } finally {
      pages.loading = false
    }
  }

  return pages
}
