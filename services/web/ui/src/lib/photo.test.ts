import { describe, expect, it } from 'vitest'
import { fitWithin, maxPhotoBytes, PhotoTooLarge, shrink, steps, type Step } from './photo'

describe('fitWithin', () => {
  it.each([
    [4000, 3000, { width: 1600, height: 1200 }],
    [3000, 4000, { width: 1200, height: 1600 }],
    [1600, 900, { width: 1600, height: 900 }],
    [800, 600, { width: 800, height: 600 }], // never scaled up
    [10000, 10, { width: 1600, height: 2 }],
  ])('%i × %i → %j', (w, h, want) => expect(fitWithin(w, h)).toEqual(want))
})

/** A pretend JPEG encoder: the size grows with the pixels and the quality. */
const encoder = (bytesAtFull: number, seen: Step[] = []) => async (s: Step) => {
  seen.push(s)
  return new Blob([new Uint8Array(Math.round(bytesAtFull * s.scale * s.scale * (s.quality / 0.85) ** 2))])
}

describe('shrink', () => {
  it('answers the first try when it is small enough', async () => {
    const seen: Step[] = []
    const b = await shrink(encoder(600_000, seen))
    expect(b.size).toBe(600_000)
    expect(seen).toEqual([{ scale: 1, quality: 0.85 }])
  })

  it('lowers the quality before the size', async () => {
    const seen: Step[] = []
    const b = await shrink(encoder(1_500_000, seen))
    expect(b.size).toBeLessThanOrEqual(maxPhotoBytes)
    expect(seen.every((s) => s.scale === 1)).toBe(true)
    expect(seen.map((s) => s.quality)).toEqual([0.85, 0.75, 0.65])
  })

  it('then shrinks the image until it fits', async () => {
    const seen: Step[] = []
    const b = await shrink(encoder(6_000_000, seen))
    expect(b.size).toBeLessThanOrEqual(maxPhotoBytes)
    expect(seen.at(-1)!.scale).toBeLessThan(1)
    // Every try smaller than the one before.
    const sizes = await Promise.all(seen.map(async (s) => (await encoder(6_000_000)(s)).size))
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1])
  })

  it('takes exactly the limit', async () => {
    expect((await shrink(encoder(maxPhotoBytes))).size).toBe(maxPhotoBytes)
  })

  it('gives up on what never fits, after a bounded number of tries', async () => {
    let tries = 0
    await expect(shrink(async () => (tries++, new Blob([new Uint8Array(maxPhotoBytes + 1)])))).rejects.toBeInstanceOf(PhotoTooLarge)
    expect(tries).toBe(steps().length)
    expect(tries).toBeLessThan(15)
  })

  it('keeps to a smaller limit, and names it when a photo does not fit (an item photo: 200 KB)', async () => {
    expect((await shrink(encoder(200_000), 200_000)).size).toBeLessThanOrEqual(200_000)
    await expect(shrink(async () => new Blob([new Uint8Array(200_001)]), 200_000)).rejects.toThrow('照片太大，无法压缩到 200 KB 以内')
  })

  it('steps go down to a fifth of the side', () => {
    const s = steps()
    expect(s[0]).toEqual({ scale: 1, quality: 0.85 })
    expect(Math.min(...s.map((x) => x.scale))).toBeGreaterThanOrEqual(0.2)
    expect(Math.min(...s.map((x) => x.scale))).toBeLessThan(0.3)
  })
})
