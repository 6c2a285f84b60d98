// One activity as a page shows it (活动详情, the QR link's 活动签到):
// loading, found, not found (withdrawn, or not for the rider's community),
// or not loaded for another reason (said in Chinese, with 重试).
import { ref } from 'vue'
import { api, ApiError } from '@/lib/api'
import { problemText, type Activity } from './activities'

export type ActivityState = 'loading' | 'ok' | 'missing' | 'error'

/** Loads the activity id() names; load() again after a change the rider made. */
export function useActivity(id: () => string) {
  const a = ref<Activity | null>(null)
  const state = ref<ActivityState>('loading')
  const loadError = ref('')

  async function load() {
    try {
      a.value = await api.get<Activity>(`/activity/activities/${id()}`)
      state.value = 'ok'
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) state.value = 'missing'
      else {
        loadError.value = problemText(e)
        state.value = 'error'
      }
    }
  }
  function retry() {
    state.value = 'loading'
    void load()
  }
  return { a, state, loadError, load, retry }
}
