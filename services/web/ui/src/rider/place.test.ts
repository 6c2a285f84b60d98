import { describe, expect, it } from 'vitest'
import { distanceText } from './place'

describe('distanceText', () => {
  it.each([
    [0, '0 米'],
    [7, '10 米'],
    [349, '350 米'],
    [994, '990 米'],
    [1000, '1.0 公里'],
    [1249, '1.2 公里'],
    [12400, '12 公里'],
  ])('%d m reads %s', (m, text) => {
    expect(distanceText(m)).toBe(text)
  })
})
