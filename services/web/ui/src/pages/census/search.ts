// What the workers' search box sends: the last 4 digits of a mobile as
// mobile_tail, a whole mobile as mobile, anything else as part of the
// name (q). Spaces and dashes inside a number are dropped (138 1234 5678).
export function searchParams(text: string): { q?: string; mobile_tail?: string; mobile?: string } {
  const t = text.trim()
  if (!t) return {}
  const digits = t.replace(/[\s-]/g, '')
  if (/^\d{4}$/.test(digits)) return { mobile_tail: digits }
  if (/^1\d{10}$/.test(digits)) return { mobile: digits }
  return { q: t }
}
