import { describe, expect, it } from 'vitest'
import { usePages, type Page } from './pages'

/** Pages of the numbers 1…n, newest first, size at a time; asks records each cursor. */
function numbers(n: number, size: number) {
  const asks: (string | undefined)[] = []
  const fetchPage = async (cursor: string | undefined): Promise<Page<number>> => {
    asks.push(cursor)
    const from = cursor ? Number(cursor) : n
    const items = Array.from({ length: Math.min(size, from) }, (_, i) => from - i)
    const last = items[items.length - 1]
    return { items, next: last > 1 ? String(last - 1) : undefined }
  }
  return { asks, fetchPage }
}

describe('usePages', () => {
  it('asks for the page after the last shown until there is none', async () => {
    const src = numbers(5, 2)
    const p = usePages(src.fetchPage)
    await p.more(true)
    expect(p.items).toEqual([5, 4])
    await p.more()
    await p.more()
    expect(p.items).toEqual([5, 4, 3, 2, 1])
    expect(p.next).toBe('')
    expect(src.asks).toEqual([undefined, '3', '1'])
  })

  it('starts again from the first page when asked to', async () => {
    const p = usePages(numbers(5, 2).fetchPage)
    await p.more(true)
    await p.more()
    await p.more(true)
    expect(p.items).toEqual([5, 4])
  })

  it('keeps the rows shown and says why when a page does not come', async () => {
    let fail = false
    const src = numbers(5, 2)
    const p = usePages((c) => (fail ? Promise.reject(new TypeError('Failed to fetch')) : src.fetchPage(c)))
    await p.more(true)
    fail = true
    await p.more()
    expect(p.items).toEqual([5, 4])
    expect(p.problem).toMatch(/网络/)
    expect(p.next).toBe('3')
    fail = false
    await p.more()
    expect(p.items).toEqual([5, 4, 3, 2])
    expect(p.problem).toBe('')
  })

  it('asks once while a page is on its way (a double tap on 加载更多)', async () => {
    const src = numbers(5, 2)
    const p = usePages(src.fetchPage)
    await Promise.all([p.more(true), p.more(true)])
    expect(src.asks).toEqual([undefined])
    expect(p.loaded).toBe(true)
  })
})
