// @vitest-environment jsdom
import { afterEach, expect, it, vi } from 'vitest'
import { loadPrefs, mayLocateQuietly, savePrefs } from './prefs'

afterEach(() => {
  localStorage.clear()
  vi.unstubAllGlobals()
})

it('remembers the facility, the location choice and the community', () => {
  expect(loadPrefs()).toEqual({ facility: '', located: false })
  savePrefs({ facility: 'water', located: true, community: { code: 'tashan', name: '塔山社区' } })
  expect(loadPrefs()).toEqual({ facility: 'water', located: true, community: { code: 'tashan', name: '塔山社区' } })
})

it('starts afresh from spoilt storage', () => {
  localStorage.setItem('nuanxin.rider.home', '{not json')
  expect(loadPrefs()).toEqual({ facility: '', located: false })
  localStorage.setItem('nuanxin.rider.home', JSON.stringify({ facility: 3, located: 'yes', community: { code: 1 } }))
  expect(loadPrefs()).toEqual({ facility: '', located: false, community: undefined })
})

it('locates without a prompt only when the rider agreed and the browser still allows it', async () => {
  const permission = (state: string) => vi.stubGlobal('navigator', { permissions: { query: async () => ({ state }) } })
  permission('granted')
  expect(await mayLocateQuietly({ facility: '', located: false })).toBe(false)
  expect(await mayLocateQuietly({ facility: '', located: true })).toBe(true)
  permission('prompt')
  expect(await mayLocateQuietly({ facility: '', located: true })).toBe(false)
  permission('denied')
  expect(await mayLocateQuietly({ facility: '', located: true })).toBe(false)
  vi.stubGlobal('navigator', {}) // no Permissions API: the browser remembers the answer itself
  expect(await mayLocateQuietly({ facility: '', located: true })).toBe(true)
})
