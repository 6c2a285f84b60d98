// 大字模式: a rider who reads small print badly (or in the sun) makes the
// whole page larger. Vant sizes everything in px, so the page is zoomed as
// a whole: text, buttons and touch targets grow together and the layout
// reflows to the narrower width. The choice is the phone's own (it is no
// secret), kept in localStorage.
import { ref } from 'vue'

const key = 'nuanxin.rider.text'
/** The zoom of 大字模式. */
export const largeZoom = 1.25

function stored(): boolean {
  try {
    return localStorage.getItem(key) === 'large'
  } catch {
    return false // storage refused (a private window): normal text
  }
}

/** Whether 大字模式 is on. */
export const largeText = ref(stored())

/** Applies the stored choice to the page; called once at start. */
export function applyTextSize() {
  document.documentElement.style.setProperty('zoom', largeText.value ? String(largeZoom) : '')
}

/** Turns 大字模式 on or off, now and on the next visit. */
export function setLargeText(on: boolean) {
  largeText.value = on
  try {
    if (on) localStorage.setItem(key, 'large')
    else localStorage.removeItem(key)
  } catch {
    // Not kept, but applied for this visit.
  }
  applyTextSize()
}
