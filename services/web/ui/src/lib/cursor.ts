// Keyset paging as the services do it: a page answers `next`, the cursor
// of the page after it; going back needs the cursors of the pages before,
// which only the browser keeps.
import { ref } from 'vue'

export function useCursor() {
  /** The cursor of the page shown (undefined: the first page). */
  const after = ref<string | undefined>()
  /** The cursors of the pages before it, oldest first. */
  const cursors = ref<string[]>([])
  return {
    after,
    cursors,
    /** Back to the first page (new filters). */
    reset() {
      cursors.value = []
      after.value = undefined
    },
    /** On to the page after, if there is one; false when there is none. */
    forward(next: string | undefined | null): boolean {
      if (!next) return false
      cursors.value.push(after.value || '')
      after.value = next
      return true
    },
    /** Back one page. */
    back() {
      after.value = cursors.value.pop() || undefined
    },
  }
}
