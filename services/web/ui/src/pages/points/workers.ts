// Worker names for the ids the points and notification services answer
// (they keep ids only): read once each from the registry and kept for the
// session's pages. A worker out of sight or unknown shows a short id.
import { reactive } from 'vue'
import { api } from '@/lib/api'

const names = reactive<Record<string, string>>({})
const asked = new Set<string>()

/** Starts looking up the names of ids not yet known (a few at a time). */
export async function lookUp(ids: string[]) {
  const todo = [...new Set(ids)].filter((id) => id && !asked.has(id))
  todo.forEach((id) => asked.add(id))
  // Small batches: a page of 50 rows must not open 50 requests at once.
  for (let i = 0; i < todo.length; i += 6) {
    await Promise.all(
      todo.slice(i, i + 6).map((id) =>
        api
          .get<{ name: string }>(`/registry/workers/${id}`)
          .then((w) => (names[id] = w.name))
          .catch(() => (names[id] = '')),
      ),
    )
  }
}

/** The worker's name, or a short id while unknown. */
export function workerName(id?: string | null) {
  if (!id) return ''
  return names[id] || `骑手 ${id.slice(-6)}`
}
