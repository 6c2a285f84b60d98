// Reading the board's QR code from a photo, where the browser has
// BarcodeDetector (Chrome on Android); elsewhere the rider scans it with
// the phone's camera app, which opens the check-in link.
interface Detector {
  detect(source: ImageBitmapSource): Promise<{ rawValue: string }[]>
}
declare global {
  interface Window {
    BarcodeDetector?: { new (o: { formats: string[] }): Detector; getSupportedFormats?: () => Promise<string[]> }
  }
}

/** True when the browser can read QR codes itself. */
export function canScan(): boolean {
  return typeof window !== 'undefined' && typeof window.BarcodeDetector === 'function'
}

/** The text of the first QR code in the photo, or '' when none is found. */
export async function readQRPhoto(file: Blob): Promise<string> {
  const D = window.BarcodeDetector
  if (!D) return ''
  const img = await createImageBitmap(file)
  try {
    const codes = await new D({ formats: ['qr_code'] }).detect(img)
    return codes[0]?.rawValue || ''
  } finally {
    img.close()
  }
}
