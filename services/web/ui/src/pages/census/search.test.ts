import { expect, it } from 'vitest'
import { searchParams } from './search'

it('sends a mobile tail, a whole mobile or a name', () => {
  const cases: [string, ReturnType<typeof searchParams>][] = [
    ['', {}],
    ['  ', {}],
    ['1234', { mobile_tail: '1234' }],
    [' 5678 ', { mobile_tail: '5678' }],
    ['13953501201', { mobile: '13953501201' }],
    ['139 5350 1201', { mobile: '13953501201' }],
    ['139-5350-1201', { mobile: '13953501201' }],
    ['王海涛', { q: '王海涛' }],
    ['123', { q: '123' }],
    ['12345', { q: '12345' }],
    ['23953501201', { q: '23953501201' }],
  ]
  for (const [text, want] of cases) expect(searchParams(text), text).toEqual(want)
})
