// A photo made small enough to send on a weak signal: re-encoded as JPEG
// (which also drops the camera's metadata, the place it was taken
// included), its long side at most 1600 px, and the quality and then the
// size lowered until it is at most 1 MB. A rider's 随手拍 uses it as is; an
// item's photo in the points supermarket asks for less (lib/photo's callers
// pass their own sizes).

/** The largest photo sent: 1 MB (the service takes up to 5 MiB). */
export const maxPhotoBytes = 1_000_000
/** The long side of a photo as sent, at most. */
export const maxLongSide = 1600

/** The size of a w × h image scaled down (never up) so its long side is at most max. */
export function fitWithin(w: number, h: number, max = maxLongSide): { width: number; height: number } {
  const s = Math.min(1, max / Math.max(w, h, 1))
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) }
}

/** One try at encoding: the scale of the (already fitted) image, and the JPEG quality. */
export interface Step {
  scale: number
  quality: number
}

/**
 * The tries, in order: the quality first goes down from 0.85 to 0.55, as
 * a smaller file costs little to the eye; then the image shrinks by a
 * quarter at a time at quality 0.6, down to a fifth of its side — a photo
 * that does not fit by then is not one a phone camera takes.
 */
export function steps(): Step[] {
  const out: Step[] = []
  for (const quality of [0.85, 0.75, 0.65, 0.55]) out.push({ scale: 1, quality })
  for (let scale = 0.75; scale >= 0.2; scale *= 0.75) out.push({ scale: Math.round(scale * 1000) / 1000, quality: 0.6 })
  return out
}

/**
 * The size loop: encodes at each step until the result is at most limit
 * bytes, and answers the first that is. Throws PhotoTooLarge if none is.
 */
export async function shrink(encode: (s: Step) => Promise<Blob>, limit = maxPhotoBytes): Promise<Blob> {
  for (const s of steps()) {
    const b = await encode(s)
    if (b.size <= limit) return b
  }
  throw new PhotoTooLarge(limit)
}

export class PhotoTooLarge extends Error {
  constructor(limit = maxPhotoBytes) {
    super(`照片太大，无法压缩到 ${limit >= 1_000_000 ? `${limit / 1_000_000} MB` : `${Math.round(limit / 1000)} KB`} 以内`)
  }
}

export class NotAPhoto extends Error {
  constructor() {
    super('无法读取这张照片，请重新拍摄')
  }
}

/** Decodes an image file, turned upright as the camera says. */
async function decode(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  if ('createImageBitmap' in window) {
    try {
      const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' })
      return { source: bmp, width: bmp.width, height: bmp.height, close: () => bmp.close() }
    } catch {
      // Fall back on an <img>, which some browsers decode more of.
    }
  }
  const url = URL.createObjectURL(file)
  try {
    const img = new Image()
    img.src = url
    await img.decode()
    return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => {} }
  } catch {
    throw new NotAPhoto()
  } finally {
    URL.revokeObjectURL(url)
  }
}

/** Compresses a photo file to a JPEG of at most limit bytes, its long side at most longSide px. */
export async function compressPhoto(file: Blob, { longSide = maxLongSide, limit = maxPhotoBytes } = {}): Promise<Blob> {
  const img = await decode(file)
  try {
    const fit = fitWithin(img.width, img.height, longSide)
    const canvas = document.createElement('canvas')
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new NotAPhoto()
    return await shrink(async ({ scale, quality }) => {
      canvas.width = Math.max(1, Math.round(fit.width * scale))
      canvas.height = Math.max(1, Math.round(fit.height * scale))
      // A PNG's transparent parts come out white, not black.
      ctx.fillStyle = '#fff'
      ctx.fillRect(0, 0, canvas.width, canvas.height)
      ctx.drawImage(img.source, 0, 0, canvas.width, canvas.height)
      const b = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality))
      if (!b) throw new NotAPhoto()
      return b
    }, limit)
  } finally {
    img.close()
  }
}
