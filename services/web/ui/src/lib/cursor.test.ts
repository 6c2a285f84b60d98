import { expect, it } from 'vitest'
import { useCursor } from './cursor'

it('goes forward by next and back by the cursors it kept', () => {
  const c = useCursor()
  expect(c.forward(undefined)).toBe(false)
  expect(c.forward('p2')).toBe(true)
  expect(c.forward('p3')).toBe(true)
  expect([c.after.value, c.cursors.value]).toEqual(['p3', ['', 'p2']])
  c.back()
  expect([c.after.value, c.cursors.value]).toEqual(['p2', ['']])
  c.back()
  expect([c.after.value, c.cursors.value]).toEqual([undefined, []])
  c.forward('p2')
  c.reset()
  expect([c.after.value, c.cursors.value]).toEqual([undefined, []])
})
