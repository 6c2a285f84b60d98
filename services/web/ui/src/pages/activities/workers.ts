// Workers' names for ids the activity service answers (it knows workers
// only by id): read once each from the registry and kept for the page's
// life. A worker the caller can no longer see shows by a short id.
import { reactive } from 'vue'
import { api } from '@/lib/api'

export function useWorkerNames() {
  const names = reactive<Record<string, string>>({})
  const asked = new Set<string>()
  async function want(ids: string[]) {
    const fresh = [...new Set(ids)].filter((id) => !asked.has(id))
    fresh.forEach((id) => asked.add(id))
    // A few at a time: a long sign-up list should not flood the registry.
    for (let i = 0; i < fresh.length; i += 6) {
      await Promise.all(fresh.slice(i, i + 6).map(async (id) => {
        try {
          names[id] = (await api.get<{ name: string }>(`/registry/workers/${id}`)).name
        } catch {
          names[id] = ''
        }
      }))
    }
  }
  const nameOf = (id: string) => names[id] || `骑手 ${id.slice(-6)}`
  return { names, want, nameOf }
}
