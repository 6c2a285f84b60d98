// useLoad runs a page's loading function and tracks its states for
// PageState: loading, the error, the value — and reloads on demand.
import { ref, shallowRef, type Ref } from 'vue'

export function useLoad<T>(fn: () => Promise<T>, initial?: T) {
  const data = shallowRef(initial) as Ref<T | undefined>
  const loading = ref(false)
  const error = shallowRef<unknown>(null)
  let seq = 0
  async function reload() {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const v = await fn()
      if (mine === seq) data.value = v
    } catch (e) {
      if (mine === seq) error.value = e
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  return { data, loading, error, reload }
}
